import { NtaError } from '../../core/errors.js';
import { byteOrder, perDialect, sensorTerm, type Dialect, type QueryDb } from '../../store/query/query-db.js';

/**
 * Every figure a chart shows is aggregated here, in SQL (GROUP BY over `traffic`, or over the sums the
 * writer keeps of it; see TrafficSource); JavaScript only receives the few rows a chart draws. Filters are bound
 * parameters, never spliced into the SQL text.
 */
export interface ChartFilter {
  /** Only these captures (`captures.id`). */
  readonly captureIds?: readonly number[] | undefined;
  /** Inclusive bounds in the database's own text form (UTC `YYYY-MM-DD HH:MM:SS.ffffff`), see parseTimeArg. */
  readonly from?: string | undefined;
  readonly to?: string | undefined;
}

type Params = Record<string, string | number>;

interface Where {
  readonly sql: string;
  readonly params: Params;
}

/**
 * The filter over `traffic` (time: `timestamp`; PostgreSQL compares its `ts` twin, so daily partitions
 * are pruned) or over another table whose text time column is `time` (alerts: `first_seen`). A database
 * scoped to one sensor adds it.
 */
function whereClause(db: QueryDb, f: ChartFilter, time = 'timestamp'): Where {
  const { terms, params } = captureTerms(db, f);
  const column = db.dialect === 'postgres' && time === 'timestamp' ? 'ts' : byteOrder(time, db.dialect);
  const bound = (name: string): string => (column === 'ts' ? `CAST(@${name} AS timestamptz)` : `@${name}`);
  if (f.from !== undefined) {
    params['from'] = f.from;
    terms.push(`${column} >= ${bound('from')}`);
  }
  if (f.to !== undefined) {
    params['to'] = f.to;
    terms.push(`${column} <= ${bound('to')}`);
  }
  sensorTerm(db, terms, params);
  return { sql: terms.length === 0 ? '' : `WHERE ${terms.join(' AND ')}`, params };
}

/**
 * The capture and sensor terms of a filter: what the traffic sums tables (with `capture_id`, and in
 * PostgreSQL `sensor`) can be filtered by.
 */
function captureTerms(db: QueryDb, f: ChartFilter): { terms: string[]; params: Params } {
  const terms: string[] = [];
  const params: Params = {};
  if (f.captureIds !== undefined && f.captureIds.length > 0) {
    const names = f.captureIds.map((id, i) => {
      params[`c${i}`] = id;
      return `@c${i}`;
    });
    terms.push(`capture_id IN (${names.join(', ')})`);
  }
  sensorTerm(db, terms, params);
  return { terms, params };
}

/** Seconds since 1970 of a traffic row's time (whole seconds, rounded down). */
const EPOCH_SQL: Readonly<Record<Dialect, string>> = {
  sqlite: 'unixepoch(substr(timestamp, 1, 19))',
  postgres: 'CAST(floor(extract(epoch FROM ts)) AS bigint)',
};

/** Seconds since 1970 of a time parameter in the database's text form (whole seconds, rounded down). */
const paramEpoch = (name: string, d: Dialect): string =>
  d === 'sqlite'
    ? `unixepoch(substr(${name}, 1, 19))`
    : `CAST(floor(extract(epoch FROM CAST(${name} AS timestamptz))) AS bigint)`;

/**
 * Where figures are read from. 'sums' reads the traffic sums the writer keeps (`traffic_seconds`,
 * `traffic_hosts`, `traffic_ports`, and per second `traffic_host_seconds`, `traffic_port_seconds`) and
 * only what they cannot answer from `traffic`: the packets of the (at most two) seconds a time range's
 * ends cut through; 'packets' reads every row of `traffic`: the reference answer the sums are checked
 * against in the tests.
 */
export type TrafficSource = 'sums' | 'packets';

/**
 * `traffic` rows in the shape of `traffic_seconds` rows (one packet each). PostgreSQL's sums compare their
 * times in "C" order, and so do these.
 */
