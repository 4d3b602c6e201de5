import type { FastifyInstance } from 'fastify';
import type { AlertRow, FlowDetail, FlowPage, FlowRow, PacketRow } from '../api-types.js';
import {
  byteOrder,
  perDialect,
  sensorTerm,
  type Dialect,
  type QueryDb,
  type Sql,
} from '../../store/query/query-db.js';
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
  querySchema,
  type RangeQuery,
} from './common.js';

/**
 * Sort keys the API accepts and the ORDER BY terms each stands for (never user text in the SQL), before the
 * final tie-break on id. Each order is one an index yields as it is (see the migrations), so a page is read
 * from the index instead of sorting every flow: an address or service sorts its flows newest first, like
 * the (column, ts_us) indexes. Protocols and ports are few values shared by millions of flows: filters, not
 * sorts.
 */
const FLOW_SORT = {
  ts: ['ts_us'],
  duration: ['duration'],
  bytes: ['(orig_ip_bytes + resp_ip_bytes)'],
  packets: ['(orig_pkts + resp_pkts)'],
  orig_h: ['orig_h', 'ts_us'],
  resp_h: ['resp_h', 'ts_us'],
  service: ['service', 'ts_us'],
} as const;
export type FlowSort = keyof typeof FLOW_SORT;
export const FLOW_SORTS = Object.keys(FLOW_SORT) as FlowSort[];
/** Sort keys over text, compared byte by byte in either database. */
const TEXT_SORTS: ReadonlySet<string> = new Set(['orig_h', 'resp_h', 'service']);

function orderBy(sort: FlowSort, dir: 'ASC' | 'DESC', d: Dialect): string {
  const terms = FLOW_SORT[sort].map((t) => {
    if (!TEXT_SORTS.has(t)) return `${t} ${dir}`;
    // PostgreSQL puts NULL last in ascending order; SQLite, and the index on service, first.
    const nulls = t === 'service' && d === 'postgres' ? (dir === 'ASC' ? ' NULLS FIRST' : ' NULLS LAST') : '';
    return `${byteOrder(t, d)} ${dir}${nulls}`;
  });
  return [...terms, `id ${dir}`].join(', ');
}

/**
 * What a search can be, told apart by its shape, so that each term the database gets has an index (one term
 * without would make the whole OR read every flow). A service is matched whole: a flow has one, and a range
 * of them (a prefix) would be a range of the service index, whose millions of matches would then be sorted
 * by time, where one name is read newest first. Community ids have no index: a hash, so each insert would
 * land on a random page (see the uid's time prefix in flow/uid.ts); finding one reads every flow.
 */
const UID_SHAPE = /^C[0-9A-Za-z]{8,}$/;
const COMMUNITY_ID_SHAPE = /^1:[0-9A-Za-z+/]{27}=$/;
const ADDRESS_PREFIX_SHAPE = /^[0-9a-f:.]+$/;
const SERVICE_SHAPE = /^[a-z][0-9a-z_-]*$/;

/** The search's terms, OR-ed; an address prefix as ranges (ASCII by its shape), which the indexes answer. */
function searchTerm(q: string, params: Record<string, string | number>): string {
  const terms: string[] = [];
  const lower = q.toLowerCase();
  const id = UID_SHAPE.test(q) ? 'uid' : COMMUNITY_ID_SHAPE.test(q) ? 'community_id' : null;
  if (id !== null) {
    terms.push(`${id} = @q`);
    params['q'] = q;
  }
  if (ADDRESS_PREFIX_SHAPE.test(lower)) {
    params['addressFrom'] = lower;
    params['addressTo'] = lower.slice(0, -1) + String.fromCharCode(lower.charCodeAt(lower.length - 1) + 1);
    for (const side of ['orig_h', 'resp_h']) terms.push(`(${side} >= @addressFrom AND ${side} < @addressTo)`);
  }
  if (SERVICE_SHAPE.test(lower)) {
    terms.push('service = @qService');
    params['qService'] = lower;
  }
  return terms.length === 0 ? '1 = 0' : `(${terms.join(' OR ')})`;
}

const FLOW_COLUMNS = `uid, ts_us, duration, orig_h, orig_p, resp_h, resp_p, proto, service, conn_state, history,
  orig_pkts, orig_bytes, resp_pkts, resp_bytes, orig_ip_bytes, resp_ip_bytes, community_id, capture_id`;

export interface FlowQuery extends RangeQuery {
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

/** The page's filters, each bound as the parameter of its name. */
const FLOW_FILTERS = [
  ['host', '(orig_h = @host OR resp_h = @host)'],
  ['port', '(orig_p = @port OR resp_p = @port)'],
  ['proto', 'proto = @proto'],
  ['service', 'service = @service'],
] as const;

/**
 * The flows page's statements: the page itself (with @limit and @offset to bind), the count of its matches
 * up to COUNT_CAP + 1, and whether it filters anything but the sensor.
 */
export function flowList(
  db: Pick<QueryDb, 'sensor'>,
  q: FlowQuery,
): { params: Record<string, string | number>; filtered: boolean; page: Sql; count: string } {
  const { terms, params } = rangeTerms(q);
  for (const [name, term] of FLOW_FILTERS) {
    const value = q[name];
    if (value === undefined) continue;
    terms.push(term);
    params[name] = value;
  }
  if (q.q !== undefined) terms.push(searchTerm(q.q, params));
  const filtered = terms.length > 0;
  sensorTerm(db, terms, params);
  const where = terms.length === 0 ? '' : `WHERE ${terms.join(' AND ')}`;
  const dir = q.order === 'asc' ? 'ASC' : 'DESC';
  const page = perDialect(
    (d) =>
      `SELECT ${FLOW_COLUMNS} FROM flows ${where} ORDER BY ${orderBy(q.sort, dir, d)} LIMIT @limit OFFSET @offset`,
  );
  const count = `SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM flows ${where} LIMIT ${COUNT_CAP + 1}) matches`;
  return { params, filtered, page, count };
}

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
            description: 'Search: a uid, a community id, the start of an address or a service name',
          },
          sort: { type: 'string', enum: FLOW_SORTS, default: 'ts' },
          order: ORDER_PROPERTY,
          ...PAGE_PROPERTIES,
        }),
      },
    },
    async (req): Promise<FlowPage> => {
      const q = req.query;
      if (!(await hasTable(db, 'flows')))
        return { total: 0, totalCapped: false, limit: q.limit, offset: q.offset, rows: [] };
      const list = flowList(db, q);
      const rows = await db.all<FlowDbRow>(list.page, { ...list.params, limit: q.limit, offset: q.offset });
      // Unfiltered: every flow stored, from the sums. Filtered: a page that is not full is the last one, so
      // it ends at the total; else the matches are counted, up to COUNT_CAP.
      const lastPage = rows.length < q.limit && (rows.length > 0 || q.offset === 0);
      const counted = !list.filtered
        ? await storedFlows(db)
        : lastPage
          ? q.offset + rows.length
          : Number((await db.get<{ n: number }>(list.count, list.params))!.n);
      return {
        total: list.filtered ? Math.min(counted, COUNT_CAP) : counted,
        totalCapped: list.filtered && counted > COUNT_CAP,
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
