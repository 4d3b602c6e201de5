import type { FastifyInstance } from 'fastify';
import { trafficTotals } from '../../present/charts/query.js';
import { sensorTerm, type QueryDb } from '../../store/query/query-db.js';
import type { CaptureInfo, Summary } from '../api-types.js';
import { dbTimeToMs, features, storedFlows } from '../server-db.js';

interface CaptureDbRow {
  id: number;
  source: string;
  format: string | null;
  status: string;
  started_at: string | null;
  ended_at: string | null;
  packets: number;
  bytes: number;
  dropped: number;
  if_dropped: number;
}

/** `captures.started_at`/`ended_at` are ISO 8601 wall-clock times; null stays null. */
const isoToMs = (t: string | null): number | null => (t === null ? null : Date.parse(t));

export function summaryRoutes(app: FastifyInstance, db: QueryDb): void {
  app.get(
    '/api/summary',
    { schema: { summary: 'Packets, bytes, time span, flows, captures and which optional tables exist' } },
    async (): Promise<Summary> => {
      const totals = await trafficTotals(db, {});
      const present = await features(db);
      const terms: string[] = [];
      const params: Record<string, string> = {};
      sensorTerm(db, terms, params);
      const where = terms.length === 0 ? '' : `WHERE ${terms.join(' AND ')}`;
      const flows = present.flows ? await storedFlows(db) : 0;
      const rows = await db.all<CaptureDbRow>(
        `SELECT id, source, format, status, started_at, ended_at, packets, bytes, dropped, if_dropped
         FROM captures ${where} ORDER BY id DESC LIMIT 100`,
        params,
      );
      const captures = rows.map((c): CaptureInfo => ({
        id: c.id,
        source: c.source,
        format: c.format,
        status: c.status,
        startedAt: isoToMs(c.started_at),
        endedAt: isoToMs(c.ended_at),
        packets: c.packets,
        bytes: c.bytes,
        dropped: c.dropped,
        ifDropped: c.if_dropped,
      }));
      return {
        packets: totals.packets,
        bytes: totals.bytes,
        first: totals.first === null ? null : dbTimeToMs(totals.first),
        last: totals.last === null ? null : dbTimeToMs(totals.last),
        flows,
        captures,
        features: present,
      };
    },
  );
}
