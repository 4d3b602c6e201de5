import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AlertPage, AlertRow, FlowRow } from '../api-types.js';
import { dbTimeToMs, type ServerDb } from '../server-db.js';
import { NotFound, ORDER_PROPERTY, PAGE_PROPERTIES, querySchema } from './common.js';

/**
 * Alerts from the `alerts` table (id, type, severity, src_ip, dst_ip, first_seen, last_seen, count, message,
 * evidence JSON), once detection creates it. Acknowledging needs an `acknowledged_at` column (TEXT, null
 * while unacknowledged); without it the acknowledge routes answer 409 and every alert reads unacknowledged.
 */
const ACK_COLUMN = 'acknowledged_at';
const SEVERITY_RANK = `CASE lower(severity) WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2
  WHEN 'low' THEN 1 ELSE 0 END`;
const ALERT_SORT = {
  last_seen: 'last_seen',
  first_seen: 'first_seen',
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

function selectAlerts(db: ServerDb): string {
  const ack = db.columns('alerts').has(ACK_COLUMN) ? ACK_COLUMN : 'NULL';
  return `SELECT id, type, severity, src_ip, dst_ip, first_seen, last_seen, count, message, evidence,
    ${ack} AS ack FROM alerts`;
}

/** Alerts between the two ends of a flow (either direction), newest first; null without the table. */
export function alertsOfFlow(db: ServerDb, flow: FlowRow): AlertRow[] | null {
  if (!db.hasTable('alerts')) return null;
  return (
    db.reader
      .prepare(
        `${selectAlerts(db)} WHERE (src_ip = @a AND dst_ip = @b) OR (src_ip = @b AND dst_ip = @a)
         ORDER BY last_seen DESC LIMIT 50`,
      )
      .all({ a: flow.orig_h, b: flow.resp_h }) as AlertDbRow[]
  ).map(toAlertRow);
}

/** Alerts where the host is either end, newest first; null without the table. */
export function alertsOfHost(db: ServerDb, host: string): AlertRow[] | null {
  if (!db.hasTable('alerts')) return null;
  return (
    db.reader
      .prepare(`${selectAlerts(db)} WHERE src_ip = @h OR dst_ip = @h ORDER BY last_seen DESC LIMIT 50`)
      .all({ h: host }) as AlertDbRow[]
  ).map(toAlertRow);
}

export function alertRoutes(app: FastifyInstance, db: ServerDb): void {
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
    (req): AlertPage => {
      const q = req.query;
      if (!db.hasTable('alerts'))
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
      if (q.acknowledged !== undefined) {
        const hasAck = db.columns('alerts').has(ACK_COLUMN);
        if (!hasAck) terms.push(q.acknowledged ? '0' : '1');
        else terms.push(q.acknowledged ? `${ACK_COLUMN} IS NOT NULL` : `${ACK_COLUMN} IS NULL`);
      }
      const where = terms.length === 0 ? '' : `WHERE ${terms.join(' AND ')}`;
      const dir = q.order === 'asc' ? 'ASC' : 'DESC';
      const rows = db.reader
        .prepare(
          `${selectAlerts(db)} ${where} ORDER BY ${ALERT_SORT[q.sort]} ${dir}, id ${dir} LIMIT @limit OFFSET @offset`,
        )
        .all({ ...params, limit: q.limit, offset: q.offset }) as AlertDbRow[];
      const total = db.reader.prepare(`SELECT COUNT(*) FROM alerts ${where}`).pluck().get(params) as number;
      return { available: true, total, limit: q.limit, offset: q.offset, rows: rows.map(toAlertRow) };
    },
  );

  const idParams = {
    type: 'object',
    properties: { id: { type: 'integer', minimum: 1 } },
    required: ['id'],
  } as const;

  const setAck = (
    id: number,
    acknowledged: boolean,
    reply: FastifyReply,
  ): { id: number; acknowledged: boolean } | void => {
    if (!db.hasTable('alerts')) throw new NotFound('this database has no alerts table');
    if (!db.columns('alerts').has(ACK_COLUMN)) {
      void reply.code(409).send({
        statusCode: 409,
        error: 'Conflict',
        message: `the alerts table has no ${ACK_COLUMN} column: alerts cannot be acknowledged in this database`,
      });
      return;
    }
    const changed = db
      .writer()
      .prepare(`UPDATE alerts SET ${ACK_COLUMN} = @at WHERE id = @id`)
      .run({ id, at: acknowledged ? new Date().toISOString() : null }).changes;
    if (changed === 0) throw new NotFound(`no alert with id ${id}`);
    return { id, acknowledged };
  };

  app.post<{ Params: { id: number } }>(
    '/api/alerts/:id/ack',
    { schema: { summary: 'Acknowledge an alert', params: idParams } },
    (req, reply) => setAck(req.params.id, true, reply),
  );
  app.delete<{ Params: { id: number } }>(
    '/api/alerts/:id/ack',
    { schema: { summary: 'Take back the acknowledgement of an alert', params: idParams } },
    (req, reply) => setAck(req.params.id, false, reply),
  );
}
