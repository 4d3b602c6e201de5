import type { FastifyInstance } from 'fastify';
import type { AlertRow, FlowDetail, FlowRow, Page, PacketRow } from '../api-types.js';
import { dbTimeToMs, msToDbTime, type ServerDb } from '../server-db.js';
import { alertsOfFlow } from './alerts.js';
import {
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

export function flowRoutes(app: FastifyInstance, db: ServerDb): void {
  app.get<{ Querystring: FlowQuery }>(
    '/api/flows',
    {
      schema: {
        summary: 'Flows (Zeek conn.log fields), filtered, sorted and paginated in SQL',
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
    (req): Page<FlowRow> => {
      const q = req.query;
      if (!db.hasTable('flows')) return { total: 0, limit: q.limit, offset: q.offset, rows: [] };
      const terms: string[] = [];
      const params: Record<string, string | number> = {};
      if (q.from !== undefined) {
        terms.push('ts_us >= @fromUs');
        params['fromUs'] = q.from * 1000;
      }
      if (q.to !== undefined) {
        terms.push('ts_us <= @toUs');
        params['toUs'] = q.to * 1000 + 999;
      }
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
      const where = terms.length === 0 ? '' : `WHERE ${terms.join(' AND ')}`;
      const dir = q.order === 'asc' ? 'ASC' : 'DESC';
      const rows = db.reader
        .prepare(
          `SELECT ${FLOW_COLUMNS} FROM flows ${where}
           ORDER BY ${FLOW_SORT[q.sort]} ${dir}, id ${dir} LIMIT @limit OFFSET @offset`,
        )
        .all({ ...params, limit: q.limit, offset: q.offset }) as FlowDbRow[];
      const total = db.reader.prepare(`SELECT COUNT(*) FROM flows ${where}`).pluck().get(params) as number;
      return { total, limit: q.limit, offset: q.offset, rows: rows.map(toFlowRow) };
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
    (req): FlowDetail => {
      const flow = findFlow(db, req.params.uid);
      const detail: FlowDetail = { flow, dns: null, tls: null, http: null, alerts: null };
      for (const t of METADATA_TABLES) {
        if (!db.hasTable(t) || !db.columns(t).has('uid')) continue;
        detail[t] = db.reader
          .prepare(`SELECT * FROM ${t} WHERE uid = ? LIMIT ${MAX_PAGE}`)
          .all(flow.uid) as Record<string, unknown>[];
      }
      detail.alerts = alertsOfFlow(db, flow) satisfies AlertRow[] | null;
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
    (req): { rows: PacketRow[]; truncated: boolean } => {
      const f = findFlow(db, req.params.uid);
      const rows = db.reader
        .prepare(
          `SELECT frame, timestamp, src_ip, src_port, dst_ip, dst_port, protocol, length FROM traffic
           WHERE timestamp >= @from AND timestamp <= @to
             AND ((src_ip = @a AND dst_ip = @b AND (@anyPort OR (src_port = @ap AND dst_port = @bp)))
               OR (src_ip = @b AND dst_ip = @a AND (@anyPort OR (src_port = @bp AND dst_port = @ap))))
             AND (@capture IS NULL OR capture_id = @capture)
           ORDER BY id LIMIT ${MAX_FLOW_PACKETS + 1}`,
        )
        .all({
          from: msToDbTime(Math.floor(f.ts)),
          to: msToDbTime(Math.ceil(f.ts + f.duration * 1000) + 1),
          a: f.orig_h,
          b: f.resp_h,
          ap: f.orig_p,
          bp: f.resp_p,
          capture: f.capture_id,
          // ICMP flows carry type and code where ports would be; its packets have no ports.
          anyPort: f.proto === 'icmp' ? 1 : 0,
        }) as (Omit<PacketRow, 'ts'> & { timestamp: string })[];
      return {
        truncated: rows.length > MAX_FLOW_PACKETS,
        rows: rows
          .slice(0, MAX_FLOW_PACKETS)
          .map(({ timestamp, ...r }) => ({ ts: dbTimeToMs(timestamp), ...r })),
      };
    },
  );
}

function findFlow(db: ServerDb, uid: string): FlowRow {
  const row = db.hasTable('flows')
    ? (db.reader.prepare(`SELECT ${FLOW_COLUMNS} FROM flows WHERE uid = ?`).get(uid) as FlowDbRow | undefined)
    : undefined;
  if (row === undefined) throw new NotFound(`no flow with uid ${uid}`);
  return toFlowRow(row);
}
