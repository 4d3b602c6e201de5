import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { NtaError } from '../../core/errors.js';
import { muteAlert } from '../../store/query/alerts.js';
import { byteOrder, perDialect, sensorTerm, type QueryDb } from '../../store/query/query-db.js';
import type { AlertPage, AlertRow, AllowEntry, FlowRow } from '../api-types.js';
import { dbTimeToMs, hasTable } from '../server-db.js';
import { Gone, NotFound, ORDER_PROPERTY, PAGE_PROPERTIES, querySchema } from './common.js';

/** Writes the evidence frames of alert `alertId` in the database `db` to a pcapng file at `outPath`. */
export type EvidenceWriter = (db: QueryDb, alertId: string, outPath: string) => Promise<{ frames: number }>;

/** pcapng's media type (the IETF draft's; Wireshark registers the same). */
const PCAPNG_TYPE = 'application/x-pcapng';
/** Longest allowlist comment accepted from the dashboard. */
const MAX_COMMENT = 500;

/**
 * Alerts from the `alerts` table (schema/alert.ts: id 'A' + base62, type, severity, src_ip, dst_ip, times,
 * count, message, evidence JSON). `acknowledged_at` (UTC text, NULL while open) is set by the dashboard.
 */
const SEVERITY_RANK = `CASE lower(severity) WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2
  WHEN 'low' THEN 1 ELSE 0 END`;
const ALERT_SORT = {
  last_seen: 'last_seen_us',
  first_seen: 'first_seen_us',
  severity: SEVERITY_RANK,
  count: 'count',
} as const;

interface AlertQuery {
  severity?: string;
  type?: string;
  host?: string;
  acknowledged?: boolean;
  sort: keyof typeof ALERT_SORT;
  order: 'asc' | 'desc';
  limit: number;
  offset: number;
}

interface AlertDbRow extends Omit<AlertRow, 'acknowledged' | 'evidence' | 'first_seen' | 'last_seen'> {
  first_seen: unknown;
  last_seen: unknown;
  evidence: unknown;
  ack: unknown;
}

/** A time as a detector may store it: database text, ISO 8601, or seconds/ms since 1970. */
function timeToMs(v: unknown): number | null {
  if (typeof v === 'number') return v < 1e11 ? v * 1000 : v;
  if (typeof v !== 'string') return null;
  const ms = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/.test(v) ? dbTimeToMs(v) : Date.parse(v);
  return Number.isNaN(ms) ? null : ms;
}

function toAlertRow(r: AlertDbRow): AlertRow {
  let evidence: unknown = r.evidence;
  if (typeof evidence === 'string') {
    try {
      evidence = JSON.parse(evidence);
    } catch {
      // not JSON: shown as the text it is
    }
  }
  return {
    id: r.id,
    type: r.type,
    severity: r.severity,
    src_ip: r.src_ip,
    dst_ip: r.dst_ip,
    first_seen: timeToMs(r.first_seen),
    last_seen: timeToMs(r.last_seen),
    count: r.count,
    message: r.message,
    evidence,
    acknowledged: r.ack !== null && r.ack !== undefined,
  };
}

function selectAlerts(): string {
  return `SELECT id, type, severity, src_ip, dst_ip, first_seen, last_seen, count, message, evidence,
    acknowledged_at AS ack FROM alerts`;
}

/**
 * Ties in any alert order go by what the alert is, never by its id alone (random per run), so SQLite and
 * PostgreSQL list the same alerts alike.
 */
const tieBreak = (dir: string, d: Parameters<typeof byteOrder>[1]): string =>
  ['type', 'src_ip', 'dst_ip', 'id'].map((c) => `${byteOrder(c, d)} ${dir}`).join(', ');

/** `match` and the sensor the database is scoped to, as a WHERE clause. */
function whereOf(db: QueryDb, match: string, params: Record<string, string | number | null>): string {
  const terms = [match];
  sensorTerm(db, terms, params);
  return `WHERE ${terms.join(' AND ')}`;
}

