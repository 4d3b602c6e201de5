import type { FastifyInstance } from 'fastify';
import type { AlertRow, FlowDetail, FlowPage, FlowRow, PacketRow } from '../api-types.js';
import { byteOrder, perDialect, sensorTerm, type QueryDb } from '../../store/query/query-db.js';
import { dbTimeToMs, hasTable, msToDbTime, storedFlows } from '../server-db.js';
import { alertsOfFlow } from './alerts.js';
import { rangeTerms } from './traffic.js';
import {
  COUNT_CAP,
  MAX_PAGE,
  NotFound,
  ORDER_PROPERTY,
  PAGE_PROPERTIES,
  RANGE_PROPERTIES,
  likePrefix,
  querySchema,
  type RangeQuery,
} from './common.js';

/** Sort keys the API accepts, and the SQL each stands for (never user text in the SQL). */
const FLOW_SORT = {
  ts: 'ts_us',
  duration: 'duration',
  bytes: '(orig_ip_bytes + resp_ip_bytes)',
  packets: '(orig_pkts + resp_pkts)',
  orig_h: 'orig_h',
  resp_h: 'resp_h',
  resp_p: 'resp_p',
  proto: 'proto',
  service: 'service',
} as const;
type FlowSort = keyof typeof FLOW_SORT;
/** Sort keys over text, compared byte by byte in either database. */
const TEXT_SORTS: ReadonlySet<FlowSort> = new Set(['orig_h', 'resp_h', 'proto', 'service']);

const FLOW_COLUMNS = `uid, ts_us, duration, orig_h, orig_p, resp_h, resp_p, proto, service, conn_state, history,
  orig_pkts, orig_bytes, resp_pkts, resp_bytes, orig_ip_bytes, resp_ip_bytes, community_id, capture_id`;

interface FlowQuery extends RangeQuery {
  host?: string;
  port?: number;
  proto?: 'tcp' | 'udp' | 'icmp';
  service?: string;
  q?: string;
  sort: FlowSort;
  order: 'asc' | 'desc';
  limit: number;
  offset: number;
}

type FlowDbRow = Omit<FlowRow, 'ts'> & { ts_us: number };

const toFlowRow = ({ ts_us, ...rest }: FlowDbRow): FlowRow => ({ ts: ts_us / 1000, ...rest });

/** Application-layer tables joined to a flow by uid, once another part of nta creates them. */
const METADATA_TABLES = ['dns', 'tls', 'http'] as const;
/** Packets shown for one flow at most (the capture file has them all). */
const MAX_FLOW_PACKETS = 1000;

