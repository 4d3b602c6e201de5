/**
 * Reading alerts and managing the allowlist kept in the database (`nta alerts`), SQLite or PostgreSQL.
 * Outside the packet path. In a shared PostgreSQL database an allowlist entry belongs to the sensor whose
 * alert was muted (or to every sensor when `sensor` is NULL); a reader scoped to a sensor sees its own
 * entries and the shared ones.
 */
import { existsSync } from 'node:fs';
import { NtaError } from '../../core/errors.js';
import type { AllowlistRow } from '../../schema/allowlist.js';
import { isPostgresUrl } from '../postgres/url.js';
import { byteOrder, openQueryDb, perDialect, sensorTerm, type QueryDb } from './query-db.js';

export interface AlertRow {
  id: string;
  type: string;
  variant: string | null;
  severity: string;
  src_ip: string;
  dst_ip: string | null;
  dst_port: number | null;
  first_seen: string;
  last_seen: string;
  count: number;
  message: string;
  evidence: string;
  mitre: string | null;
  capture_id: number | null;
}

type Params = Record<string, string | number | null>;

function where(terms: string[]): string {
  return terms.length === 0 ? '' : `WHERE ${terms.join(' AND ')}`;
}

/** Alerts in the order they began; ties by what they are (ids are random per run), then by id. */
export function listAlerts(db: QueryDb, filter: { type?: string | undefined } = {}): Promise<AlertRow[]> {
  const terms: string[] = [];
  const params: Params = {};
  if (filter.type !== undefined) {
    terms.push('type = @type');
    params['type'] = filter.type;
  }
  sensorTerm(db, terms, params);
  return db.all<AlertRow>(
    perDialect(
      (d) => `SELECT * FROM alerts ${where(terms)}
       ORDER BY first_seen_us, ${['type', 'src_ip', 'dst_ip'].map((c) => byteOrder(c, d)).join(', ')}, dst_port, id`,
    ),
    params,
  );
}

/** Entries this reader sees: all of them in SQLite; its sensor's and the shared ones in PostgreSQL. */
function allowScope(db: QueryDb, params: Params): string[] {
  if (db.sensor === undefined) return [];
  params['sensor'] = db.sensor;
  return ['(sensor IS NULL OR sensor = @sensor)'];
}

export function listAllowlist(db: QueryDb): Promise<AllowlistRow[]> {
  const params: Params = {};
  return db.all<AllowlistRow>(
    `SELECT id, type, src, dst, port, domain, comment, alert_id, created_at FROM allowlist
     ${where(allowScope(db, params))} ORDER BY id`,
    params,
  );
}

/**
 * The allowlist the detection engine of a run starts with: none while the SQLite file does not exist
 * yet; in PostgreSQL, the entries of `sensor` and the shared ones.
 */
export async function loadAllowlist(dbPath: string, sensor: string): Promise<AllowlistRow[]> {
  if (!isPostgresUrl(dbPath) && !existsSync(dbPath)) return [];
  const db = await openQueryDb(dbPath, isPostgresUrl(dbPath) ? { sensor } : {});
  try {
    return await listAllowlist(db);
  } finally {
    await db.close();
  }
}

/**
 * Turns an alert into an allowlist entry scoped by its type, source, destination and port; returns the
 * entry. Later runs against this database no longer raise it.
 */
export async function muteAlert(db: QueryDb, alertId: string, comment: string): Promise<AllowlistRow> {
  const params: Params = { id: alertId };
  const terms = ['id = @id'];
  sensorTerm(db, terms, params);
  const a = await db.get<AlertRow & { sensor?: string }>(`SELECT * FROM alerts ${where(terms)}`, params);
  if (a === undefined) throw new NtaError('NTA_ERR_USAGE', `${db.name}: no alert ${alertId}`);
  const values: Params = {
    type: a.type,
    src: a.src_ip,
    dst: a.dst_ip,
    port: a.dst_port,
    comment,
    alertId: a.id,
    createdAt: new Date().toISOString(),
    sensor: a.sensor ?? null,
  };
  const { rows } = await db.run<AllowlistRow>(
    {
      sqlite: `INSERT INTO allowlist (type, src, dst, port, domain, comment, alert_id, created_at)
        VALUES (@type, @src, @dst, @port, NULL, @comment, @alertId, @createdAt)
        RETURNING id, type, src, dst, port, domain, comment, alert_id, created_at`,
      postgres: `INSERT INTO allowlist (type, src, dst, port, domain, comment, alert_id, created_at, sensor)
        VALUES (@type, @src, @dst, @port, NULL, @comment, @alertId, @createdAt, @sensor)
        RETURNING id, type, src, dst, port, domain, comment, alert_id, created_at`,
    },
    values,
  );
  return rows[0]!;
}

export async function removeAllowEntry(db: QueryDb, entryId: number): Promise<void> {
  const params: Params = { id: entryId };
  const { changes } = await db.run(
    `DELETE FROM allowlist ${where(['id = @id', ...allowScope(db, params)])}`,
    params,
  );
  if (changes === 0) throw new NtaError('NTA_ERR_USAGE', `${db.name}: no allowlist entry ${entryId}`);
}

/** A flow named in an alert's evidence: the columns that find its packets again. */
export interface EvidenceFlowRow {
  uid: string;
  capture_id: number | null;
  ts_us: number;
  duration: number;
  orig_h: string;
  orig_p: number;
  resp_h: string;
  resp_p: number;
  ip_proto: number;
}

/**
 * Where a capture's frames came from (`captures.file`: SQLite migration 9). PostgreSQL keeps no `file`
 * column: its captures answer NULL there, so only captures read from a file still at `source` are found.
 */
export interface CaptureFileRow {
  id: number;
  source: string;
  format: string | null;
  file: string | null;
}

export interface AlertEvidenceRows {
  alert: AlertRow;
  flows: EvidenceFlowRow[];
  captures: CaptureFileRow[];
}

/**
 * An alert, the flows its evidence names (`uidsOf` reads their uids from the evidence JSON) and the
 * capture rows (in PostgreSQL, of the alert's sensor), for `nta alerts --pcap` and the dashboard's
 * evidence download.
 */
export async function readAlertEvidence(
  db: QueryDb,
  alertId: string,
  uidsOf: (evidence: string) => string[],
): Promise<AlertEvidenceRows> {
  const params: Params = { id: alertId };
  const terms = ['id = @id'];
  sensorTerm(db, terms, params);
  const alert = await db.get<AlertRow & { sensor?: string }>(`SELECT * FROM alerts ${where(terms)}`, params);
  if (alert === undefined) throw new NtaError('NTA_ERR_USAGE', `${db.name}: no alert ${alertId}`);
  const { sensor, ...alertRow } = alert;
  const scope: Params = sensor === undefined ? {} : { sensor };
  const scoped = sensor === undefined ? '' : ' AND sensor = @sensor';
  const flows: EvidenceFlowRow[] = [];
  for (const uid of uidsOf(alert.evidence))
    flows.push(
      ...(await db.all<EvidenceFlowRow>(
        `SELECT uid, capture_id, ts_us, duration, orig_h, orig_p, resp_h, resp_p, ip_proto FROM flows
         WHERE uid = @uid${scoped}`,
        { ...scope, uid },
      )),
    );
  const captures = await db.all<CaptureFileRow>(
    {
      sqlite: 'SELECT id, source, format, file FROM captures ORDER BY id',
      postgres: `SELECT id, source, format, NULL AS file FROM captures WHERE sensor = @sensor ORDER BY id`,
    },
    scope,
  );
  return { alert: alertRow, flows, captures };
}