/** Alerts between the two ends of a flow (either direction), newest first; null without the table. */
export async function alertsOfFlow(db: QueryDb, flow: FlowRow): Promise<AlertRow[] | null> {
  if (!(await hasTable(db, 'alerts'))) return null;
  const params = { a: flow.orig_h, b: flow.resp_h };
  const where = whereOf(db, '((src_ip = @a AND dst_ip = @b) OR (src_ip = @b AND dst_ip = @a))', params);
  const rows = await db.all<AlertDbRow>(
    perDialect(
      (d) => `${selectAlerts()} ${where} ORDER BY last_seen_us DESC, ${tieBreak('DESC', d)} LIMIT 50`,
    ),
    params,
  );
  return rows.map(toAlertRow);
}

/**
 * Alerts where one of the addresses (a host's, or all of a device's) is either end, newest first; null
 * without the table.
 */
export async function alertsOfHosts(db: QueryDb, ips: readonly string[]): Promise<AlertRow[] | null> {
  if (!(await hasTable(db, 'alerts'))) return null;
  if (ips.length === 0) return [];
  const params: Record<string, string> = {};
  const names = ips.map((ip, i) => {
    params[`ip${i}`] = ip;
    return `@ip${i}`;
  });
  const list = names.join(', ');
  const where = whereOf(db, `(src_ip IN (${list}) OR dst_ip IN (${list}))`, params);
  const rows = await db.all<AlertDbRow>(
    perDialect(
      (d) => `${selectAlerts()} ${where} ORDER BY last_seen_us DESC, ${tieBreak('DESC', d)} LIMIT 50`,
    ),
    params,
  );
  return rows.map(toAlertRow);
}