const packetsAsSeconds = (d: Dialect): string =>
  `SELECT ${EPOCH_SQL[d]} AS second, protocol, 1 AS packets, length AS bytes,
  ${byteOrder('timestamp', d)} AS first_ts, ${byteOrder('timestamp', d)} AS last_ts FROM traffic`;

/** A subquery per dialect and its parameters. */
interface Source {
  readonly sql: (d: Dialect) => string;
  readonly params: Params;
}

/**
 * A table of per-second sums (with `second`, `capture_id` and, in PostgreSQL, `sensor` columns): `sums`
 * selects its rows; `packets(d, where)` selects the traffic rows a WHERE clause picks in the same columns,
 * one row per packet (or per packet and side, for addresses), so that sums over both add up.
 */
interface SecondSums {
  readonly sums: string;
  readonly packets: (d: Dialect, where: string) => string;
}

/** `traffic_seconds`: (second, protocol, packets, bytes, first_ts, last_ts). */
const PROTOCOL_SECONDS: SecondSums = {
  sums: `SELECT second, NULLIF(protocol, '') AS protocol, packets, bytes, first_ts, last_ts FROM traffic_seconds`,
  packets: (d, where) => `${packetsAsSeconds(d)} ${where}`,
};

/** `traffic_host_seconds`: (host, sent, received, packets); a packet counts for both its addresses. */
const HOST_SECONDS: SecondSums = {
  sums: `SELECT host, sent_bytes AS sent, received_bytes AS received, sent_packets + received_packets AS packets
    FROM traffic_host_seconds`,
  packets: (
    _d,
    where,
  ) => `SELECT src_ip AS host, length AS sent, 0 AS received, 1 AS packets FROM traffic ${where}
    UNION ALL SELECT dst_ip, 0, length, 1 FROM traffic ${where}`,
};

/** The lower of a packet's two ports (see topPorts). */
const LOWER_PORT: Readonly<Record<Dialect, string>> = {
  sqlite: 'MIN(src_port, dst_port)',
  postgres: 'LEAST(src_port, dst_port)',
};

/** `traffic_port_seconds`: (protocol, port, packets, bytes), packets with both ports only. */
const PORT_SECONDS: SecondSums = {
  sums: `SELECT NULLIF(protocol, '') AS protocol, port, packets, bytes FROM traffic_port_seconds`,
  packets: (
    d,
    where,
  ) => `SELECT protocol, ${LOWER_PORT[d]} AS port, 1 AS packets, COALESCE(length, 0) AS bytes
    FROM traffic ${where} AND src_port IS NOT NULL AND dst_port IS NOT NULL`,
};

/**
 * Rows of a per-second sums table whose sums equal those of the filtered traffic rows. Seconds wholly
 * inside the range come from the table; each second holding an end of the range is read from `traffic`:
 * in SQLite within the rowids its `traffic_seconds` rows recorded, so no index on traffic.timestamp is
 * needed and at most two seconds of packets are read; in PostgreSQL (no rowids kept) by `ts` within that
 * second. Timestamps are UTC text, so a second strictly between the ends' seconds lies wholly in the range.
 */
function fromSecondSums(db: QueryDb, f: ChartFilter, table: SecondSums): Source {
  const { terms, params } = captureTerms(db, f);
  const capture = terms.map((t) => ` AND ${t}`).join('');
  const rollup = `${table.sums} WHERE 1 = 1${capture}`;
  if (f.from === undefined && f.to === undefined) return { sql: () => rollup, params };
  const ends: string[] = [];
  if (f.from !== undefined) {
    params['from'] = f.from;
    ends.push('@from');
  }
  if (f.to !== undefined) {
    params['to'] = f.to;
    if (f.from === undefined || f.to.slice(0, 19) !== f.from.slice(0, 19)) ends.push('@to');
  }
  const range = whereClause(db, f).sql.replace('WHERE ', '');
  const sql = (d: Dialect): string => {
    const inner: string[] = [];
    if (f.from !== undefined) inner.push(`second > ${paramEpoch('@from', d)}`);
    if (f.to !== undefined) inner.push(`second < ${paramEpoch('@to', d)}`);
    const parts = [`${rollup} AND ${inner.join(' AND ')}`];
    for (const end of ends) {
      const sec = paramEpoch(end, d);
      parts.push(
        table.packets(
          d,
          d === 'sqlite'
            ? `WHERE id BETWEEN (SELECT MIN(first_id) FROM traffic_seconds WHERE second = ${sec}${capture})
                   AND (SELECT MAX(last_id) FROM traffic_seconds WHERE second = ${sec}${capture})
        AND ${EPOCH_SQL[d]} = ${sec} AND ${range}`
            : `WHERE ts >= to_timestamp(${sec}) AND ts < to_timestamp(${sec} + 1) AND ${range}`,
        ),
      );
    }
    return parts.join('\n UNION ALL ');
  };
  return { sql, params };
}

