import type { FastifyInstance } from 'fastify';
import { chooseBuckets } from '../../present/charts/index.js';
import {
  hostClassSql,
  protocolTotals,
  timelineRates,
  topPorts,
  topTalkers,
  trafficTotals,
} from '../../present/charts/query.js';
import type {
  DestinationRow,
  DomainRow,
  Optional,
  PortRow,
  ProtocolRow,
  TalkerRow,
  TimelineResponse,
} from '../api-types.js';
import { perDialect, byteOrder, sensorTerm, type QueryDb } from '../../store/query/query-db.js';
import { hasTable } from '../server-db.js';
import { RANGE_PROPERTIES, chartFilter, querySchema, type RangeQuery } from './common.js';

const TOP_PROPERTIES = {
  ...RANGE_PROPERTIES,
  limit: { type: 'integer', minimum: 1, maximum: 100, default: 10 },
} as const;

interface TopQuery extends RangeQuery {
  limit: number;
}

interface TimelineQuery extends RangeQuery {
  series: number;
}

/** Aggregations over `traffic` (packets) and `flows`, all in SQL through the chart queries. */
export function trafficRoutes(app: FastifyInstance, db: QueryDb): void {
  app.get<{ Querystring: TimelineQuery }>(
    '/api/timeline',
    {
      schema: {
        summary: 'Packets/s and bits/s per protocol over time (at most 240 buckets)',
        querystring: querySchema({
          ...RANGE_PROPERTIES,
          series: { type: 'integer', minimum: 1, maximum: 20, default: 6 },
        }),
      },
    },
    async (req): Promise<TimelineResponse> => {
      const f = chartFilter(req.query);
      const totals = await trafficTotals(db, f);
      if (totals.first === null || totals.last === null)
        return { bucketSeconds: 1, t: [], series: [], packetsPerSec: {}, bitsPerSec: {} };
      const buckets = chooseBuckets(totals.first, totals.last);
      const rows = await timelineRates(db, f, buckets, req.query.series - 1);
      const t = Array.from({ length: buckets.count }, (_, k) => (buckets.origin + k * buckets.size) * 1000);
      const out: TimelineResponse = {
        bucketSeconds: buckets.size,
        t,
        series: [],
        packetsPerSec: {},
        bitsPerSec: {},
      };
      for (const r of rows) {
        const k = Math.round((r.t / 1000 - buckets.origin) / buckets.size);
        if (out.packetsPerSec[r.series] === undefined) {
          out.series.push(r.series);
          out.packetsPerSec[r.series] = new Array<number>(buckets.count).fill(0);
          out.bitsPerSec[r.series] = new Array<number>(buckets.count).fill(0);
        }
        // The chart query gives rates per `rateSeconds` (minutes, hours… on long ranges); the API is per second.
        out.packetsPerSec[r.series]![k] = r.packetRate / buckets.rateSeconds;
        out.bitsPerSec[r.series]![k] = r.bitRate / buckets.rateSeconds;
      }
      return out;
    },
  );

  app.get<{ Querystring: TopQuery }>(
    '/api/protocols',
    {
      schema: {
        summary: 'Packets and bytes per protocol; beyond limit the rest add up as other',
        querystring: querySchema(TOP_PROPERTIES),
      },
    },
    async (req): Promise<{ rows: ProtocolRow[] }> => ({
      rows: await protocolTotals(db, chartFilter(req.query), req.query.limit),
    }),
  );

  app.get<{ Querystring: TopQuery }>(
    '/api/top/talkers',
    {
      schema: { summary: 'Hosts by bytes sent plus received', querystring: querySchema(TOP_PROPERTIES) },
    },
    async (req): Promise<{ rows: TalkerRow[] }> => ({
      rows: await topTalkers(db, chartFilter(req.query), req.query.limit),
    }),
  );

  app.get<{ Querystring: TopQuery }>(
    '/api/top/ports',
    {
      schema: {
        summary: 'Service ports by packets (a packet counts for the lower of its two ports)',
        querystring: querySchema(TOP_PROPERTIES),
      },
    },
    async (req): Promise<{ rows: PortRow[] }> => ({
      rows: await topPorts(db, chartFilter(req.query), req.query.limit),
    }),
  );

  app.get<{ Querystring: TopQuery }>(
    '/api/top/destinations',
    {
      schema: {
        summary: 'Responders (flows.resp_h) by bytes of the flows that started in the range',
        querystring: querySchema(TOP_PROPERTIES),
      },
    },
    async (req): Promise<Optional<DestinationRow>> => {
      if (!(await hasTable(db, 'flows'))) return { available: false, rows: [] };
      const { where, params } = flowRange(db, req.query);
      if (!isRange(req.query)) {
        // Everything stored: from the per-day sums; classes only for the rows shown.
        const rows = await db.all<DestinationRow>(
          perDialect(
            (d) => `SELECT host, ${hostClassSql('host', d)} AS "hostClass", flows, bytes FROM (
               SELECT resp_h AS host, SUM(flows) AS flows, SUM(bytes) AS bytes FROM flow_destinations ${where}
               GROUP BY resp_h ORDER BY bytes DESC, ${byteOrder('resp_h', d)} LIMIT @limit) top
             ORDER BY bytes DESC, ${byteOrder('host', d)}`,
          ),
          { ...params, limit: req.query.limit },
        );
        return { available: true, rows };
      }
      const rows = await db.all<DestinationRow>(
        perDialect(
          (d) => `SELECT resp_h AS host, ${hostClassSql('resp_h', d)} AS "hostClass", COUNT(*) AS flows,
                  SUM(orig_ip_bytes + resp_ip_bytes) AS bytes
           FROM flows ${where} GROUP BY resp_h ORDER BY bytes DESC, ${byteOrder('resp_h', d)} LIMIT @limit`,
        ),
        { ...params, limit: req.query.limit },
      );
      return { available: true, rows };
    },
  );

  app.get<{ Querystring: TopQuery }>(
    '/api/top/domains',
    {
      schema: {
        summary: 'DNS query names by number of queries (needs the dns table)',
        querystring: querySchema(TOP_PROPERTIES),
      },
    },
    async (req): Promise<Optional<DomainRow>> => {
      const cols = (await hasTable(db, 'dns')) ? await db.columns('dns') : new Set<string>();
      if (!cols.has('query')) return { available: false, rows: [] };
      if (!isRange(req.query)) {
        // Everything stored: from the per-day sums.
        const { where, params } = flowRange(db, {});
        const rows = await db.all<DomainRow>(
          perDialect(
            (d) => `SELECT query AS domain, SUM(queries) AS queries FROM dns_queries ${where}
             GROUP BY query ORDER BY queries DESC, ${byteOrder('query', d)} LIMIT @limit`,
          ),
          { ...params, limit: req.query.limit },
        );
        return { available: true, rows };
      }
      // A dns table without its own ts_us is put in the range through its flows.
      const range = flowRange(db, req.query);
      const where =
        range.where === '' || cols.has('ts_us')
          ? range.where
          : `WHERE uid IN (SELECT uid FROM flows ${range.where})`;
      const params = range.params;
      const rows = await db.all<DomainRow>(
        perDialect(
          (d) => `SELECT query AS domain, COUNT(*) AS queries FROM dns
           ${where === '' ? 'WHERE' : `${where} AND`} query IS NOT NULL
           GROUP BY query ORDER BY queries DESC, ${byteOrder('query', d)} LIMIT @limit`,
        ),
        { ...params, limit: req.query.limit },
      );
      return { available: true, rows };
    },
  );
}

function isRange(q: RangeQuery): boolean {
  return q.from !== undefined || q.to !== undefined;
}

/** The terms of a `ts_us` range on a Zeek-style log table, for queries that add terms of their own. */
export function rangeTerms(q: RangeQuery): { terms: string[]; params: Record<string, number | string> } {
  const terms: string[] = [];
  const params: Record<string, number | string> = {};
  if (q.from !== undefined) {
    terms.push('ts_us >= @fromUs');
    params['fromUs'] = q.from * 1000;
  }
  if (q.to !== undefined) {
    terms.push('ts_us <= @toUs');
    params['toUs'] = q.to * 1000 + 999;
  }
  return { terms, params };
}

/**
 * A `ts_us` range on a Zeek-style log table (flows, and dns/tls/http when they carry ts_us), and the
 * sensor when the database is scoped to one.
 */
export function flowRange(
  db: QueryDb,
  q: RangeQuery,
): { where: string; params: Record<string, number | string> } {
  const { terms, params } = rangeTerms(q);
  sensorTerm(db, terms, params);
  return { where: terms.length === 0 ? '' : `WHERE ${terms.join(' AND ')}`, params };
}
