/**
 * Coverage feedback from V8's own block coverage (the inspector's Profiler domain), in the same thread:
 * no instrumentation pass, no native fuzzer. Counters reset on every take, so a take after a batch of
 * inputs covers exactly that batch.
 */
import { Session } from 'node:inspector';

interface CoverageRange {
  readonly startOffset: number;
  readonly endOffset: number;
  readonly count: number;
}
interface ScriptCoverage {
  readonly scriptId: string;
  readonly url: string;
  readonly functions: readonly { readonly ranges: readonly CoverageRange[] }[];
}

/** AFL's hit-count buckets: 1, 2, 3, 4–7, 8–15, 16–31, 32–127, 128+ as one bit each. */
function bucket(count: number): number {
  if (count <= 3) return 1 << (count - 1);
  if (count < 8) return 8;
  if (count < 16) return 16;
  if (count < 32) return 32;
  if (count < 128) return 64;
  return 128;
}

/** One observation: the blocks hit and their count buckets, as (block index, bucket bit) pairs. */
export interface Observation {
  readonly blocks: number[];
  readonly buckets: number[];
}

export class BlockCoverage {
  readonly #session = new Session();
  readonly #include: string;
  /** Block key (script, start offset) → dense index. */
  readonly #index = new Map<string, number>();

  /** Starts coverage; call before the code under test is imported. `include` filters script URLs. */
  constructor(include: string) {
    this.#include = include;
    this.#session.connect();
    this.#post('Profiler.enable');
    this.#post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
  }

  /** Blocks executed since the last take (the counters reset). */
  take(): Observation {
    const { result } = this.#post('Profiler.takePreciseCoverage') as { result: ScriptCoverage[] };
    const blocks: number[] = [];
    const buckets: number[] = [];
    for (const script of result) {
      if (!script.url.includes(this.#include)) continue;
      for (const fn of script.functions) {
        const ranges = fn.ranges;
        if (ranges[0] === undefined || ranges[0].count === 0) continue;
        for (const r of ranges) {
          if (r.count === 0) continue;
          // By start only: V8 merges a range into its parent or its neighbour when their counts are equal,
          // which moves end offsets around but leaves the start of every range it still reports.
          const key = `${script.scriptId}:${r.startOffset}`;
          let i = this.#index.get(key);
          if (i === undefined) {
            i = this.#index.size;
            this.#index.set(key, i);
          }
          blocks.push(i);
          buckets.push(bucket(r.count));
        }
      }
    }
    return { blocks, buckets };
  }

  close(): void {
    this.#post('Profiler.stopPreciseCoverage');
    this.#session.disconnect();
  }

  /** The in-thread session answers synchronously. */
  #post(method: string, params?: object): unknown {
    let out: unknown;
    let failure: Error | null = null;
    this.#session.post(method, params, (err, res) => {
      failure = err;
      out = res;
    });
    if (failure !== null) throw failure;
    return out;
  }
}

/** Marks a block as seen apart from the eight bucket bits. */
const BLOCK_SEEN = 0x100;

/** Which (block, bucket) pairs have been seen; `add` says whether an observation brought anything new. */
export class FeatureSet {
  #seen = new Uint16Array(4096);
  #blocks = 0;

  get blocks(): number {
    return this.#blocks;
  }

  /** Whether the observation reached a block never seen before (hit counts aside). */
  hasNewBlock(o: Observation): boolean {
    for (const i of o.blocks) if (i >= this.#seen.length || this.#seen[i] === 0) return true;
    return false;
  }

  add(o: Observation): boolean {
    return this.#add(o, false);
  }

  /** Records the observation's blocks as seen without their hit counts. */
  addBlocks(o: Observation): void {
    this.#add(o, true);
  }

  #add(o: Observation, blocksOnly: boolean): boolean {
    let fresh = false;
    for (let k = 0; k < o.blocks.length; k++) {
      const i = o.blocks[k]!;
      if (i >= this.#seen.length) {
        const grown = new Uint16Array(Math.max(i + 1, this.#seen.length * 2));
        grown.set(this.#seen);
        this.#seen = grown;
      }
      const had = this.#seen[i]!;
      const bit = blocksOnly ? BLOCK_SEEN : o.buckets[k]!;
      if ((had & bit) === 0) {
        if (had === 0) this.#blocks++;
        this.#seen[i] = had | bit;
        fresh = true;
      }
    }
    return fresh;
  }
}
