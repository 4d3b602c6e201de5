import type { LiveTick } from './api-types.js';
import type { ServerDb } from './server-db.js';

export type TickListener = (tick: LiveTick) => void;

/**
 * Per-interval counters of the packets stored since the last look, shared by every live client. Each tick
 * asks SQLite for the rows past the last `traffic.id` seen: a rowid range, so a tick costs what was added,
 * not the size of the table. The pipeline commits about once a second (STORE_FLUSH_MS), so a rate is what
 * the writer stored in the interval. Polls only while someone listens.
 */
export class LiveFeed {
  readonly #db: ServerDb;
  readonly #intervalMs: number;
  readonly #listeners = new Set<TickListener>();
  #timer: NodeJS.Timeout | undefined;
  #lastId = 0;
  #lastAt = 0;

  constructor(db: ServerDb, intervalMs = 1000) {
    this.#db = db;
    this.#intervalMs = intervalMs;
  }

  subscribe(listener: TickListener): () => void {
    this.#listeners.add(listener);
    if (this.#timer === undefined) {
      this.#lastId = this.#maxId();
      this.#lastAt = Date.now();
      this.#timer = setInterval(() => this.#tick(), this.#intervalMs);
    }
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.stop();
    };
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #maxId(): number {
    return (this.#db.reader.prepare('SELECT COALESCE(MAX(id), 0) FROM traffic').pluck().get() as number) ?? 0;
  }

  #tick(): void {
    const now = Date.now();
    const maxId = this.#maxId();
    const tick: LiveTick = {
      t: now,
      seconds: (now - this.#lastAt) / 1000,
      packets: {},
      bytes: {},
      totalPackets: 0,
      runningCaptures: this.#db.reader
        .prepare(`SELECT COUNT(*) FROM captures WHERE status = 'running'`)
        .pluck()
        .get() as number,
    };
    if (maxId > this.#lastId) {
      const rows = this.#db.reader
        .prepare(
          `SELECT COALESCE(protocol, 'unknown') AS protocol, COUNT(*) AS n, COALESCE(SUM(length), 0) AS bytes
           FROM traffic WHERE id > @after AND id <= @upto GROUP BY 1`,
        )
        .all({ after: this.#lastId, upto: maxId }) as { protocol: string; n: number; bytes: number }[];
      for (const r of rows) {
        tick.packets[r.protocol] = r.n;
        tick.bytes[r.protocol] = r.bytes;
        tick.totalPackets += r.n;
      }
    }
    this.#lastId = maxId;
    this.#lastAt = now;
    for (const l of this.#listeners) l(tick);
  }
}