/** A subquery with columns (second, protocol, packets, bytes, first_ts, last_ts) of the filtered traffic. */
function perSecond(db: QueryDb, f: ChartFilter, source: TrafficSource): Source {
  if (source === 'sums') return fromSecondSums(db, f, PROTOCOL_SECONDS);
  const w = whereClause(db, f);
  return { sql: (d) => PROTOCOL_SECONDS.packets(d, w.sql), params: w.params };
}

export interface TrafficTotals {
  packets: number;
  bytes: number;
  /** `traffic.timestamp` text of the first and last packet; null when there are no packets. */
  first: string | null;
  last: string | null;
}

export async function trafficTotals(
  db: QueryDb,
  f: ChartFilter,
  source: TrafficSource = 'sums',
): Promise<TrafficTotals> {
  const src = perSecond(db, f, source);
  const sql = perDialect(
    (d) => `SELECT COALESCE(SUM(packets), 0) AS packets, COALESCE(SUM(bytes), 0) AS bytes,
              MIN(${byteOrder('first_ts', d)}) AS first, MAX(${byteOrder('last_ts', d)}) AS last
       FROM (${src.sql(d)}) s`,
  );
  return (await db.get<TrafficTotals>(sql, src.params))!;
}

/** Refuses capture ids the database does not hold, naming the ones it does. */
export async function checkCaptureIds(db: QueryDb, ids: readonly number[]): Promise<void> {
  const w = whereClause(db, {});
  const rows = await db.all<{ id: number }>(`SELECT id FROM captures ${w.sql}`, w.params);
  const have = new Set(rows.map((r) => Number(r.id)));
  const missing = ids.filter((id) => !have.has(id));
  if (missing.length === 0) return;
  const known = [...have].sort((a, b) => a - b);
  const range =
    known.length === 0
      ? 'it holds no captures'
      : known.length === 1
        ? `it holds capture ${known[0]}`
        : `it holds captures ${known[0]}–${known[known.length - 1]}`;
  throw new NtaError(
    'NTA_ERR_USAGE',
    `--capture ${missing.join(', ')}: no such capture in the database (${range})`,
  );
}

export interface ProtocolRow {
  protocol: string;
  packets: number;
  bytes: number;
}

/** Packets and bytes per protocol, largest first; beyond `limit` protocols the rest add up as 'other'. */
export async function protocolTotals(
  db: QueryDb,
  f: ChartFilter,
  limit: number,
  source: TrafficSource = 'sums',
): Promise<ProtocolRow[]> {
  const src = perSecond(db, f, source);
  const sql = perDialect(
    (d) => `WITH p AS (
         SELECT COALESCE(protocol, 'unknown') AS protocol, SUM(packets) AS packets, COALESCE(SUM(bytes), 0) AS bytes
         FROM (${src.sql(d)}) s GROUP BY 1),
       r AS (SELECT *, ROW_NUMBER() OVER (ORDER BY packets DESC, ${byteOrder('protocol', d)}) AS rn FROM p)
       SELECT CASE WHEN rn <= @limit THEN protocol ELSE 'other' END AS protocol,
              SUM(packets) AS packets, SUM(bytes) AS bytes
       FROM r GROUP BY 1 ORDER BY MIN(rn)`,
  );
  return db.all<ProtocolRow>(sql, { ...src.params, limit });
}