export function alertRoutes(
  app: FastifyInstance,
  db: QueryDb,
  writeEvidence: EvidenceWriter | undefined,
): void {
  app.get<{ Querystring: AlertQuery }>(
    '/api/alerts',
    {
      schema: {
        summary: 'Alerts, filtered by severity, type, host and acknowledgement; paginated',
        querystring: querySchema({
          severity: { type: 'string', minLength: 1, maxLength: 32 },
          type: { type: 'string', minLength: 1, maxLength: 128 },
          host: { type: 'string', minLength: 1, maxLength: 64 },
          acknowledged: { type: 'boolean' },
          sort: { type: 'string', enum: Object.keys(ALERT_SORT), default: 'last_seen' },
          order: ORDER_PROPERTY,
          ...PAGE_PROPERTIES,
        }),
      },
    },
    async (req): Promise<AlertPage> => {
      const q = req.query;
      if (!(await hasTable(db, 'alerts')))
        return { available: false, total: 0, limit: q.limit, offset: q.offset, rows: [] };
      const terms: string[] = [];
      const params: Record<string, string | number> = {};
      if (q.severity !== undefined) {
        terms.push('severity = @severity');
        params['severity'] = q.severity;
      }
      if (q.type !== undefined) {
        terms.push('type = @type');
        params['type'] = q.type;
      }
      if (q.host !== undefined) {
        terms.push('(src_ip = @host OR dst_ip = @host)');
        params['host'] = q.host;
      }
      if (q.acknowledged !== undefined)
        terms.push(q.acknowledged ? 'acknowledged_at IS NOT NULL' : 'acknowledged_at IS NULL');
      sensorTerm(db, terms, params);
      const where = terms.length === 0 ? '' : `WHERE ${terms.join(' AND ')}`;
      const dir = q.order === 'asc' ? 'ASC' : 'DESC';
      const rows = await db.all<AlertDbRow>(
        perDialect(
          (d) => `${selectAlerts()} ${where} ORDER BY ${ALERT_SORT[q.sort]} ${dir}, ${tieBreak(dir, d)}
                  LIMIT @limit OFFSET @offset`,
        ),
        { ...params, limit: q.limit, offset: q.offset },
      );
      const total = (await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM alerts ${where}`, params))!.n;
      return { available: true, total, limit: q.limit, offset: q.offset, rows: rows.map(toAlertRow) };
    },
  );

  const idParams = {
    type: 'object',
    properties: { id: { type: 'string', pattern: '^A[0-9A-Za-z]{1,32}$' } },
    required: ['id'],
  } as const;

  const setAck = async (
    id: string,
    acknowledged: boolean,
  ): Promise<{ id: string; acknowledged: boolean }> => {
    if (!(await hasTable(db, 'alerts'))) throw new NotFound('this database has no alerts table');
    const params = { id, at: acknowledged ? new Date().toISOString() : null };
    const { changes } = await db.run(
      `UPDATE alerts SET acknowledged_at = CAST(@at AS TEXT) ${whereOf(db, 'id = @id', params)}`,
      params,
    );
    if (changes === 0) throw new NotFound(`no alert with id ${id}`);
    return { id, acknowledged };
  };

  app.post<{ Params: { id: string } }>(
    '/api/alerts/:id/ack',
    { schema: { summary: 'Acknowledge an alert', params: idParams } },
    (req) => setAck(req.params.id, true),
  );
  app.delete<{ Params: { id: string } }>(
    '/api/alerts/:id/ack',
    { schema: { summary: 'Take back the acknowledgement of an alert', params: idParams } },
    (req) => setAck(req.params.id, false),
  );

  const mustExist = async (id: string): Promise<void> => {
    if (!(await hasTable(db, 'alerts'))) throw new NotFound('this database has no alerts table');
    const params = { id };
    if (
      (await db.get(`SELECT 1 AS one FROM alerts ${whereOf(db, 'id = @id', params)}`, params)) === undefined
    )
      throw new NotFound(`no alert with id ${id}`);
  };

  app.get<{ Params: { id: string } }>(
    '/api/alerts/:id/pcap',
    {
      schema: {
        summary:
          "The alert's evidence packets as a pcapng file (an attachment), as nta alerts --pcap writes it",
        params: idParams,
      },
    },
    async (req, reply) => {
      const id = req.params.id;
      await mustExist(id);
      if (writeEvidence === undefined) throw new NotFound('this server does not export evidence packets');
      const dir = await mkdtemp(join(tmpdir(), 'nta-evidence-'));
      const file = join(dir, `${id}.pcapng`);
      try {
        await writeEvidence(db, id, file);
      } catch (err) {
        await rm(dir, { recursive: true, force: true });
        // The capture cannot be read again (live without -w, moved, deleted): the packets are gone.
        if (err instanceof NtaError && err.code === 'NTA_ERR_IO') throw new Gone(err.message);
        if (err instanceof NtaError && err.code === 'NTA_ERR_USAGE') throw new NotFound(err.message);
        throw err;
      }
      const stream = createReadStream(file);
      stream.on('close', () => void rm(dir, { recursive: true, force: true }));
      return reply
        .type(PCAPNG_TYPE)
        .header('content-disposition', `attachment; filename="nta-alert-${id}.pcapng"`)
        .send(stream);
    },
  );

  app.post<{ Params: { id: string }; Body: { comment: string } }>(
    '/api/alerts/:id/mute',
    {
      schema: {
        summary: 'Mute similar alerts: an allowlist entry with a comment, as nta alerts mute makes',
        params: idParams,
        body: {
          type: 'object',
          properties: { comment: { type: 'string', minLength: 1, maxLength: MAX_COMMENT, pattern: '\\S' } },
          required: ['comment'],
          additionalProperties: false,
        },
      },
    },
    async (req): Promise<AllowEntry> => {
      await mustExist(req.params.id);
      return muteAlert(db, req.params.id, req.body.comment.trim());
    },
  );
}
