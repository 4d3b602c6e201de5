/**
 * Reading alerts and managing the allowlist kept in the database (`nta alerts`). Synchronous, outside the
 * packet path; opens the database for the duration of one call.
 */
import { existsSync } from 'node:fs';
import { NtaError } from '../../core/errors.js';
import { openSqlite } from './database.js';

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

export interface AllowRow {
  id: number;
  type: string | null;
  src: string | null;
  dst: string | null;
  port: number | null;
  domain: string | null;
  comment: string;
  alert_id: string | null;
  created_at: string;
}

function mustExist(path: string): void {
  if (!existsSync(path)) throw new NtaError('NTA_ERR_IO', `${path}: no such database`);
}

export function listAlerts(path: string, filter: { type?: string | undefined } = {}): AlertRow[] {
  mustExist(path);
  const db = openSqlite(path, { readonly: true });
  try {
    const where = filter.type === undefined ? '' : 'WHERE type = @type';
    return db
      .prepare(`SELECT * FROM alerts ${where} ORDER BY first_seen_us, id`)
      .all(filter.type === undefined ? {} : { type: filter.type }) as AlertRow[];
  } finally {
    db.close();
  }
}

/** The allowlist entries kept in the database; none when the database does not exist yet. */
export function listAllowlist(path: string): AllowRow[] {
  if (!existsSync(path)) return [];
  const db = openSqlite(path, { readonly: true });
  try {
    return db.prepare('SELECT * FROM allowlist ORDER BY id').all() as AllowRow[];
  } finally {
    db.close();
  }
}

/**
 * Turns an alert into an allowlist entry scoped by its type, source, destination and port; returns the
 * entry. Later runs against this database no longer raise it.
 */
export function muteAlert(path: string, alertId: string, comment: string): AllowRow {
  mustExist(path);
  const db = openSqlite(path);
  try {
    const a = db.prepare('SELECT * FROM alerts WHERE id = ?').get(alertId) as AlertRow | undefined;
    if (a === undefined) throw new NtaError('NTA_ERR_USAGE', `${path}: no alert ${alertId}`);
    const id = db
      .prepare(
        `INSERT INTO allowlist (type, src, dst, port, domain, comment, alert_id, created_at)
         VALUES (?, ?, ?, ?, NULL, ?, ?, ?)`,
      )
      .run(a.type, a.src_ip, a.dst_ip, a.dst_port, comment, a.id, new Date().toISOString()).lastInsertRowid;
    return db.prepare('SELECT * FROM allowlist WHERE id = ?').get(id) as AllowRow;
  } finally {
    db.close();
  }
}

export function removeAllowEntry(path: string, entryId: number): void {
  mustExist(path);
  const db = openSqlite(path);
  try {
    const r = db.prepare('DELETE FROM allowlist WHERE id = ?').run(entryId);
    if (r.changes === 0) throw new NtaError('NTA_ERR_USAGE', `${path}: no allowlist entry ${entryId}`);
  } finally {
    db.close();
  }
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

/** Where a capture's frames came from (`captures.file`: see migration 9). */
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
 * An alert, the flows its evidence names (`uidsOf` reads their uids from the evidence JSON) and every
 * capture row, for `nta alerts --pcap` and the dashboard's evidence download.
 */
export function readAlertEvidence(
  path: string,
  alertId: string,
  uidsOf: (evidence: string) => string[],
): AlertEvidenceRows {
  mustExist(path);
  const db = openSqlite(path, { readonly: true });
  try {
    const alert = db.prepare('SELECT * FROM alerts WHERE id = ?').get(alertId) as AlertRow | undefined;
    if (alert === undefined) throw new NtaError('NTA_ERR_USAGE', `${path}: no alert ${alertId}`);
    const byUid = db.prepare(
      `SELECT uid, capture_id, ts_us, duration, orig_h, orig_p, resp_h, resp_p, ip_proto FROM flows WHERE uid = ?`,
    );
    const flows = uidsOf(alert.evidence).flatMap((uid) => byUid.all(uid) as EvidenceFlowRow[]);
    const captures = db
      .prepare('SELECT id, source, format, file FROM captures ORDER BY id')
      .all() as CaptureFileRow[];
    return { alert, flows, captures };
  } finally {
    db.close();
  }
}