export interface TimelineRow {
  /** Start of the bucket, ms since 1970. */
  t: number;
  series: string;
  /** Packets and bits per `rateSeconds` (per second, minute, hour or day: see TimelineBuckets). */
  packetRate: number;
  bitRate: number;
}

export interface TimelineBuckets {
  /** Bucket start of bucket 0, in seconds since 1970; bucket k starts at origin + k * size. */
  readonly origin: number;
  readonly size: number;
  readonly count: number;
  /** The rates' time unit in seconds: 1 for packets/s, 86400 for packets/day. */
  readonly rateSeconds: number;
}

/**
 * Packet and bit rates (per `rateSeconds`) per bucket and series (the `top` busiest protocols, the rest as 'other'). Empty
 * buckets are filled with zeros in SQL (a recursive bucket sequence cross the series), so lines drop to
 * zero where nothing was sent instead of bridging the gap. Rows come ordered by time, then series (busiest
 * first, 'other' last). better-sqlite3 binds JS numbers as REAL: the bucket number is computed in INTEGER
 * arithmetic (a whole number, rounded down), or it would never equal the bucket sequence's k.
 */
export function timelineRates(
  db: QueryDb,
  f: ChartFilter,
  b: TimelineBuckets,
  top: number,
  source: TrafficSource = 'sums',
): Promise<TimelineRow[]> {
  const src = perSecond(db, f, source);
  // PostgreSQL would sum counts as exact numerics: the rates are computed in doubles, as SQLite does.
  const real = (x: string, d: Dialect): string => (d === 'postgres' ? `CAST(${x} AS double precision)` : x);
  const sql = perDialect(
    (d) => `WITH RECURSIVE raw AS MATERIALIZED (
         SELECT (second - CAST(@origin AS INTEGER)) / CAST(@size AS INTEGER) AS k, COALESCE(protocol, 'unknown') AS protocol,
                SUM(packets) AS n, COALESCE(SUM(bytes), 0) AS bytes
         FROM (${src.sql(d)}) src GROUP BY 1, 2),
       top AS (SELECT protocol FROM raw GROUP BY protocol ORDER BY SUM(n) DESC, ${byteOrder('protocol', d)} LIMIT @top),
       s AS MATERIALIZED (
         SELECT k, CASE WHEN protocol IN (SELECT protocol FROM top) THEN protocol ELSE 'other' END AS series,
                SUM(n) AS n, SUM(bytes) AS bytes
         FROM raw GROUP BY 1, 2),
       ks(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM ks WHERE k + 1 < @count),
       names AS (SELECT series, SUM(n) AS total FROM s GROUP BY series)
       SELECT (CAST(@origin AS BIGINT) + ks.k * CAST(@size AS BIGINT)) * 1000 AS t, names.series AS series,
              ${real('COALESCE(s.n, 0)', d)} * @per / @size AS "packetRate",
              ${real('COALESCE(s.bytes, 0)', d)} * 8.0 * @per / @size AS "bitRate"
       FROM ks CROSS JOIN names LEFT JOIN s ON s.k = ks.k AND s.series = names.series
       ORDER BY ks.k, names.series = 'other', names.total DESC, ${byteOrder('names.series', d)}`,
  );
  return db.all<TimelineRow>(sql, {
    ...src.params,
    origin: b.origin,
    size: b.size,
    count: b.count,
    per: b.rateSeconds,
    top,
  });
}

/** Series names of a timeline, busiest first and 'other' last (for a stable colour order). */
export function seriesOrder(rows: readonly TimelineRow[]): string[] {
  const seen = new Set<string>();
  for (const r of rows) seen.add(r.series);
  return [...seen];
}

/** Host classes, as the talkers chart colours them. */
export const HOST_CLASSES = ['local', 'remote', 'multicast/broadcast'] as const;
export type HostClass = (typeof HOST_CLASSES)[number];

