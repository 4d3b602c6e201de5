import type { FastifyInstance } from 'fastify';
import { HOST_CLASSES, hostClassSql } from '../../present/charts/query.js';
import type { HostDetail, HostRow, Page, PeerRow } from '../api-types.js';
import { byteOrder, perDialect, sensorTerm, type Dialect, type QueryDb } from '../../store/query/query-db.js';
import { hasTable } from '../server-db.js';
import { alertsOfHost } from './alerts.js';
import { NotFound, ORDER_PROPERTY, PAGE_PROPERTIES, likePrefix, querySchema } from './common.js';

/**
 * Hosts as the flows show them: every address at either end of a flow, with what it sent and received
 * (IP bytes). A `hosts` inventory table, once detection writes one, can replace the aggregation here.
 */
const HOST_SORT = { bytes: 'sent + received', flows: 'flows', host: 'host', last: 'last' } as const;
const hostSort = (key: keyof typeof HOST_SORT, d: Dialect): string =>
  key === 'host' ? byteOrder('host', d) : HOST_SORT[key];
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

/** Every host at either end of the flows `scope` (a WHERE clause, or none) selects. */
const hostsSql = (d: Dialect, scope: string): string => `WITH ends AS (
    SELECT orig_h AS host, orig_ip_bytes AS sent, resp_ip_bytes AS received, ts_us FROM flows ${scope}
    UNION ALL SELECT resp_h, resp_ip_bytes, orig_ip_bytes, ts_us FROM flows ${scope}),
  h AS (SELECT host, COUNT(*) AS flows, SUM(sent) AS sent, SUM(received) AS received,
          MIN(ts_us) / 1000 AS first, MAX(ts_us) / 1000 AS last FROM ends GROUP BY host)
  SELECT host, ${hostClassSql('host', d)} AS "hostClass", flows, sent, received, first, last FROM h`;

export function hostRoutes(app: FastifyInstance, db: QueryDb): void {
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
    async (req): Promise<Page<HostRow>> => {
      const q = req.query;
      if (!(await hasTable(db, 'flows'))) return { total: 0, limit: q.limit, offset: q.offset, rows: [] };
      const terms: string[] = [];
      const params: Record<string, string | number> = {};
      if (q.class !== undefined) {
        terms.push('"hostClass" = @class');
        params['class'] = q.class;
      }
      if (q.q !== undefined) {
        terms.push(`host LIKE @qp ESCAPE '\\'`);
        params['qp'] = likePrefix(q.q);
      }
      const where = terms.length === 0 ? '' : `WHERE ${terms.join(' AND ')}`;
      const scopeTerms: string[] = [];
      sensorTerm(db, scopeTerms, params);
      const scope = scopeTerms.length === 0 ? '' : `WHERE ${scopeTerms.join(' AND ')}`;
      const dir = q.order === 'asc' ? 'ASC' : 'DESC';
      // One pass: the window count gives the total of the filtered list alongside the page.
      const rows = await db.all<HostRow & { total: number }>(
        perDialect(
          (d) => `SELECT *, COUNT(*) OVER () AS total FROM (${hostsSql(d, scope)}) hosts ${where}
           ORDER BY ${hostSort(q.sort, d)} ${dir}, ${byteOrder('host', d)} LIMIT @limit OFFSET @offset`,
        ),
        { ...params, limit: q.limit, offset: q.offset },
      );
      const total =
        rows[0]?.total ??
        (await db.get<{ n: number }>(
          perDialect((d) => `SELECT COUNT(*) AS n FROM (${hostsSql(d, scope)}) hosts ${where}`),
          params,
        ))!.n;
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
    async (req): Promise<HostDetail> => {
      const host = req.params.host;
      if (!(await hasTable(db, 'flows'))) throw new NotFound(`no flows in this database`);
      const params: Record<string, string | number> = { h: host };
      const scope: string[] = [];
      sensorTerm(db, scope, params);
      const and = scope.map((t) => ` AND ${t}`).join('');
      const mine = `SELECT orig_h AS host, resp_h AS peer, orig_ip_bytes AS sent, resp_ip_bytes AS received, ts_us,
                      proto, resp_p, 0 AS answered FROM flows WHERE orig_h = @h${and}
                    UNION ALL SELECT resp_h, orig_h, resp_ip_bytes, orig_ip_bytes, ts_us, proto, resp_p, 1
                      FROM flows WHERE resp_h = @h AND orig_h <> @h${and}`;
      const row = (await db.get<HostRow>(
        perDialect(
          (d) => `SELECT CAST(@h AS TEXT) AS host, ${hostClassSql('CAST(@h AS TEXT)', d)} AS "hostClass",
                  COUNT(*) AS flows, SUM(sent) AS sent, SUM(received) AS received, MIN(ts_us) / 1000 AS first,
                  MAX(ts_us) / 1000 AS last FROM (${mine}) mine`,
        ),
        params,
      ))!;
      if (row.flows === 0) throw new NotFound(`no flows of host ${host}`);
      const span = Math.max(1, (row.last - row.first) / 1000);
      const size = Math.max(1, Math.ceil(span / HOST_BUCKETS));
      const origin = Math.floor(row.first / 1000 / size) * size;
      const count = Math.floor((row.last / 1000 - origin) / size) + 1;
      const t = Array.from({ length: count }, (_, k) => (origin + k * size) * 1000);
      const sent = new Array<number>(count).fill(0);
      const received = new Array<number>(count).fill(0);
      const buckets = await db.all<{ k: number; sent: number; received: number }>(
        `SELECT CAST((ts_us / 1000000 - @origin) / @size AS INTEGER) AS k, SUM(sent) AS sent, SUM(received) AS received
         FROM (${mine}) mine GROUP BY 1`,
        { ...params, origin, size },
      );
      for (const b of buckets) {
        sent[b.k] = b.sent;
        received[b.k] = b.received;
      }
      const peers = await db.all<PeerRow>(
        perDialect(
          (d) => `SELECT peer, COUNT(*) AS flows, SUM(sent + received) AS bytes FROM (${mine}) mine
           GROUP BY peer ORDER BY bytes DESC, ${byteOrder('peer', d)} LIMIT 10`,
        ),
        params,
      );
      const services = await db.all<HostDetail['services'][number]>(
        perDialect(
          (
            d,
          ) => `SELECT proto, resp_p AS port, COUNT(*) AS flows, SUM(sent + received) AS bytes FROM (${mine}) mine
           WHERE answered = 1 GROUP BY proto, resp_p ORDER BY flows DESC, port, ${byteOrder('proto', d)} LIMIT 10`,
        ),
        params,
      );
      return {
        host: row,
        timeline: { bucketSeconds: size, t, sent, received },
        peers,
        services,
        alerts: await alertsOfHost(db, host),
      };
    },
  );
}
