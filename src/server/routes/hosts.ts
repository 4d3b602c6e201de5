import type { FastifyInstance } from 'fastify';
import { HOST_CLASSES, hostClassSql } from '../../present/charts/query.js';
import type { HostDetail, HostPage, HostRow, PeerRow } from '../api-types.js';
import type { ServerDb } from '../server-db.js';
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
  name: 'hostName',
} as const;
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
 * Inventory rows per MAC: sums and spans over captures, the latest name, every address once (first seen
 * first). One pass per part, no per-device subquery; the vendor follows from the MAC, so any row's will do.
 * (A bare column beside a single MAX() comes from the row holding the maximum: SQLite documents this.)
 */
const DEVICES_SQL = `WITH
  names AS (SELECT mac, host_name, name_source, MAX(last_seen_us) FROM hosts WHERE host_name IS NOT NULL GROUP BY mac),
  addrs AS (SELECT mac, json_group_array(value) AS ips FROM (
    SELECT x.mac, j.value, MIN(x.first_seen_us) AS t, MIN(j.key) AS k FROM hosts x, json_each(x.ips) j
    GROUP BY x.mac, j.value ORDER BY x.mac, t, k) GROUP BY mac),
  d AS (SELECT mac, MAX(vendor) AS vendor, MAX(router) AS router, SUM(bytes_out) AS sent, SUM(bytes_in) AS received,
    MIN(first_seen_us) / 1000 AS first, MAX(last_seen_us) / 1000 AS last FROM hosts GROUP BY mac)
  SELECT d.mac AS host, 'device' AS kind, d.mac, d.vendor, names.host_name AS hostName,
    names.name_source AS nameSource, COALESCE(addrs.ips, '[]') AS ips, d.router, 'local' AS hostClass,
    NULL AS flows, d.sent, d.received, d.first, d.last
  FROM d LEFT JOIN names ON names.mac = d.mac LEFT JOIN addrs ON addrs.mac = d.mac`;

const ADDRESSES_SQL = `WITH ends AS (
    SELECT orig_h AS host, orig_ip_bytes AS sent, resp_ip_bytes AS received, ts_us FROM flows
    UNION ALL SELECT resp_h, resp_ip_bytes, orig_ip_bytes, ts_us FROM flows),
  h AS (SELECT host, COUNT(*) AS flows, SUM(sent) AS sent, SUM(received) AS received,
          MIN(ts_us) / 1000 AS first, MAX(ts_us) / 1000 AS last FROM ends GROUP BY host)
  SELECT host, 'address' AS kind, NULL AS mac, NULL AS vendor, NULL AS hostName, NULL AS nameSource,
    json_array(host) AS ips, 0 AS router, ${hostClassSql('host')} AS hostClass, flows, sent, received, first, last
  FROM h`;

interface HostDbRow extends Omit<HostRow, 'ips' | 'router'> {
  ips: string;
  router: number;
}

const toHostRow = ({ ips, router, ...r }: HostDbRow): HostRow => ({
  ...r,
  ips: JSON.parse(ips) as string[],
  router: router !== 0,
});

