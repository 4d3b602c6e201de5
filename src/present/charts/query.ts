import { NtaError } from '../../core/errors.js';
import type { SqliteDb } from '../../store/sqlite/database.js';

/**
 * Every figure a chart shows is aggregated here, in SQL (GROUP BY over `traffic`, or over its per-second
 * sums in `traffic_seconds`); JavaScript only receives the few rows a chart draws. Filters are bound
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

function whereClause(f: ChartFilter): Where {
  const { terms, params } = captureTerms(f);
  if (f.from !== undefined) {
    params['from'] = f.from;
    terms.push('timestamp >= @from');
  }
  if (f.to !== undefined) {
    params['to'] = f.to;
    terms.push('timestamp <= @to');
  }
  return { sql: terms.length === 0 ? '' : `WHERE ${terms.join(' AND ')}`, params };
}

function captureTerms(f: ChartFilter): { terms: string[]; params: Params } {
  const terms: string[] = [];
  const params: Params = {};
  if (f.captureIds !== undefined && f.captureIds.length > 0) {
    const names = f.captureIds.map((id, i) => {
      params[`c${i}`] = id;
      return `@c${i}`;
    });
    terms.push(`capture_id IN (${names.join(', ')})`);
  }
  return { terms, params };
}

/** Seconds since 1970 of a `traffic.timestamp` (whole seconds; the fraction is dropped before parsing). */
const EPOCH_SQL = 'unixepoch(substr(timestamp, 1, 19))';

/**
 * Where figures are read from. 'sums' reads the traffic sums the writer keeps (`traffic_seconds`,
 * `traffic_hosts`, `traffic_ports`) and only what they cannot answer from `traffic` (the seconds a time
 * range's ends cut through; talkers and ports within a range's rowids); 'packets' reads every row of
 * `traffic`: the reference answer the sums are checked against in the tests.
 */
export type TrafficSource = 'sums' | 'packets';

/** `traffic` rows in the shape of `traffic_seconds` rows (one packet each). */
const PACKETS_AS_SECONDS = `SELECT ${EPOCH_SQL} AS second, protocol, 1 AS packets, length AS bytes,
  timestamp AS first_ts, timestamp AS last_ts FROM traffic`;

/**
 * A subquery with columns (second, protocol, packets, bytes, first_ts, last_ts) whose sums, MINs and MAXes
 * equal those of the filtered traffic rows. From the sums: seconds wholly inside the range come from
 * `traffic_seconds`; each second holding an end of the range is read from `traffic` within the rowids its
 * `traffic_seconds` rows recorded, so no index on traffic.timestamp is needed and at most two seconds of packets are
 * read. Timestamps are UTC text, so a second strictly between the ends' seconds lies wholly in the range.
 */
function perSecond(f: ChartFilter, source: TrafficSource): Where {
  if (source === 'packets') {
    const w = whereClause(f);
    return { sql: `${PACKETS_AS_SECONDS} ${w.sql}`, params: w.params };
  }
  const { terms, params } = captureTerms(f);
  const capture = terms.map((t) => ` AND ${t}`).join('');
  const rollup = `SELECT second, NULLIF(protocol, '') AS protocol, packets, bytes, first_ts, last_ts
    FROM traffic_seconds WHERE 1${capture}`;
  if (f.from === undefined && f.to === undefined) return { sql: rollup, params };
  const inner: string[] = [];
  const ends: string[] = [];
  if (f.from !== undefined) {
    params['from'] = f.from;
    inner.push(`second > unixepoch(substr(@from, 1, 19))`);
    ends.push('@from');
  }
  if (f.to !== undefined) {
    params['to'] = f.to;
    inner.push(`second < unixepoch(substr(@to, 1, 19))`);
    if (f.from === undefined || f.to.slice(0, 19) !== f.from.slice(0, 19)) ends.push('@to');
  }
  const range = whereClause(f).sql.replace('WHERE ', '');
  const parts = [`${rollup} AND ${inner.join(' AND ')}`];
  for (const end of ends) {
    const sec = `unixepoch(substr(${end}, 1, 19))`;
    parts.push(`${PACKETS_AS_SECONDS}
      WHERE id BETWEEN (SELECT MIN(first_id) FROM traffic_seconds WHERE second = ${sec}${capture})
                   AND (SELECT MAX(last_id) FROM traffic_seconds WHERE second = ${sec}${capture})
        AND ${EPOCH_SQL} = ${sec} AND ${range}`);
  }
  return { sql: parts.join('\n UNION ALL '), params };
}