/**
 * SQL that classifies the address text in column `c` (as nta writes it: dotted quad, RFC 5952 IPv6):
 * local = RFC 1918, loopback, link-local (169.254/16, fe80::/10), IPv6 ULA (fc00::/7);
 * multicast/broadcast = 224/4, 255.255.255.255, ff00::/8; everything else remote. SQLite matches with
 * GLOB and octet arithmetic, PostgreSQL with regular expressions (it does not promise to evaluate a CASE
 * arm's conditions in order, so no casts of text that may be IPv6).
 */
export function hostClassSql(c: string, d: Dialect): string {
  if (d === 'postgres')
    return `CASE
    WHEN ${c} ~ '^(10\\.|192\\.168\\.|127\\.|169\\.254\\.|172\\.(1[6-9]|2[0-9]|3[01])\\.)[0-9.]*$' THEN 'local'
    WHEN ${c} ~ '^(22[4-9]|23[0-9])\\.[0-9.]*$' OR ${c} = '255.255.255.255' THEN 'multicast/broadcast'
    WHEN ${c} = '::1' OR ${c} ~ '^fe[89ab][0-9a-f]:' OR ${c} ~ '^f[cd][0-9a-f][0-9a-f]:' THEN 'local'
    WHEN ${c} ~ '^ff[0-9a-f][0-9a-f]:' THEN 'multicast/broadcast'
    ELSE 'remote' END`;
  const firstOctet = `CAST(substr(${c}, 1, instr(${c}, '.') - 1) AS INTEGER)`;
  const secondOctet = `CAST(substr(${c}, 5, instr(substr(${c}, 5), '.') - 1) AS INTEGER)`;
  const v4 = `instr(${c}, ':') = 0`;
  return `CASE
    WHEN ${v4} AND (${c} LIKE '10.%' OR ${c} LIKE '192.168.%' OR ${c} LIKE '127.%' OR ${c} LIKE '169.254.%'
         OR (${c} LIKE '172.%' AND ${secondOctet} BETWEEN 16 AND 31)) THEN 'local'
    WHEN ${v4} AND (${firstOctet} BETWEEN 224 AND 239 OR ${c} = '255.255.255.255') THEN 'multicast/broadcast'
    WHEN ${c} = '::1' OR ${c} GLOB 'fe[89ab][0-9a-f]:*' OR ${c} GLOB 'f[cd][0-9a-f][0-9a-f]:*' THEN 'local'
    WHEN ${c} GLOB 'ff[0-9a-f][0-9a-f]:*' THEN 'multicast/broadcast'
    ELSE 'remote' END`;
}

export interface TalkerRow {
  host: string;
  hostClass: HostClass;
  sent: number;
  received: number;
  bytes: number;
  packets: number;
}

/** The `limit` hosts that sent plus received the most bytes. */
export function topTalkers(
  db: QueryDb,
  f: ChartFilter,
  limit: number,
  source: TrafficSource = 'sums',
): Promise<TalkerRow[]> {
  let hosts: Source;
  if (source === 'sums' && f.from === undefined && f.to === undefined) {
    const { terms, params } = captureTerms(db, f);
    hosts = {
      sql: () => `SELECT host, sent_bytes AS sent, received_bytes AS received, sent_packets + received_packets AS packets
            FROM traffic_hosts ${terms.length === 0 ? '' : `WHERE ${terms.join(' AND ')}`}`,
      params,
    };
  } else if (source === 'sums') {
    hosts = fromSecondSums(db, f, HOST_SECONDS);
  } else {
    const w = whereClause(db, f);
    hosts = {
      sql: () => `SELECT src_ip AS host, SUM(length) AS sent, 0 AS received, COUNT(*) AS packets
            FROM traffic ${w.sql} GROUP BY src_ip
            UNION ALL
            SELECT dst_ip, 0, SUM(length), COUNT(*) FROM traffic ${w.sql} GROUP BY dst_ip`,
      params: w.params,
    };
  }
  const sql = perDialect(
    (d) => `WITH h AS (${hosts.sql(d)})
       SELECT host, ${hostClassSql('host', d)} AS "hostClass", COALESCE(SUM(sent), 0) AS sent,
              COALESCE(SUM(received), 0) AS received, COALESCE(SUM(sent), 0) + COALESCE(SUM(received), 0) AS bytes,
              SUM(packets) AS packets
       FROM h WHERE host IS NOT NULL GROUP BY host ORDER BY bytes DESC, ${byteOrder('host', d)} LIMIT @limit`,
  );
  return db.all<TalkerRow>(sql, { ...hosts.params, limit });
}