export function hostRoutes(app: FastifyInstance, db: ServerDb): void {
  const inventory = (): boolean =>
    db.hasTable('hosts') && db.reader.prepare('SELECT 1 FROM hosts LIMIT 1').get() !== undefined;

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
    (req): HostPage => {
      const q = req.query;
      const source = inventory() ? 'inventory' : 'flows';
      if (source === 'flows' && !db.hasTable('flows'))
        return { source, total: 0, limit: q.limit, offset: q.offset, rows: [] };
      const terms: string[] = [];
      const params: Record<string, string | number> = {};
      if (q.class !== undefined) {
        terms.push('hostClass = @class');
        params['class'] = q.class;
      }
      if (q.q !== undefined) {
        terms.push(`(host LIKE @qp ESCAPE '\\' OR hostName LIKE @qp ESCAPE '\\'
          OR EXISTS (SELECT 1 FROM json_each(ips) WHERE value LIKE @qp ESCAPE '\\'))`);
        params['qp'] = likePrefix(q.q.toLowerCase());
      }
      const where = terms.length === 0 ? '' : `WHERE ${terms.join(' AND ')}`;
      const dir = q.order === 'asc' ? 'ASC' : 'DESC';
      const from = source === 'inventory' ? DEVICES_SQL : ADDRESSES_SQL;
      // One pass: the window count gives the total of the filtered list alongside the page.
      const rows = db.reader
        .prepare(
          `SELECT *, COUNT(*) OVER () AS total FROM (${from}) ${where}
           ORDER BY ${HOST_SORT[q.sort]} ${dir}, host LIMIT @limit OFFSET @offset`,
        )
        .all({ ...params, limit: q.limit, offset: q.offset }) as (HostDbRow & { total: number })[];
      const total =
        rows[0]?.total ??
        (db.reader.prepare(`SELECT COUNT(*) FROM (${from}) ${where}`).pluck().get(params) as number);
      return {
        source,
        total,
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
    (req): HostDetail => {
      const key = req.params.host.toLowerCase();
      const device =
        MAC.test(key) && db.hasTable('hosts')
          ? (db.reader.prepare(`SELECT * FROM (${DEVICES_SQL}) WHERE host = ?`).get(key) as
              HostDbRow | undefined)
          : undefined;
      if (MAC.test(key) && device === undefined) throw new NotFound(`no device ${key} in the inventory`);
      const ips = device === undefined ? [req.params.host] : (JSON.parse(device.ips) as string[]);
      const hasFlows = db.hasTable('flows');
      if (device === undefined && !hasFlows) throw new NotFound(`no flows in this database`);
      const p = { ips: JSON.stringify(ips) };
      const mine = `WITH me(ip) AS (SELECT value FROM json_each(@ips))
        SELECT resp_h AS peer, orig_ip_bytes AS sent, resp_ip_bytes AS received, ts_us, proto, resp_p,
               0 AS answered FROM flows WHERE orig_h IN me
        UNION ALL SELECT orig_h, resp_ip_bytes, orig_ip_bytes, ts_us, proto, resp_p, 1
          FROM flows WHERE resp_h IN me AND orig_h NOT IN me`;
      const totals = hasFlows
        ? (db.reader
            .prepare(
              `SELECT COUNT(*) AS flows, COALESCE(SUM(sent), 0) AS sent, COALESCE(SUM(received), 0) AS received,
                      MIN(ts_us) / 1000 AS first, MAX(ts_us) / 1000 AS last FROM (${mine})`,
            )
            .get(p) as {
            flows: number;
            sent: number;
            received: number;
            first: number | null;
            last: number | null;
          })
        : { flows: 0, sent: 0, received: 0, first: null, last: null };
      if (device === undefined && totals.flows === 0)
        throw new NotFound(`no flows of host ${req.params.host}`);
      const host: HostRow =
        device === undefined
          ? {
              host: req.params.host,
              kind: 'address',
              mac: null,
              vendor: null,
              hostName: null,
              nameSource: null,
              ips,
              router: false,
              hostClass: db.reader
                .prepare(`SELECT ${hostClassSql('@h')}`)
                .pluck()
                .get({ h: req.params.host }) as string,
              flows: totals.flows,
              sent: totals.sent,
              received: totals.received,
              first: totals.first!,
              last: totals.last!,
            }
          : { ...toHostRow(device), flows: totals.flows };
      const empty: HostDetail['timeline'] = { bucketSeconds: 1, t: [], sent: [], received: [] };
      if (totals.flows === 0)
        return { host, timeline: empty, peers: [], services: [], alerts: alertsOfHosts(db, ips) };
      const first = totals.first!;
      const last = totals.last!;
      const span = Math.max(1, (last - first) / 1000);
      const size = Math.max(1, Math.ceil(span / HOST_BUCKETS));
      const origin = Math.floor(first / 1000 / size) * size;
      const count = Math.floor((last / 1000 - origin) / size) + 1;
      const t = Array.from({ length: count }, (_, k) => (origin + k * size) * 1000);
      const sent = new Array<number>(count).fill(0);
      const received = new Array<number>(count).fill(0);
      const buckets = db.reader
        .prepare(
          `SELECT CAST((ts_us / 1000000 - @origin) / @size AS INTEGER) AS k, SUM(sent) AS sent, SUM(received) AS received
           FROM (${mine}) GROUP BY 1`,
        )
        .all({ ...p, origin, size }) as { k: number; sent: number; received: number }[];
      for (const b of buckets) {
        sent[b.k] = b.sent;
        received[b.k] = b.received;
      }
      const peers = db.reader
        .prepare(
          `SELECT peer, COUNT(*) AS flows, SUM(sent + received) AS bytes FROM (${mine})
           GROUP BY peer ORDER BY bytes DESC, peer LIMIT 10`,
        )
        .all(p) as PeerRow[];
      const services = db.reader
        .prepare(
          `SELECT proto, resp_p AS port, COUNT(*) AS flows, SUM(sent + received) AS bytes FROM (${mine})
           WHERE answered = 1 GROUP BY proto, resp_p ORDER BY flows DESC, port LIMIT 10`,
        )
        .all(p) as HostDetail['services'];
      return {
        host,
        timeline: { bucketSeconds: size, t, sent, received },
        peers,
        services,
        alerts: alertsOfHosts(db, ips),
      };
    },
  );
}