export interface TrafficTotals {
  packets: number;
  bytes: number;
  /** `traffic.timestamp` text of the first and last packet; null when there are no packets. */
  first: string | null;
  last: string | null;
}

export function trafficTotals(db: SqliteDb, f: ChartFilter, source: TrafficSource = 'sums'): TrafficTotals {
  const src = perSecond(f, source);
  return db
    .prepare(
      `SELECT COALESCE(SUM(packets), 0) AS packets, COALESCE(SUM(bytes), 0) AS bytes, MIN(first_ts) AS first,
              MAX(last_ts) AS last FROM (${src.sql})`,
    )
    .get(src.params) as TrafficTotals;
}

/** Refuses capture ids the database does not hold, naming the ones it does. */
export function checkCaptureIds(db: SqliteDb, ids: readonly number[]): void {
  const have = new Set((db.prepare('SELECT id FROM captures').pluck().all() as number[]).map(Number));
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
export function protocolTotals(
  db: SqliteDb,
  f: ChartFilter,
  limit: number,
  source: TrafficSource = 'sums',
): ProtocolRow[] {
  const src = perSecond(f, source);
  return db
    .prepare(
      `WITH p AS (
         SELECT COALESCE(protocol, 'unknown') AS protocol, SUM(packets) AS packets, COALESCE(SUM(bytes), 0) AS bytes
         FROM (${src.sql}) GROUP BY 1),
       r AS (SELECT *, ROW_NUMBER() OVER (ORDER BY packets DESC, protocol) AS rn FROM p)
       SELECT CASE WHEN rn <= @limit THEN protocol ELSE 'other' END AS protocol,
              SUM(packets) AS packets, SUM(bytes) AS bytes
       FROM r GROUP BY 1 ORDER BY MIN(rn)`,
    )
    .all({ ...src.params, limit }) as ProtocolRow[];
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
  db: SqliteDb,
  f: ChartFilter,
  b: TimelineBuckets,
  top: number,
  source: TrafficSource = 'sums',
): TimelineRow[] {
  const src = perSecond(f, source);
  return db
    .prepare(
      `WITH raw AS MATERIALIZED (
         SELECT (second - CAST(@origin AS INTEGER)) / CAST(@size AS INTEGER) AS k, COALESCE(protocol, 'unknown') AS protocol,
                SUM(packets) AS n, COALESCE(SUM(bytes), 0) AS bytes
         FROM (${src.sql}) GROUP BY 1, 2),
       top AS (SELECT protocol FROM raw GROUP BY protocol ORDER BY SUM(n) DESC, protocol LIMIT @top),
       s AS MATERIALIZED (
         SELECT k, CASE WHEN protocol IN (SELECT protocol FROM top) THEN protocol ELSE 'other' END AS series,
                SUM(n) AS n, SUM(bytes) AS bytes
         FROM raw GROUP BY 1, 2),
       ks(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM ks WHERE k + 1 < @count),
       names AS (SELECT series, SUM(n) AS total FROM s GROUP BY series)
       SELECT (@origin + ks.k * @size) * 1000 AS t, names.series AS series,
              COALESCE(s.n, 0) * @per / @size AS packetRate, COALESCE(s.bytes, 0) * 8.0 * @per / @size AS bitRate
       FROM ks CROSS JOIN names LEFT JOIN s ON s.k = ks.k AND s.series = names.series
       ORDER BY ks.k, names.series = 'other', names.total DESC, names.series`,
    )
    .all({
      ...src.params,
      origin: b.origin,
      size: b.size,
      count: b.count,
      per: b.rateSeconds,
      top,
    }) as TimelineRow[];
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
 * multicast/broadcast = 224/4, 255.255.255.255, ff00::/8; everything else remote.
 */
export function hostClassSql(c: string): string {
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

/**
 * Traffic rows of a filter. With a time range and the sums, only the rowids traffic_seconds records for
 * the range's seconds are read (a range scan on the rowid instead of the whole table).
 */
function trafficRows(f: ChartFilter, source: TrafficSource): Where {
  const w = whereClause(f);
  if (source === 'packets' || (f.from === undefined && f.to === undefined)) return w;
  const { terms, params } = captureTerms(f);
  if (f.from !== undefined) terms.push('second >= unixepoch(substr(@from, 1, 19))');
  if (f.to !== undefined) terms.push('second <= unixepoch(substr(@to, 1, 19))');
  const seconds = `FROM traffic_seconds WHERE ${terms.join(' AND ')}`;
  return {
    sql: `${w.sql} AND id BETWEEN (SELECT MIN(first_id) ${seconds}) AND (SELECT MAX(last_id) ${seconds})`,
    params: { ...w.params, ...params },
  };
}

/** The `limit` hosts that sent plus received the most bytes. */
export function topTalkers(
  db: SqliteDb,
  f: ChartFilter,
  limit: number,
  source: TrafficSource = 'sums',
): TalkerRow[] {
  let hosts: Where;
  if (source === 'sums' && f.from === undefined && f.to === undefined) {
    const { terms, params } = captureTerms(f);
    hosts = {
      sql: `SELECT host, sent_bytes AS sent, received_bytes AS received, sent_packets + received_packets AS packets
            FROM traffic_hosts ${terms.length === 0 ? '' : `WHERE ${terms.join(' AND ')}`}`,
      params,
    };
  } else {
    const w = trafficRows(f, source);
    hosts = {
      sql: `SELECT src_ip AS host, SUM(length) AS sent, 0 AS received, COUNT(*) AS packets
            FROM traffic ${w.sql} GROUP BY src_ip
            UNION ALL
            SELECT dst_ip, 0, SUM(length), COUNT(*) FROM traffic ${w.sql} GROUP BY dst_ip`,
      params: w.params,
    };
  }
  return db
    .prepare(
      `WITH h AS (${hosts.sql})
       SELECT host, ${hostClassSql('host')} AS hostClass, COALESCE(SUM(sent), 0) AS sent,
              COALESCE(SUM(received), 0) AS received, COALESCE(SUM(sent), 0) + COALESCE(SUM(received), 0) AS bytes,
              SUM(packets) AS packets
       FROM h WHERE host IS NOT NULL GROUP BY host ORDER BY bytes DESC, host LIMIT @limit`,
    )
    .all({ ...hosts.params, limit }) as TalkerRow[];
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
  db: SqliteDb,
  f: ChartFilter,
  limit: number,
  source: TrafficSource = 'sums',
): PortRow[] {
  let ports: Where;
  if (source === 'sums' && f.from === undefined && f.to === undefined) {
    const { terms, params } = captureTerms(f);
    ports = {
      sql: `SELECT NULLIF(protocol, '') AS protocol, port, packets, bytes FROM traffic_ports
            ${terms.length === 0 ? '' : `WHERE ${terms.join(' AND ')}`}`,
      params,
    };
  } else {
    const w = trafficRows(f, source);
    const portTerms = 'src_port IS NOT NULL AND dst_port IS NOT NULL';
    ports = {
      sql: `SELECT protocol, MIN(src_port, dst_port) AS port, COUNT(*) AS packets, COALESCE(SUM(length), 0) AS bytes
            FROM traffic ${w.sql === '' ? `WHERE ${portTerms}` : `${w.sql} AND ${portTerms}`} GROUP BY 1, 2`,
      params: w.params,
    };
  }
  return db
    .prepare(
      `SELECT protocol, port, SUM(packets) AS packets, SUM(bytes) AS bytes FROM (${ports.sql})
       GROUP BY protocol, port ORDER BY packets DESC, port, protocol LIMIT @limit`,
    )
    .all({ ...ports.params, limit }) as PortRow[];
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
export function alertCounts(db: SqliteDb, f: ChartFilter, b: TimelineBuckets): AlertBucketRow[] {
  const w = whereClause(f);
  const sql = w.sql.replaceAll('timestamp', 'first_seen');
  return db
    .prepare(
      `SELECT (CAST(first_seen_us / 1000000 AS INTEGER) - CAST(@origin AS INTEGER)) / CAST(@size AS INTEGER) AS k,
              severity, COUNT(*) AS alerts
       FROM alerts ${sql} GROUP BY 1, 2 HAVING k >= 0 AND k < @count ORDER BY 1, 2`,
    )
    .all({ ...w.params, origin: b.origin, size: b.size, count: b.count })
    .map((r) => {
      const row = r as { k: number; severity: string; alerts: number };
      return { t: (b.origin + row.k * b.size) * 1000, severity: row.severity, alerts: row.alerts };
    });
}
