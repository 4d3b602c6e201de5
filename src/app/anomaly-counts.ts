/**
 * Application-layer anomaly counters (STYLE.md E6): each protocol declares its anomalies as ids with
 * stable `<proto>.<snake_case>` names; parsers only bump a Uint32Array slot, names are materialised when
 * someone asks for the counters.
 */
export class AnomalyCounts {
  readonly #names: readonly string[];
  readonly #counts: Uint32Array;

  constructor(names: readonly string[]) {
    this.#names = names;
    this.#counts = new Uint32Array(names.length);
  }

  add(id: number): void {
    this.#counts[id]!++;
  }

  /** Non-zero counters by name. */
  addTo(out: Record<string, number>): void {
    for (let i = 0; i < this.#names.length; i++) {
      const n = this.#counts[i]!;
      if (n > 0) out[this.#names[i]!] = (out[this.#names[i]!] ?? 0) + n;
    }
  }
}
