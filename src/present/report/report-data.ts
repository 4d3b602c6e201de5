import type { SqliteDb } from '../../store/sqlite/database.js';
import type { ChartFilter } from '../charts/query.js';

/**
 * What the report shows besides the charts, aggregated in SQL. The `dns`, `tls`, `http` and `alerts` tables
 * are optional: each section appears only when its table exists (checked in sqlite_master), and a column is
 * used only when the table has it, so databases from older or newer nta versions both work.
 */

type Params = Record<string, string | number>;

function tableColumns(db: SqliteDb, table: string): Set<string> | null {
  const exists = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table);
  if (exists === undefined) return null;
  const cols = db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(table) as string[];
  return new Set(cols);
}

/**
 * The filter as SQL over a table's own columns: capture ids on `capture_id`, the time range on `[start, end]`
 * (one column for records, two for spans such as alerts, which match when they overlap the range). Columns
 * the table lacks are not filtered on.
 */
function filterSql(
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
    terms.push(`${end} >= @from`);
  }
  if (f.to !== undefined && start !== undefined && cols.has(start)) {
    params['to'] = f.to;
    terms.push(`${start} <= @to`);
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
export function captureRows(db: SqliteDb, f: ChartFilter): CaptureRow[] {
  const cols = new Set(['capture_id', 'first_packet', 'last_packet']);
  const w = filterSql(f, cols, 'first_packet', 'last_packet');
  return db
    .prepare(
      `SELECT id, source, format, status, error, started_at AS startedAt, first_packet AS firstPacket,
              last_packet AS lastPacket, packets, bytes, ip_packets AS ipPackets, malformed, truncated,
              dropped, if_dropped AS ifDropped
       FROM (SELECT *, id AS capture_id FROM captures) ${w.sql} ORDER BY id`,
    )
    .all(w.params) as CaptureRow[];
}

/** Flows in the report's captures and range; null when the database has no flows table. */
export function flowCount(db: SqliteDb, f: ChartFilter): number | null {
  const cols = tableColumns(db, 'flows');
  if (cols === null) return null;
  const w = filterSql(f, cols, 'ts');
  return db.prepare(`SELECT COUNT(*) FROM flows ${w.sql}`).pluck().get(w.params) as number;
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
export function topDomains(db: SqliteDb, f: ChartFilter, limit: number): DomainTable {
  const parts: string[] = [];
  const sources: DomainSource[] = [];
  let params: Params = {};
  for (const s of NAME_SOURCES) {
    const cols = tableColumns(db, s.table);
    const column = cols === null ? undefined : s.columns.find((c) => cols.has(c));
    if (cols === null || column === undefined) continue;
    const w = filterSql(f, cols, 'ts');
    params = { ...params, ...w.params };
    const notEmpty = `${column} IS NOT NULL AND ${column} <> ''`;
    parts.push(
      `SELECT lower(${column}) AS name, '${s.key}' AS source FROM ${s.table}
       ${w.sql === '' ? `WHERE ${notEmpty}` : `${w.sql} AND ${notEmpty}`}`,
    );
    sources.push(s.key);
  }
  if (parts.length === 0) return { sources, rows: [] };
  const rows = db
    .prepare(
      `SELECT name, SUM(source = 'dns') AS dns, SUM(source = 'tls') AS tls, SUM(source = 'http') AS http,
              COUNT(*) AS total
       FROM (${parts.join(' UNION ALL ')}) GROUP BY name ORDER BY total DESC, name LIMIT @limit`,
    )
    .all({ ...params, limit }) as DomainRow[];
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
export function alertTable(db: SqliteDb, f: ChartFilter, limit: number): AlertTable | null {
  const cols = tableColumns(db, 'alerts');
  if (cols === null) return null;
  const col = (name: string, as: string): string => (cols.has(name) ? `${name} AS ${as}` : `NULL AS ${as}`);
  const w = filterSql(f, cols, 'first_seen', 'last_seen');
  const total = db.prepare(`SELECT COUNT(*) FROM alerts ${w.sql}`).pluck().get(w.params) as number;
  const severity = cols.has('severity') ? 'severity' : 'NULL';
  const bySeverity = db
    .prepare(
      `SELECT COALESCE(CAST(${severity} AS TEXT), 'unknown') AS severity, COUNT(*) AS alerts
       FROM alerts ${w.sql} GROUP BY 1 ORDER BY MIN(${cols.has('severity') ? SEVERITY_RANK : '0'}), 1`,
    )
    .all(w.params) as { severity: string; alerts: number }[];
  const order = [
    cols.has('severity') ? SEVERITY_RANK : null,
    cols.has('count') ? 'count DESC' : null,
    cols.has('last_seen') ? 'last_seen DESC' : null,
    'rowid',
  ].filter((t) => t !== null);
  const rows = db
    .prepare(
      `SELECT ${col('type', 'type')}, ${col('severity', 'severity')}, ${col('src_ip', 'srcIp')},
              ${col('dst_ip', 'dstIp')}, ${col('first_seen', 'firstSeen')}, ${col('last_seen', 'lastSeen')},
              ${col('count', 'count')}, ${col('message', 'message')}, ${col('evidence', 'evidence')}
       FROM alerts ${w.sql} ORDER BY ${order.join(', ')} LIMIT @limit`,
    )
    .all({ ...w.params, limit }) as AlertRow[];
  return { total, bySeverity, rows };
}
