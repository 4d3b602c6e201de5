import type { FastifyInstance } from 'fastify';
import { HOST_CLASSES, hostClassSql } from '../../present/charts/query.js';
import type { HostDetail, HostPage, HostRow, PeerRow } from '../api-types.js';
import { byteOrder, perDialect, sensorTerm, type Dialect, type QueryDb } from '../../store/query/query-db.js';
import { hasTable } from '../server-db.js';
import { alertsOfHosts } from './alerts.js';
import { NotFound, ORDER_PROPERTY, PAGE_PROPERTIES, likePrefix, querySchema } from './common.js';

/**
 * Hosts: the devices of the `hosts` inventory (schema/hosts.ts: one row per capture and MAC, summed here
 * per MAC) when the database has one; otherwise, as before the inventory existed, every address at either
 * end of a flow. A device's detail shows the traffic of all its addresses, from the flows.
 */
const HOST_SORT = {
  bytes: 'sent + received',
  flows: 'flows',
  host: 'host',
  last: 'last',
  name: '"hostName"',
} as const;
const hostSort = (key: keyof typeof HOST_SORT, d: Dialect): string =>
  key === 'host' || key === 'name' ? byteOrder(HOST_SORT[key], d) : HOST_SORT[key];
/** Buckets of a host's traffic timeline at most. */
const HOST_BUCKETS = 120;
const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;

interface HostQuery {
  class?: (typeof HOST_CLASSES)[number];
  q?: string;
  sort: keyof typeof HOST_SORT;
  order: 'asc' | 'desc';
  limit: number;
  offset: number;
}

/**
 * Inventory rows per MAC (of the rows `scope`, a WHERE term list joined by AND or nothing, selects): sums
 * and spans over captures, the latest name, every address once (first seen first). One pass per part, no
 * per-device subquery; the vendor follows from the MAC, so any row's will do. (SQLite: a bare column beside
 * a single MAX() comes from the row holding the maximum, as SQLite documents; PostgreSQL: DISTINCT ON.)
 */
const devicesSql = (d: Dialect, scope: string): string => {
  const and = scope === '' ? '' : ` AND ${scope}`;
  const where = scope === '' ? '' : `WHERE ${scope}`;
  const names =
    d === 'sqlite'
      ? `SELECT mac, host_name, name_source, MAX(last_seen_us) FROM hosts WHERE host_name IS NOT NULL${and}
         GROUP BY mac`
      : `SELECT DISTINCT ON (mac) mac, host_name, name_source FROM hosts WHERE host_name IS NOT NULL${and}
         ORDER BY mac, last_seen_us DESC`;
  const addrs =
    d === 'sqlite'
      ? `SELECT mac, json_group_array(value) AS ips FROM (
           SELECT x.mac, j.value, MIN(x.first_seen_us) AS t, MIN(j.key) AS k FROM hosts x, json_each(x.ips) j
           ${where} GROUP BY x.mac, j.value ORDER BY x.mac, t, k) GROUP BY mac`
      : `SELECT mac, json_agg(value ORDER BY t, k)::text AS ips FROM (
           SELECT x.mac, j.value, MIN(x.first_seen_us) AS t, MIN(j.k) AS k
           FROM hosts x, json_array_elements_text(x.ips::json) WITH ORDINALITY j(value, k)
           ${where} GROUP BY x.mac, j.value) a GROUP BY mac`;
  return `WITH
  names AS (${names}),
  addrs AS (${addrs}),
  d AS (SELECT mac, MAX(vendor) AS vendor, MAX(router) AS router, SUM(bytes_out) AS sent, SUM(bytes_in) AS received,
    MIN(first_seen_us) / 1000 AS first, MAX(last_seen_us) / 1000 AS last FROM hosts ${where} GROUP BY mac)
  SELECT d.mac AS host, 'device' AS kind, d.mac, d.vendor, names.host_name AS "hostName",
    names.name_source AS "nameSource", COALESCE(addrs.ips, '[]') AS ips, d.router, 'local' AS "hostClass",
    NULL AS flows, d.sent, d.received, d.first, d.last
  FROM d LEFT JOIN names ON names.mac = d.mac LEFT JOIN addrs ON addrs.mac = d.mac`;
};

