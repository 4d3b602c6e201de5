import type { TrafficTotals } from '../schema/metrics.js';
import type { ServerDb } from './server-db.js';

/**
 * Packets and bytes per protocol in the `traffic` table from a given row on, kept current by counting only
 * the rows added since the last look: a rowid range, so a look costs what was added, not the size of the
 * table (the first look from row 0 reads it all once).
 */
export class TrafficCounter {
  readonly #db: ServerDb;
  readonly #packets: Record<string, number> = {};
  readonly #bytes: Record<string, number> = {};
  #lastId: number;

  /** Counts rows after `afterId`; `latestId(db)` counts only what is added from now on. */
  constructor(db: ServerDb, afterId = 0) {
    this.#db = db;
    this.#lastId = afterId;
  }

  static latestId(db: ServerDb): number {
    return (db.reader.prepare('SELECT COALESCE(MAX(id), 0) FROM traffic').pluck().get() as number) ?? 0;
  }

  read(): TrafficTotals {
    const maxId = TrafficCounter.latestId(this.#db);
    if (maxId > this.#lastId) {
      const rows = this.#db.reader
        .prepare(
          `SELECT COALESCE(protocol, 'unknown') AS protocol, COUNT(*) AS n, COALESCE(SUM(length), 0) AS bytes
           FROM traffic WHERE id > @after AND id <= @upto GROUP BY 1`,
        )
        .all({ after: this.#lastId, upto: maxId }) as { protocol: string; n: number; bytes: number }[];
      for (const r of rows) {
        this.#packets[r.protocol] = (this.#packets[r.protocol] ?? 0) + r.n;
        this.#bytes[r.protocol] = (this.#bytes[r.protocol] ?? 0) + r.bytes;
      }
      this.#lastId = maxId;
    }
    return { packets: { ...this.#packets }, bytes: { ...this.#bytes } };
  }
}
