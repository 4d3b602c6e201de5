import type { AlertCount, MetricsSnapshot } from '../schema/metrics.js';
import { sensorTerm, type QueryDb } from '../store/query/query-db.js';
import { hasTable, storedFlows } from './server-db.js';
import { TrafficCounter } from './traffic-counter.js';

/**
 * /metrics of `nta serve` without --capture: the database as the captures writing into it left it (in
 * PostgreSQL, the rows of the sensor served, or of every sensor). Packets and bytes are the rows of
 * `traffic` (IP packets only; counted once, then by the rows added since), drops are summed over the
 * finished captures (a running one reports its drops when it ends), flows are the ended flows stored.
 * Nothing here knows the flow table or the writer's queue, so those metrics are left out.
 */
export class DbMetrics {
  readonly #db: QueryDb;
  #traffic: TrafficCounter | undefined;

  constructor(db: QueryDb) {
    this.#db = db;
  }

  async snapshot(): Promise<MetricsSnapshot> {
    const db = this.#db;
    this.#traffic ??= new TrafficCounter(db);
    const terms: string[] = [];
    const params: Record<string, string> = {};
    sensorTerm(db, terms, params);
    const where = terms.length === 0 ? '' : `WHERE ${terms.join(' AND ')}`;
    const drops = (await db.get<{ kernel: number; iface: number; running: number }>(
      `SELECT COALESCE(SUM(dropped), 0) AS kernel, COALESCE(SUM(if_dropped), 0) AS iface,
              COALESCE(SUM(CASE WHEN status = 'running' THEN 1 ELSE 0 END), 0) AS running
       FROM captures ${where}`,
      params,
    ))!;
    const flowsTotal = (await hasTable(db, 'flows')) ? await storedFlows(db) : null;
    const alerts = (await hasTable(db, 'alerts'))
      ? (
          await db.all<AlertCount>(
            `SELECT type, severity, COUNT(*) AS count FROM alerts ${where} GROUP BY type, severity ORDER BY 1, 2`,
            params,
          )
        ).map((a) => ({ ...a, count: Number(a.count) }))
      : [];
    return {
      traffic: await this.#traffic.read(),
      drops: { kernel: Number(drops.kernel), interface: Number(drops.iface), behind: null },
      flowsActive: null,
      flowsTotal,
      alerts,
      storeQueueDepth: null,
      captureUp: Number(drops.running) > 0,
    };
  }
}