/** Every host at either end of the flows `scope` (as above) selects. */
const addressesSql = (d: Dialect, scope: string): string => {
  const where = scope === '' ? '' : `WHERE ${scope}`;
  return `WITH ends AS (
    SELECT orig_h AS host, orig_ip_bytes AS sent, resp_ip_bytes AS received, ts_us FROM flows ${where}
    UNION ALL SELECT resp_h, resp_ip_bytes, orig_ip_bytes, ts_us FROM flows ${where}),
  h AS (SELECT host, COUNT(*) AS flows, SUM(sent) AS sent, SUM(received) AS received,
          MIN(ts_us) / 1000 AS first, MAX(ts_us) / 1000 AS last FROM ends GROUP BY host)
  SELECT host, 'address' AS kind, NULL AS mac, NULL AS vendor, NULL AS "hostName", NULL AS "nameSource",
    ${d === 'sqlite' ? 'json_array(host)' : 'json_build_array(host)::text'} AS ips, 0 AS router,
    ${hostClassSql('host', d)} AS "hostClass", flows, sent, received, first, last
  FROM h`;
};

/** Stands for ipsMatch in a filter written once for both dialects. */
const IPS_MATCH = '<ips match>';

/** Whether one of the addresses of a listed host (its `ips`, JSON text) starts with @qp. */
const ipsMatch = (d: Dialect): string =>
  d === 'sqlite'
    ? `EXISTS (SELECT 1 FROM json_each(ips) WHERE value LIKE @qp ESCAPE '\\')`
    : `EXISTS (SELECT 1 FROM json_array_elements_text(ips::json) v WHERE v LIKE @qp ESCAPE '\\')`;

interface HostDbRow extends Omit<HostRow, 'ips' | 'router'> {
  ips: string;
  router: number;
}

const toHostRow = ({ ips, router, ...r }: HostDbRow): HostRow => ({
  ...r,
  ips: JSON.parse(ips) as string[],
  router: Number(router) !== 0,
});