export interface PortRow {
  protocol: string;
  port: number;
  packets: number;
  bytes: number;
}

/**
 * The `limit` busiest service ports. A packet counts for the lower of its two ports: the server's side in
 * almost all traffic, so both directions of a conversation land on 443/tcp instead of one direction being
 * spread over the client's ephemeral ports.
 */
export function topPorts(
  db: QueryDb,
  f: ChartFilter,
  limit: number,
  source: TrafficSource = 'sums',
): Promise<PortRow[]> {
  let ports: Source;
  if (source === 'sums' && f.from === undefined && f.to === undefined) {
    const c = captureTerms(db, f);
    ports = {
      sql: () => `SELECT NULLIF(protocol, '') AS protocol, port, packets, bytes FROM traffic_ports
            ${c.terms.length === 0 ? '' : `WHERE ${c.terms.join(' AND ')}`}`,
      params: c.params,
    };
  } else if (source === 'sums') {
    ports = fromSecondSums(db, f, PORT_SECONDS);
  } else {
    const w = whereClause(db, f);
    const portTerms = 'src_port IS NOT NULL AND dst_port IS NOT NULL';
    ports = {
      sql: (
        d,
      ) => `SELECT protocol, ${LOWER_PORT[d]} AS port, COUNT(*) AS packets, COALESCE(SUM(length), 0) AS bytes
            FROM traffic ${w.sql === '' ? `WHERE ${portTerms}` : `${w.sql} AND ${portTerms}`} GROUP BY 1, 2`,
      params: w.params,
    };
  }
  const sql = perDialect(
    (d) => `SELECT protocol, port, SUM(packets) AS packets, SUM(bytes) AS bytes FROM (${ports.sql(d)}) p
       GROUP BY protocol, port ORDER BY packets DESC, port, ${byteOrder('protocol', d)} LIMIT @limit`,
  );
  return db.all<PortRow>(sql, { ...ports.params, limit });
}

export interface AlertBucketRow {
  /** Start of the bucket, ms since 1970. */
  t: number;
  severity: string;
  /** Alerts first seen in the bucket. */
  alerts: number;
}

/**
 * Alerts first seen per time bucket and severity (the `alerts` table; time and capture filters as for
 * traffic, on `first_seen`), within the buckets' span (the traffic's). Empty buckets are left out: the
 * chart draws bars, not lines.
 */
export async function alertCounts(
  db: QueryDb,
  f: ChartFilter,
  b: TimelineBuckets,
): Promise<AlertBucketRow[]> {
  const w = whereClause(db, f, 'first_seen');
  const sql = perDialect(
    (d) => `SELECT k, severity, COUNT(*) AS alerts FROM (
         SELECT (CAST(first_seen_us / 1000000 AS INTEGER) - CAST(@origin AS INTEGER)) / CAST(@size AS INTEGER) AS k,
                severity
         FROM alerts ${w.sql}) a
       WHERE k >= 0 AND k < @count GROUP BY k, severity ORDER BY k, ${byteOrder('severity', d)}`,
  );
  const rows = await db.all<{ k: number; severity: string; alerts: number }>(sql, {
    ...w.params,
    origin: b.origin,
    size: b.size,
    count: b.count,
  });
  return rows.map((row) => ({
    t: (b.origin + row.k * b.size) * 1000,
    severity: row.severity,
    alerts: row.alerts,
  }));
}