export function flowRoutes(app: FastifyInstance, db: QueryDb): void {
  app.get<{ Querystring: FlowQuery }>(
    '/api/flows',
    {
      schema: {
        summary:
          'Flows (Zeek conn.log fields), filtered, sorted and paginated in SQL; the matches of a filter are counted up to 100,500 (totalCapped)',
        querystring: querySchema({
          ...RANGE_PROPERTIES,
          host: { type: 'string', minLength: 1, maxLength: 64, description: 'Either side of the flow' },
          port: { type: 'integer', minimum: 0, maximum: 65535, description: 'Either side of the flow' },
          proto: { type: 'string', enum: ['tcp', 'udp', 'icmp'] },
          service: { type: 'string', minLength: 1, maxLength: 64 },
          q: {
            type: 'string',
            minLength: 1,
            maxLength: 128,
            description: 'Search: uid or community id, or the start of an address or service',
          },
          sort: { type: 'string', enum: Object.keys(FLOW_SORT), default: 'ts' },
          order: ORDER_PROPERTY,
          ...PAGE_PROPERTIES,
        }),
      },
    },
    async (req): Promise<FlowPage> => {
      const q = req.query;
      if (!(await hasTable(db, 'flows')))
        return { total: 0, totalCapped: false, limit: q.limit, offset: q.offset, rows: [] };
      const { terms, params } = rangeTerms(q);
      if (q.host !== undefined) {
        terms.push('(orig_h = @host OR resp_h = @host)');
        params['host'] = q.host;
      }
      if (q.port !== undefined) {
        terms.push('(orig_p = @port OR resp_p = @port)');
        params['port'] = q.port;
      }
      if (q.proto !== undefined) {
        terms.push('proto = @proto');
        params['proto'] = q.proto;
      }
      if (q.service !== undefined) {
        terms.push('service = @service');
        params['service'] = q.service;
      }
      if (q.q !== undefined) {
        terms.push(
          `(uid = @q OR community_id = @q OR orig_h LIKE @qp ESCAPE '\\' OR resp_h LIKE @qp ESCAPE '\\'
            OR service LIKE @qp ESCAPE '\\')`,
        );
        params['q'] = q.q;
        params['qp'] = likePrefix(q.q);
      }
      const filtered = terms.length > 0;
      sensorTerm(db, terms, params);
      const where = terms.length === 0 ? '' : `WHERE ${terms.join(' AND ')}`;
      const dir = q.order === 'asc' ? 'ASC' : 'DESC';
      const rows = await db.all<FlowDbRow>(
        perDialect(
          (d) => `SELECT ${FLOW_COLUMNS} FROM flows ${where}
           ORDER BY ${TEXT_SORTS.has(q.sort) ? byteOrder(FLOW_SORT[q.sort], d) : FLOW_SORT[q.sort]} ${dir}, id ${dir}
           LIMIT @limit OFFSET @offset`,
        ),
        { ...params, limit: q.limit, offset: q.offset },
      );
      // Unfiltered: every flow stored, from the sums. Filtered: a page that is not full is the last one, so
      // it ends at the total; else the matches are counted, up to COUNT_CAP.
      const lastPage = rows.length < q.limit && (rows.length > 0 || q.offset === 0);
      const counted = !filtered
        ? await storedFlows(db)
        : lastPage
          ? q.offset + rows.length
          : Number(
              (await db.get<{ n: number }>(
                `SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM flows ${where} LIMIT ${COUNT_CAP + 1}) matches`,
                params,
              ))!.n,
            );
      return {
        total: filtered ? Math.min(counted, COUNT_CAP) : counted,
        totalCapped: filtered && counted > COUNT_CAP,
        limit: q.limit,
        offset: q.offset,
        rows: rows.map(toFlowRow),
      };
    },
  );

  app.get<{ Params: { uid: string } }>(
    '/api/flows/:uid',
    {
      schema: {
        summary: "A flow and its metadata: DNS, TLS and HTTP records and alerts with the flow's uid",
        params: { type: 'object', properties: { uid: { type: 'string', maxLength: 64 } }, required: ['uid'] },
      },
    },
    async (req): Promise<FlowDetail> => {
      const flow = await findFlow(db, req.params.uid);
      const detail: FlowDetail = { flow, dns: null, tls: null, http: null, alerts: null };
      const tables = await db.tables();
      for (const t of METADATA_TABLES) {
        if (!tables.has(t) || !(await db.columns(t)).has('uid')) continue;
        const params: Record<string, string> = { uid: flow.uid };
        const terms = ['uid = @uid'];
        sensorTerm(db, terms, params);
        detail[t] = await db.all<Record<string, unknown>>(
          `SELECT * FROM ${t} WHERE ${terms.join(' AND ')} ORDER BY id LIMIT ${MAX_PAGE}`,
          params,
        );
      }
      detail.alerts = (await alertsOfFlow(db, flow)) satisfies AlertRow[] | null;
      return detail;
    },
  );

  app.get<{ Params: { uid: string } }>(
    '/api/flows/:uid/packets',
    {
      schema: {
        summary: "The flow's packets: traffic rows of its 5-tuple, either direction, within its time span",
        params: { type: 'object', properties: { uid: { type: 'string', maxLength: 64 } }, required: ['uid'] },
      },
    },
    async (req): Promise<{ rows: PacketRow[]; truncated: boolean }> => {
      const f = await findFlow(db, req.params.uid);
      const scope: string[] = [];
      const params: Record<string, string> = {};
      sensorTerm(db, scope, params);
      // PostgreSQL compares the time's timestamptz twin (daily partitions are pruned on it).
      const time = { sqlite: 'timestamp', postgres: 'ts' } as const;
      const at = (p: string, d: keyof typeof time): string =>
        d === 'postgres' ? `CAST(@${p} AS timestamptz)` : `@${p}`;
      const rows = await db.all<Omit<PacketRow, 'ts'> & { timestamp: string }>(
        perDialect(
          (d) => `SELECT frame, timestamp, src_ip, src_port, dst_ip, dst_port, protocol, length FROM traffic
           WHERE ${time[d]} >= ${at('from', d)} AND ${time[d]} <= ${at('to', d)}
             AND ((src_ip = @a AND dst_ip = @b AND (CAST(@anyPort AS INTEGER) = 1 OR (src_port = @ap AND dst_port = @bp)))
               OR (src_ip = @b AND dst_ip = @a AND (CAST(@anyPort AS INTEGER) = 1 OR (src_port = @bp AND dst_port = @ap))))
             AND (CAST(@capture AS BIGINT) IS NULL OR capture_id = @capture)
             ${scope.map((t) => `AND ${t}`).join(' ')}
           ORDER BY id LIMIT ${MAX_FLOW_PACKETS + 1}`,
        ),
        {
          ...params,
          from: msToDbTime(Math.floor(f.ts)),
          to: msToDbTime(Math.ceil(f.ts + f.duration * 1000) + 1),
          a: f.orig_h,
          b: f.resp_h,
          ap: f.orig_p,
          bp: f.resp_p,
          capture: f.capture_id,
          // ICMP flows carry type and code where ports would be; its packets have no ports.
          anyPort: f.proto === 'icmp' ? 1 : 0,
        },
      );
      return {
        truncated: rows.length > MAX_FLOW_PACKETS,
        rows: rows
          .slice(0, MAX_FLOW_PACKETS)
          .map(({ timestamp, ...r }) => ({ ts: dbTimeToMs(timestamp), ...r })),
      };
    },
  );
}

async function findFlow(db: QueryDb, uid: string): Promise<FlowRow> {
  const params: Record<string, string> = { uid };
  const terms = ['uid = @uid'];
  sensorTerm(db, terms, params);
  const row = (await hasTable(db, 'flows'))
    ? await db.get<FlowDbRow>(`SELECT ${FLOW_COLUMNS} FROM flows WHERE ${terms.join(' AND ')}`, params)
    : undefined;
  if (row === undefined) throw new NotFound(`no flow with uid ${uid}`);
  return toFlowRow(row);
}
