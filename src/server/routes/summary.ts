import type { FastifyInstance } from 'fastify';
import { trafficTotals } from '../../present/charts/query.js';
import type { CaptureInfo, Summary } from '../api-types.js';
import { dbTimeToMs, type ServerDb } from '../server-db.js';

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

export function summaryRoutes(app: FastifyInstance, db: ServerDb): void {
  app.get(
    '/api/summary',
    { schema: { summary: 'Packets, bytes, time span, flows, captures and which optional tables exist' } },
    (): Summary => {
      const totals = trafficTotals(db.reader, {});
      const features = db.features();
      const flows = features.flows
        ? (db.reader.prepare('SELECT COUNT(*) FROM flows').pluck().get() as number)
        : 0;
      const captures = (
        db.reader
          .prepare(
            `SELECT id, source, format, status, started_at, ended_at, packets, bytes, dropped, if_dropped
             FROM captures ORDER BY id DESC LIMIT 100`,
          )
          .all() as CaptureDbRow[]
      ).map((c): CaptureInfo => ({
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
        features,
      };
    },
  );
}
