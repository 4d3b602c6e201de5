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

/** Rounds packet time for evidence (microseconds). */
export const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;
