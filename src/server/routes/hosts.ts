import type { FastifyInstance } from 'fastify';
import { HOST_CLASSES, hostClassSql } from '../../present/charts/query.js';
import type { HostDetail, HostRow, Page, PeerRow } from '../api-types.js';
import type { ServerDb } from '../server-db.js';
import { alertsOfHost } from './alerts.js';
import { NotFound, ORDER_PROPERTY, PAGE_PROPERTIES, likePrefix, querySchema } from './common.js';

/**
 * Hosts as the flows show them: every address at either end of a flow, with what it sent and received
 * (IP bytes). A `hosts` inventory table, once detection writes one, can replace the aggregation here.
 */
const HOST_SORT = { bytes: 'sent + received', flows: 'flows', host: 'host', last: 'last' } as const;
/** Buckets of a host's traffic timeline at most. */
const HOST_BUCKETS = 120;

interface HostQuery {
  class?: (typeof HOST_CLASSES)[number];
  q?: string;
  sort: keyof typeof HOST_SORT;
  order: 'asc' | 'desc';
  limit: number;
  offset: number;
}

const HOSTS_SQL = `WITH ends AS (
    SELECT orig_h AS host, orig_ip_bytes AS sent, resp_ip_bytes AS received, ts_us FROM flows
    UNION ALL SELECT resp_h, resp_ip_bytes, orig_ip_bytes, ts_us FROM flows),
  h AS (SELECT host, COUNT(*) AS flows, SUM(sent) AS sent, SUM(received) AS received,
          MIN(ts_us) / 1000 AS first, MAX(ts_us) / 1000 AS last FROM ends GROUP BY host)
  SELECT host, ${hostClassSql('host')} AS hostClass, flows, sent, received, first, last FROM h`;

export function hostRoutes(app: FastifyInstance, db: ServerDb): void {
  app.get<{ Querystring: HostQuery }>(
    '/api/hosts',
    {
      schema: {
        summary: 'Hosts seen at either end of a flow, with flows and bytes sent and received',
        querystring: querySchema({
          class: { type: 'string', enum: [...HOST_CLASSES] },
          q: { type: 'string', minLength: 1, maxLength: 64, description: 'Start of the address' },
          sort: { type: 'string', enum: Object.keys(HOST_SORT), default: 'bytes' },
          order: ORDER_PROPERTY,
          ...PAGE_PROPERTIES,
        }),
      },
    },
    (req): Page<HostRow> => {
      const q = req.query;
      if (!db.hasTable('flows')) return { total: 0, limit: q.limit, offset: q.offset, rows: [] };
      const terms: string[] = [];
      const params: Record<string, string | number> = {};
      if (q.class !== undefined) {
        terms.push('hostClass = @class');
        params['class'] = q.class;
      }
      if (q.q !== undefined) {
        terms.push(`host LIKE @qp ESCAPE '\\'`);
        params['qp'] = likePrefix(q.q);
      }
      const where = terms.length === 0 ? '' : `WHERE ${terms.join(' AND ')}`;
      const dir = q.order === 'asc' ? 'ASC' : 'DESC';
      // One pass: the window count gives the total of the filtered list alongside the page.
      const rows = db.reader
        .prepare(
          `SELECT *, COUNT(*) OVER () AS total FROM (${HOSTS_SQL}) ${where}
           ORDER BY ${HOST_SORT[q.sort]} ${dir}, host LIMIT @limit OFFSET @offset`,
        )
        .all({ ...params, limit: q.limit, offset: q.offset }) as (HostRow & { total: number })[];
      const total =
        rows[0]?.total ??
        (db.reader.prepare(`SELECT COUNT(*) FROM (${HOSTS_SQL}) ${where}`).pluck().get(params) as number);
      return { total, limit: q.limit, offset: q.offset, rows: rows.map(({ total: _t, ...r }) => r) };
    },
  );

  app.get<{ Params: { host: string } }>(
    '/api/hosts/:host',
    {
      schema: {
        summary: 'One host: totals, traffic over time, top peers, services it answered, and its alerts',
        params: {
          type: 'object',
          properties: { host: { type: 'string', maxLength: 64 } },
          required: ['host'],
        },
      },
    },
    (req): HostDetail => {
      const host = req.params.host;
      if (!db.hasTable('flows')) throw new NotFound(`no flows in this database`);
      const mine = `SELECT orig_h AS host, resp_h AS peer, orig_ip_bytes AS sent, resp_ip_bytes AS received, ts_us,
                      proto, resp_p, 0 AS answered FROM flows WHERE orig_h = @h
                    UNION ALL SELECT resp_h, orig_h, resp_ip_bytes, orig_ip_bytes, ts_us, proto, resp_p, 1
                      FROM flows WHERE resp_h = @h AND orig_h <> @h`;
      const row = db.reader
        .prepare(
          `SELECT @h AS host, ${hostClassSql('@h')} AS hostClass, COUNT(*) AS flows, SUM(sent) AS sent,
                  SUM(received) AS received, MIN(ts_us) / 1000 AS first, MAX(ts_us) / 1000 AS last FROM (${mine})`,
        )
        .get({ h: host }) as HostRow;
      if (row.flows === 0) throw new NotFound(`no flows of host ${host}`);
      const span = Math.max(1, (row.last - row.first) / 1000);
      const size = Math.max(1, Math.ceil(span / HOST_BUCKETS));
      const origin = Math.floor(row.first / 1000 / size) * size;
      const count = Math.floor((row.last / 1000 - origin) / size) + 1;
      const t = Array.from({ length: count }, (_, k) => (origin + k * size) * 1000);
      const sent = new Array<number>(count).fill(0);
      const received = new Array<number>(count).fill(0);
      const buckets = db.reader
        .prepare(
          `SELECT CAST((ts_us / 1000000 - @origin) / @size AS INTEGER) AS k, SUM(sent) AS sent, SUM(received) AS received
           FROM (${mine}) GROUP BY 1`,
        )
        .all({ h: host, origin, size }) as { k: number; sent: number; received: number }[];
      for (const b of buckets) {
        sent[b.k] = b.sent;
        received[b.k] = b.received;
      }
      const peers = db.reader
        .prepare(
          `SELECT peer, COUNT(*) AS flows, SUM(sent + received) AS bytes FROM (${mine})
           GROUP BY peer ORDER BY bytes DESC, peer LIMIT 10`,
        )
        .all({ h: host }) as PeerRow[];
      const services = db.reader
        .prepare(
          `SELECT proto, resp_p AS port, COUNT(*) AS flows, SUM(sent + received) AS bytes FROM (${mine})
           WHERE answered = 1 GROUP BY proto, resp_p ORDER BY flows DESC, port LIMIT 10`,
        )
        .all({ h: host }) as HostDetail['services'];
      return {
        host: row,
        timeline: { bucketSeconds: size, t, sent, received },
        peers,
        services,
        alerts: alertsOfHost(db, host),
      };
    },
  );
}
