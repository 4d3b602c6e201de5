import type { TrafficTotals } from '../schema/metrics.js';
import type { LiveTick } from './api-types.js';
import type { ServerDb } from './server-db.js';
import { TrafficCounter } from './traffic-counter.js';

export type TickListener = (tick: LiveTick) => void;

/**
 * Per-interval counters of packets, shared by every live client: the difference between two readings of
 * running totals. The totals come from the pipeline when `nta serve --capture` runs one (packets as they are
 * decoded), or else from the rows stored in the database since the first client came (a rowid range per
 * tick; the pipeline commits about once a second, STORE_FLUSH_MS, so a rate is what the writer stored in the
 * interval). Polls only while someone listens.
 */
export class LiveFeed {
  readonly #db: ServerDb;
  readonly #intervalMs: number;
  readonly #pipelineTotals: (() => TrafficTotals) | undefined;
  readonly #listeners = new Set<TickListener>();
  #totals: (() => TrafficTotals) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #last: TrafficTotals = { packets: {}, bytes: {} };
  #lastAt = 0;

  constructor(db: ServerDb, options: { intervalMs?: number | undefined; totals?: () => TrafficTotals } = {}) {
    this.#db = db;
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#pipelineTotals = options.totals;
  }

  subscribe(listener: TickListener): () => void {
    this.#listeners.add(listener);
    if (this.#timer === undefined) {
      if (this.#pipelineTotals !== undefined) this.#totals = this.#pipelineTotals;
      else {
        const counter = new TrafficCounter(this.#db, TrafficCounter.latestId(this.#db));
        this.#totals = () => counter.read();
      }
      this.#last = this.#totals();
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

  #tick(): void {
    const now = Date.now();
    const totals = this.#totals!();
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
  }
}
