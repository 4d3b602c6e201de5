import type { LiveTick } from './api-types.js';
import { sensorTerm, type QueryDb } from '../store/query/query-db.js';

export type TickListener = (tick: LiveTick) => void;

/**
 * Per-interval counters of the packets stored since the last look, shared by every live client. Each tick
 * asks for the rows past the last `traffic.id` seen: a rowid range in SQLite, a BRIN-indexed range in
 * PostgreSQL, so a tick costs what was added, not the size of the table. (In PostgreSQL, a batch that
 * commits after a later-numbered one from another sensor is missed by the live counters; the tables
 * have it.) The pipeline commits about once a second (STORE_FLUSH_MS), so a rate is what
 * the writer stored in the interval. Polls only while someone listens.
 */
export class LiveFeed {
  readonly #db: QueryDb;
  readonly #intervalMs: number;
  readonly #listeners = new Set<TickListener>();
  #timer: NodeJS.Timeout | undefined;
  #lastId = 0;
  #lastAt = 0;
  /** A tick's queries are under way: a slow database skips ticks rather than piling them up. */
  #busy = false;

  constructor(db: QueryDb, intervalMs = 1000) {
    this.#db = db;
    this.#intervalMs = intervalMs;
  }

  subscribe(listener: TickListener): () => void {
    this.#listeners.add(listener);
    if (this.#timer === undefined) {
      this.#lastAt = Date.now();
      this.#timer = setInterval(() => void this.#tick(), this.#intervalMs);
      void this.#startingId().then((id) => (this.#lastId = id), this.#report);
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

  /** The newest traffic id now: the identity sequence's in PostgreSQL (MAX(id) would read every row). */
  async #startingId(): Promise<number> {
    const row = await this.#db.get<{ id: number | null }>({
      sqlite: 'SELECT MAX(id) AS id FROM traffic',
      postgres: `SELECT last_value AS id FROM pg_sequences
                 WHERE schemaname = current_schema() AND sequencename = 'traffic_id_seq'`,
    });
    return row?.id ?? 0;
  }

  readonly #report = (err: unknown): void => {
    process.stderr.write(`nta: serve: live feed: ${(err as Error).message}\n`);
  };

  async #tick(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    const terms = ['id > @after'];
    const params: Record<string, string | number> = { after: this.#lastId };
    sensorTerm(this.#db, terms, params);
    const captureTerms: string[] = [`status = 'running'`];
    sensorTerm(this.#db, captureTerms, params);
    try {
      const rows = await this.#db.all<{ protocol: string; n: number; bytes: number; top: number }>(
        `SELECT COALESCE(protocol, 'unknown') AS protocol, COUNT(*) AS n, COALESCE(SUM(length), 0) AS bytes,
                MAX(id) AS top
         FROM traffic WHERE ${terms.join(' AND ')} GROUP BY 1`,
        params,
      );
      const running = await this.#db.get<{ n: number }>(
        `SELECT COUNT(*) AS n FROM captures WHERE ${captureTerms.join(' AND ')}`,
        params,
      );
      const now = Date.now();
      const tick: LiveTick = {
        t: now,
        seconds: (now - this.#lastAt) / 1000,
        packets: {},
        bytes: {},
        totalPackets: 0,
        runningCaptures: running?.n ?? 0,
      };
      for (const r of rows) {
        tick.packets[r.protocol] = r.n;
        tick.bytes[r.protocol] = r.bytes;
        tick.totalPackets += r.n;
        this.#lastId = Math.max(this.#lastId, r.top);
      }
      this.#lastAt = now;
      for (const l of this.#listeners) l(tick);
    } catch (err) {
      // Once stopped (the server closing its database), a query cut short is no news.
      if (this.#timer !== undefined) this.#report(err);
    } finally {
      this.#busy = false;
    }
  }
}
