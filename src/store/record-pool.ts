import type { NtaError } from '../core/errors.js';
import { TrafficRecords } from '../schema/traffic.js';

/**
 * The traffic record batches a store lends the pipeline. At most `max` exist: `take` waits while all of
 * them are out (the reader slows down instead of memory growing), `give` hands one back (to a waiting
 * taker first), and after `fail` every taker, waiting or new, gets the store's error.
 */
export class RecordPool {
  readonly #max: number;
  readonly #spare: TrafficRecords[] = [];
  readonly #waiting: { resolve: (r: TrafficRecords) => void; reject: (e: NtaError) => void }[] = [];
  #allocated = 0;
  #failure: NtaError | undefined;

  constructor(max: number) {
    this.#max = max;
  }

  take(capacity: number): Promise<TrafficRecords> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const spare = this.#spare.pop();
    if (spare !== undefined) return Promise.resolve(spare);
    if (this.#allocated < this.#max) {
      this.#allocated++;
      return Promise.resolve(new TrafficRecords(capacity));
    }
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  give(records: TrafficRecords): void {
    records.count = 0;
    const waiter = this.#waiting.shift();
    if (waiter !== undefined) waiter.resolve(records);
    else this.#spare.push(records);
  }

  fail(err: NtaError): void {
    this.#failure ??= err;
    for (const w of this.#waiting) w.reject(this.#failure);
    this.#waiting.length = 0;
  }
}
