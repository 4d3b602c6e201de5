import type { TrafficTotals } from '../schema/metrics.js';
import { sensorTerm, type QueryDb } from '../store/query/query-db.js';

/**
 * Packets and bytes per protocol in the `traffic` table from a given row on, kept current by counting only
 * the rows past the last `traffic.id` seen: a rowid range in SQLite, a BRIN-indexed range in PostgreSQL, so
 * a look costs what was added, not the size of the table (the first look from row 0 reads it all once). In
 * PostgreSQL, a batch that commits after a later-numbered one from another sensor is missed by the
 * counters; the tables have it.
 */
export class TrafficCounter {
  readonly #db: QueryDb;
  readonly #packets: Record<string, number> = {};
  readonly #bytes: Record<string, number> = {};
  #lastId: number;

  /** Counts rows after `afterId`; `latestId(db)` counts only what is added from now on. */
  constructor(db: QueryDb, afterId = 0) {
    this.#db = db;
    this.#lastId = afterId;
  }

  /** The newest traffic id now: the identity sequence's in PostgreSQL (MAX(id) would read every row). */
  static async latestId(db: QueryDb): Promise<number> {
    const row = await db.get<{ id: number | null }>({
      sqlite: 'SELECT MAX(id) AS id FROM traffic',
      postgres: `SELECT last_value AS id FROM pg_sequences
                 WHERE schemaname = current_schema() AND sequencename = 'traffic_id_seq'`,
    });
    return Number(row?.id ?? 0);
  }

  async read(): Promise<TrafficTotals> {
    const terms = ['id > @after'];
    const params: Record<string, string | number> = { after: this.#lastId };
    sensorTerm(this.#db, terms, params);
    const rows = await this.#db.all<{ protocol: string; n: number; bytes: number; top: number }>(
      `SELECT COALESCE(protocol, 'unknown') AS protocol, COUNT(*) AS n, COALESCE(SUM(length), 0) AS bytes,
              MAX(id) AS top
       FROM traffic WHERE ${terms.join(' AND ')} GROUP BY 1`,
      params,
    );
    for (const r of rows) {
      this.#packets[r.protocol] = (this.#packets[r.protocol] ?? 0) + Number(r.n);
      this.#bytes[r.protocol] = (this.#bytes[r.protocol] ?? 0) + Number(r.bytes);
      this.#lastId = Math.max(this.#lastId, Number(r.top));
    }
    return { packets: { ...this.#packets }, bytes: { ...this.#bytes } };
  }
}
