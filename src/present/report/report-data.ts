import { byteOrder, perDialect, type Dialect, type QueryDb } from '../../store/query/query-db.js';
import type { ChartFilter } from '../charts/query.js';

/**
 * What the report shows besides the charts, aggregated in SQL. The `dns`, `tls`, `http` and `alerts` tables
 * are optional: each section appears only when its table exists, and a column is used only when the table
 * has it, so databases from older or newer nta versions both work.
 */

type Params = Record<string, string | number>;

async function tableColumns(db: QueryDb, table: string): Promise<Set<string> | null> {
  if (!(await db.tables()).has(table)) return null;
  return db.columns(table);
}

/**
 * The filter as SQL over a table's own columns: capture ids on `capture_id`, the time range on `[start, end]`
 * (one column for records, two for spans such as alerts, which match when they overlap the range). Columns
 * the table lacks are not filtered on. A database scoped to one sensor adds it.
 */
function filterSql(
  db: QueryDb,
  f: ChartFilter,
  cols: ReadonlySet<string>,
  start: string | undefined,
  end: string | undefined = start,
): { sql: string; params: Params } {
  const terms: string[] = [];
  const params: Params = {};
  if (f.captureIds !== undefined && f.captureIds.length > 0 && cols.has('capture_id')) {
    const names = f.captureIds.map((id, i) => {
      params[`c${i}`] = id;
      return `@c${i}`;
    });
    terms.push(`capture_id IN (${names.join(', ')})`);
  }
  if (f.from !== undefined && end !== undefined && cols.has(end)) {
    params['from'] = f.from;
    terms.push(`${byteOrder(end, db.dialect)} >= @from`);
  }
  if (f.to !== undefined && start !== undefined && cols.has(start)) {
    params['to'] = f.to;
    terms.push(`${byteOrder(start, db.dialect)} <= @to`);
  }
  if (db.sensor !== undefined && cols.has('sensor')) {
    params['sensor'] = db.sensor;
    terms.push('sensor = @sensor');
  }
  return { sql: terms.length === 0 ? '' : `WHERE ${terms.join(' AND ')}`, params };
}

export interface CaptureRow {
  id: number;
  source: string;
  format: string | null;
  status: string;
  error: string | null;
  startedAt: string;
  firstPacket: string | null;
  lastPacket: string | null;
  packets: number;
  bytes: number;
  ipPackets: number;
  malformed: number;
  truncated: number;
  dropped: number;
  ifDropped: number;
}

/** The captures in the report: those chosen with --capture, and of those the ones overlapping the range. */
export async function captureRows(db: QueryDb, f: ChartFilter): Promise<CaptureRow[]> {
  const cols = new Set(['capture_id', 'first_packet', 'last_packet', 'sensor']);
  const w = filterSql(db, f, cols, 'first_packet', 'last_packet');
  return db.all<CaptureRow>(
    `SELECT id, source, format, status, error, started_at AS "startedAt", first_packet AS "firstPacket",
            last_packet AS "lastPacket", packets, bytes, ip_packets AS "ipPackets", malformed, truncated,
            dropped, if_dropped AS "ifDropped"
     FROM (SELECT *, id AS capture_id FROM captures) c ${w.sql} ORDER BY id`,
    w.params,
  );
}

