import type { TrafficTotals } from '../schema/metrics.js';
import type { LiveTick } from './api-types.js';
import { sensorTerm, type QueryDb } from '../store/query/query-db.js';
import { TrafficCounter } from './traffic-counter.js';

export type TickListener = (tick: LiveTick) => void;

type Totals = () => TrafficTotals | Promise<TrafficTotals>;

/**
 * Per-interval counters of packets, shared by every live client: the difference between two readings of
 * running totals. The totals come from the pipeline when `nta serve --capture` runs one (packets as they are
 * decoded), or else from the rows stored in the database since the first client came (TrafficCounter: the
 * rows past the last `traffic.id` seen, in SQLite or PostgreSQL; the pipeline commits about once a second,
 * STORE_FLUSH_MS, so a rate is what the writer stored in the interval). Polls only while someone listens.
 */
export class LiveFeed {
  readonly #db: QueryDb;
  readonly #intervalMs: number;
  readonly #pipelineTotals: (() => TrafficTotals) | undefined;
  readonly #listeners = new Set<TickListener>();
  /** Set once the first reading is in. */
  #totals: Totals | undefined;
  #timer: NodeJS.Timeout | undefined;
  #last: TrafficTotals = { packets: {}, bytes: {} };
  #lastAt = 0;
  /** A tick's queries are under way: a slow database skips ticks rather than piling them up. */
  #busy = false;

  constructor(db: QueryDb, options: { intervalMs?: number | undefined; totals?: () => TrafficTotals } = {}) {
    this.#db = db;
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#pipelineTotals = options.totals;
  }

  subscribe(listener: TickListener): () => void {
    this.#listeners.add(listener);
    if (this.#timer === undefined) {
      this.#lastAt = Date.now();
      this.#timer = setInterval(() => void this.#tick(), this.#intervalMs);
      void this.#start().catch(this.#report);
    }
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.stop();
    };
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#totals = undefined;
  }

  async #start(): Promise<void> {
    let totals: Totals;
    if (this.#pipelineTotals !== undefined) totals = this.#pipelineTotals;
    else {
      const counter = new TrafficCounter(this.#db, await TrafficCounter.latestId(this.#db));
      totals = () => counter.read();
    }
    this.#last = await totals();
    this.#lastAt = Date.now();
    if (this.#timer !== undefined) this.#totals = totals;
  }

  readonly #report = (err: unknown): void => {
    // Once stopped (the server closing its database), a query cut short is no news.
    if (this.#timer !== undefined) process.stderr.write(`nta: serve: live feed: ${(err as Error).message}\n`);
  };

  async #tick(): Promise<void> {
    const read = this.#totals;
    if (this.#busy || read === undefined) return;
    this.#busy = true;
    try {
      const totals = await read();
      const params: Record<string, string> = {};
      const terms = [`status = 'running'`];
      sensorTerm(this.#db, terms, params);
      const running = await this.#db.get<{ n: number }>(
        `SELECT COUNT(*) AS n FROM captures WHERE ${terms.join(' AND ')}`,
        params,
      );
      const now = Date.now();
      const tick: LiveTick = {
        t: now,
        seconds: (now - this.#lastAt) / 1000,
        packets: {},
        bytes: {},
        totalPackets: 0,
        runningCaptures: Number(running?.n ?? 0),
      };
      for (const [protocol, n] of Object.entries(totals.packets)) {
        const packets = n - (this.#last.packets[protocol] ?? 0);
        if (packets <= 0) continue;
        tick.packets[protocol] = packets;
        tick.bytes[protocol] = (totals.bytes[protocol] ?? 0) - (this.#last.bytes[protocol] ?? 0);
        tick.totalPackets += packets;
      }
      this.#last = totals;
      this.#lastAt = now;
      for (const l of this.#listeners) l(tick);
    } catch (err) {
      this.#report(err);
    } finally {
      this.#busy = false;
    }
  }
}
