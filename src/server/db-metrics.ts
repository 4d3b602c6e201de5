import type { AlertCount, MetricsSnapshot } from '../schema/metrics.js';
import type { ServerDb } from './server-db.js';
import { TrafficCounter } from './traffic-counter.js';

/**
 * /metrics of `nta serve` without --capture: the database as the captures writing into it left it. Packets
 * and bytes are the rows of `traffic` (IP packets only; counted once, then by the rows added since), drops
 * are summed over the finished captures (a running one reports its drops when it ends), flows are the ended
 * flows stored. Nothing here knows the flow table or the writer's queue, so those metrics are left out.
 */
export class DbMetrics {
  readonly #db: ServerDb;
  #traffic: TrafficCounter | undefined;

  constructor(db: ServerDb) {
    this.#db = db;
  }

  snapshot(): MetricsSnapshot {
    const db = this.#db;
    this.#traffic ??= new TrafficCounter(db);
    const drops = db.reader
      .prepare(
        `SELECT COALESCE(SUM(dropped), 0) AS kernel, COALESCE(SUM(if_dropped), 0) AS iface,
                COALESCE(SUM(status = 'running'), 0) AS running
         FROM captures`,
      )
      .get() as { kernel: number; iface: number; running: number };
    const flowsTotal = db.hasTable('flows')
      ? (db.reader.prepare('SELECT COUNT(*) FROM flows').pluck().get() as number)
      : null;
    const alerts = db.hasTable('alerts')
      ? (db.reader
          .prepare(
            'SELECT type, severity, COUNT(*) AS count FROM alerts GROUP BY type, severity ORDER BY 1, 2',
          )
          .all() as AlertCount[])
      : [];
    return {
      traffic: this.#traffic.read(),
      drops: { kernel: drops.kernel, interface: drops.iface, behind: null },
      flowsActive: null,
      flowsTotal,
      alerts,
      storeQueueDepth: null,
      captureUp: drops.running > 0,
    };
  }
}