/** Flows in the report's captures and range; null when the database has no flows table. */
export async function flowCount(db: QueryDb, f: ChartFilter): Promise<number | null> {
  const cols = await tableColumns(db, 'flows');
  if (cols === null) return null;
  const w = filterSql(db, f, cols, 'ts');
  return (await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM flows ${w.sql}`, w.params))!.n;
}

/** Where names come from: table, then the first of its candidate name columns that exists (Zeek's first). */
const NAME_SOURCES = [
  { key: 'dns', table: 'dns', columns: ['query', 'qname', 'name'] },
  { key: 'tls', table: 'tls', columns: ['server_name', 'sni'] },
  { key: 'http', table: 'http', columns: ['host'] },
] as const;
export type DomainSource = (typeof NAME_SOURCES)[number]['key'];

export interface DomainRow {
  name: string;
  dns: number;
  tls: number;
  http: number;
  total: number;
}

export interface DomainTable {
  /** The sources present in this database, in column order; empty means no section at all. */
  readonly sources: readonly DomainSource[];
  readonly rows: readonly DomainRow[];
}

/** The `limit` names seen most often in DNS queries, TLS server names and HTTP Host headers together. */
export async function topDomains(db: QueryDb, f: ChartFilter, limit: number): Promise<DomainTable> {
  const parts: ((d: Dialect) => string)[] = [];
  const sources: DomainSource[] = [];
  let params: Params = {};
  for (const s of NAME_SOURCES) {
    const cols = await tableColumns(db, s.table);
    const column = cols === null ? undefined : s.columns.find((c) => cols.has(c));
    if (cols === null || column === undefined) continue;
    const w = filterSql(db, f, cols, 'ts');
    params = { ...params, ...w.params };
    const notEmpty = `${column} IS NOT NULL AND ${column} <> ''`;
    // Lower case of ASCII letters only, as SQLite's lower() does (a C-collated text in PostgreSQL).
    parts.push(
      (d) => `SELECT lower(${byteOrder(column, d)}) AS name, '${s.key}' AS source FROM ${s.table}
       ${w.sql === '' ? `WHERE ${notEmpty}` : `${w.sql} AND ${notEmpty}`}`,
    );
    sources.push(s.key);
  }
  if (parts.length === 0) return { sources, rows: [] };
  const count = (key: DomainSource): string => `SUM(CASE WHEN source = '${key}' THEN 1 ELSE 0 END) AS ${key}`;
  const rows = await db.all<DomainRow>(
    perDialect(
      (d) => `SELECT name, ${count('dns')}, ${count('tls')}, ${count('http')}, COUNT(*) AS total
       FROM (${parts.map((p) => p(d)).join(' UNION ALL ')}) n
       GROUP BY name ORDER BY total DESC, ${byteOrder('name', d)} LIMIT @limit`,
    ),
    { ...params, limit },
  );
  return { sources, rows };
}

export interface AlertRow {
  type: string | null;
  severity: string | number | null;
  srcIp: string | null;
  dstIp: string | null;
  firstSeen: string | null;
  lastSeen: string | null;
  count: number | null;
  message: string | null;
  evidence: string | null;
}

export interface AlertTable {
  /** Alerts in range (all of them, not only the rows shown). */
  readonly total: number;
  /** Alert count per severity, most severe first. */
  readonly bySeverity: readonly { severity: string; alerts: number }[];
  readonly rows: readonly AlertRow[];
}

/** Most severe first: named levels (Suricata/Zeek words) before unknown ones; numbers as Suricata (1 = high). */
const SEVERITY_RANK = `CASE lower(CAST(severity AS TEXT))
  WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN '1' THEN 1 WHEN 'medium' THEN 2 WHEN '2' THEN 2
  WHEN 'low' THEN 3 WHEN '3' THEN 3 WHEN 'info' THEN 4 WHEN 'informational' THEN 4 ELSE 5 END`;

/** The alerts table, most severe and most repeated first; null when the database has none. */
export async function alertTable(db: QueryDb, f: ChartFilter, limit: number): Promise<AlertTable | null> {
  const cols = await tableColumns(db, 'alerts');
  if (cols === null) return null;
  const col = (name: string, as: string): string =>
    cols.has(name) ? `${name} AS "${as}"` : `NULL AS "${as}"`;
  const w = filterSql(db, f, cols, 'first_seen', 'last_seen');
  const total = (await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM alerts ${w.sql}`, w.params))!.n;
  const severity = cols.has('severity') ? 'severity' : 'NULL';
  const bySeverity = await db.all<{ severity: string; alerts: number }>(
    perDialect(
      (d) => `SELECT severity, alerts FROM (
         SELECT COALESCE(CAST(${severity} AS TEXT), 'unknown') AS severity, COUNT(*) AS alerts,
                MIN(${cols.has('severity') ? SEVERITY_RANK : '0'}) AS rank
         FROM alerts ${w.sql} GROUP BY 1) s
       ORDER BY rank, ${byteOrder('severity', d)}`,
    ),
    w.params,
  );
  // Ties go by what the alert is, not by its id (random per run), so every database lists them alike.
  const order = (d: Dialect): string =>
    [
      cols.has('severity') ? SEVERITY_RANK : null,
      cols.has('count') ? 'count DESC' : null,
      cols.has('last_seen') ? `${byteOrder('last_seen', d)} DESC` : null,
      ...['first_seen', 'type', 'src_ip', 'dst_ip'].filter((c) => cols.has(c)).map((c) => byteOrder(c, d)),
      cols.has('id') ? 'id' : null,
    ]
      .filter((t) => t !== null)
      .join(', ');
  const rows = await db.all<AlertRow>(
    perDialect(
      (d) => `SELECT ${col('type', 'type')}, ${col('severity', 'severity')}, ${col('src_ip', 'srcIp')},
              ${col('dst_ip', 'dstIp')}, ${col('first_seen', 'firstSeen')}, ${col('last_seen', 'lastSeen')},
              ${col('count', 'count')}, ${col('message', 'message')}, ${col('evidence', 'evidence')}
       FROM alerts ${w.sql} ORDER BY ${order(d)} LIMIT @limit`,
    ),
    { ...w.params, limit },
  );
  return { total, bySeverity, rows };
}