export function hostRoutes(app: FastifyInstance, db: QueryDb): void {
  const inventory = async (): Promise<boolean> => {
    if (!(await hasTable(db, 'hosts'))) return false;
    const params: Record<string, string> = {};
    const terms: string[] = [];
    sensorTerm(db, terms, params);
    const where = terms.length === 0 ? '' : `WHERE ${terms.join(' AND ')}`;
    return (await db.get(`SELECT 1 AS one FROM hosts ${where} LIMIT 1`, params)) !== undefined;
  };

  app.get<{ Querystring: HostQuery }>(
    '/api/hosts',
    {
      schema: {
        summary:
          'Hosts: the devices of the inventory (MAC, vendor, name, addresses, first/last seen, bytes), or without one the addresses of the flows',
        querystring: querySchema({
          class: { type: 'string', enum: [...HOST_CLASSES] },
          q: {
            type: 'string',
            minLength: 1,
            maxLength: 64,
            description: 'Start of the address, of the MAC or of the host name',
          },
          sort: { type: 'string', enum: Object.keys(HOST_SORT), default: 'bytes' },
          order: ORDER_PROPERTY,
          ...PAGE_PROPERTIES,
        }),
      },
    },
    async (req): Promise<HostPage> => {
      const q = req.query;
      const source = (await inventory()) ? 'inventory' : 'flows';
      if (source === 'flows' && !(await hasTable(db, 'flows')))
        return { source, total: 0, limit: q.limit, offset: q.offset, rows: [] };
      const terms: string[] = [];
      const params: Record<string, string | number> = {};
      if (q.class !== undefined) {
        terms.push('"hostClass" = @class');
        params['class'] = q.class;
      }
      if (q.q !== undefined) {
        terms.push(`(host LIKE @qp ESCAPE '\\' OR "hostName" LIKE @qp ESCAPE '\\' OR ${IPS_MATCH})`);
        params['qp'] = likePrefix(q.q.toLowerCase());
      }
      const where = (d: Dialect): string =>
        terms.length === 0 ? '' : `WHERE ${terms.join(' AND ').replace(IPS_MATCH, ipsMatch(d))}`;
      const scopeTerms: string[] = [];
      sensorTerm(db, scopeTerms, params);
      const scope = scopeTerms.join(' AND ');
      const dir = q.order === 'asc' ? 'ASC' : 'DESC';
      const from = (d: Dialect): string =>
        source === 'inventory' ? devicesSql(d, scope) : addressesSql(d, scope);
      // One pass: the window count gives the total of the filtered list alongside the page.
      const rows = await db.all<HostDbRow & { total: number }>(
        perDialect(
          (d) => `SELECT *, COUNT(*) OVER () AS total FROM (${from(d)}) hosts ${where(d)}
           ORDER BY ${hostSort(q.sort, d)} ${dir}, ${byteOrder('host', d)} LIMIT @limit OFFSET @offset`,
        ),
        { ...params, limit: q.limit, offset: q.offset },
      );
      const total =
        rows[0]?.total ??
        (await db.get<{ n: number }>(
          perDialect((d) => `SELECT COUNT(*) AS n FROM (${from(d)}) hosts ${where(d)}`),
          params,
        ))!.n;
      return {
        source,
        total: Number(total),
        limit: q.limit,
        offset: q.offset,
        rows: rows.map(({ total: _t, ...r }) => toHostRow(r)),
      };
    },
  );

  app.get<{ Params: { host: string } }>(
    '/api/hosts/:host',
    {
      schema: {
        summary:
          'One device (by MAC) or address: totals, traffic over time, top peers, services it answered, and its alerts',
        params: {
          type: 'object',
          properties: { host: { type: 'string', maxLength: 64 } },
          required: ['host'],
        },
      },
    },
    async (req): Promise<HostDetail> => {
      const key = req.params.host.toLowerCase();
      const params: Record<string, string | number> = {};
      const scope: string[] = [];
      sensorTerm(db, scope, params);
      let device: HostDbRow | undefined;
      if (MAC.test(key) && (await hasTable(db, 'hosts'))) {
        const deviceParams = { ...params, key };
        device = await db.get<HostDbRow>(
          perDialect((d) => `SELECT * FROM (${devicesSql(d, scope.join(' AND '))}) hosts WHERE host = @key`),
          deviceParams,
        );
      }
      if (MAC.test(key) && device === undefined) throw new NotFound(`no device ${key} in the inventory`);
      const ips = device === undefined ? [req.params.host] : (JSON.parse(device.ips) as string[]);
      const hasFlows = await hasTable(db, 'flows');
      if (device === undefined && !hasFlows) throw new NotFound(`no flows in this database`);
      const me = ips.map((ip, i) => {
        params[`ip${i}`] = ip;
        return `@ip${i}`;
      });
      const list = me.length === 0 ? 'NULL' : me.join(', ');
      const and = scope.map((t) => ` AND ${t}`).join('');
      const mine = `SELECT resp_h AS peer, orig_ip_bytes AS sent, resp_ip_bytes AS received, ts_us, proto, resp_p,
                      0 AS answered FROM flows WHERE orig_h IN (${list})${and}
                    UNION ALL SELECT orig_h, resp_ip_bytes, orig_ip_bytes, ts_us, proto, resp_p, 1
                      FROM flows WHERE resp_h IN (${list}) AND orig_h NOT IN (${list})${and}`;
      const totals = hasFlows
        ? (await db.get<{
            flows: number;
            sent: number;
            received: number;
            first: number | null;
            last: number | null;
          }>(
            `SELECT COUNT(*) AS flows, COALESCE(SUM(sent), 0) AS sent, COALESCE(SUM(received), 0) AS received,
                    MIN(ts_us) / 1000 AS first, MAX(ts_us) / 1000 AS last FROM (${mine}) mine`,
            params,
          ))!
        : { flows: 0, sent: 0, received: 0, first: null, last: null };
      if (device === undefined && Number(totals.flows) === 0)
        throw new NotFound(`no flows of host ${req.params.host}`);
      let host: HostRow;
      if (device === undefined) {
        const cls = (await db.get<{ c: string }>(
          perDialect((d) => `SELECT ${hostClassSql('CAST(@h AS TEXT)', d)} AS c`),
          { h: req.params.host },
        ))!;
        host = {
          host: req.params.host,
          kind: 'address',
          mac: null,
          vendor: null,
          hostName: null,
          nameSource: null,
          ips,
          router: false,
          hostClass: cls.c as HostRow['hostClass'],
          flows: totals.flows,
          sent: totals.sent,
          received: totals.received,
          first: totals.first!,
          last: totals.last!,
        };
      } else host = { ...toHostRow(device), flows: totals.flows };
      const empty: HostDetail['timeline'] = { bucketSeconds: 1, t: [], sent: [], received: [] };
      if (Number(totals.flows) === 0)
        return { host, timeline: empty, peers: [], services: [], alerts: await alertsOfHosts(db, ips) };
      const first = totals.first!;
      const last = totals.last!;
      const span = Math.max(1, (last - first) / 1000);
      const size = Math.max(1, Math.ceil(span / HOST_BUCKETS));
      const origin = Math.floor(first / 1000 / size) * size;
      const count = Math.floor((last / 1000 - origin) / size) + 1;
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
        host,
        timeline: { bucketSeconds: size, t, sent, received },
        peers,
        services,
        alerts: await alertsOfHosts(db, ips),
      };
    },
  );
}
