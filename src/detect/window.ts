/** Small bounded helpers the detectors share: distinct-value sets with a cap, and samples. */

/** Keeps up to `max` distinct values, then only counts that it is full. */
export class CappedSet<T> {
  readonly values = new Set<T>();
  readonly #max: number;
  constructor(max = 4096) {
    this.#max = max;
  }
  /** Adds `v`; true when it was new (and kept). */
  add(v: T): boolean {
    if (this.values.size >= this.#max || this.values.has(v)) return false;
    this.values.add(v);
    return true;
  }
  get size(): number {
    return this.values.size;
  }
  clear(): void {
    this.values.clear();
  }
  sample(n = 10): T[] {
    const out: T[] = [];
    for (const v of this.values) {
      if (out.length >= n) break;
      out.push(v);
    }
    return out;
  }
}

/** The first `max` items pushed. */
export function pushSample<T>(arr: T[], v: T, max = 10): void {
  if (arr.length < max) arr.push(v);
}

/**
 * Seconds of packet time between full passes over a scan detector's state. Its state is one entry per
 * probing pair or connection, tens of thousands on a busy link: a pass each second (the engine's sweep)
 * cost more than the probes themselves. Reported scans get their evidence refreshed at these passes and at
 * the end of input; stale entries are also replaced on their next probe.
 */
export const SCAN_PURGE_EVERY_S = 10;

/** True once per `every` seconds of packet time, from the first call. */
export class Every {
  #next = -Infinity;
  readonly #every: number;
  constructor(every: number) {
    this.#every = every;
  }
  due(now: number): boolean {
    if (now < this.#next) return false;
    this.#next = now + this.#every;
    return true;
  }
}

/** Rounds packet time for evidence (microseconds). */
export const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;
