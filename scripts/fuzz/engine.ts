/**
 * The fuzz loop. Mutants run in batches; V8 block coverage is taken after each batch (taking it per input
 * would cost more than the input). When a batch reaches a block no corpus input reached, bisection re-runs
 * halves of it down to single inputs, and an input run alone joins the in-memory corpus when it brings a new
 * block or a new hit-count bucket (AFL's buckets). A new bucket of a whole batch's summed counts does not
 * trigger re-runs: it says little about any one input, and chasing it cost 70% of the time (measured).
 * Without guidance the corpus stays the seeds; coverage is still taken, to compare.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BlockCoverage } from './coverage.js';
import { FeatureSet } from './coverage.js';
import { Mutator, prng } from './mutate.js';
import type { FuzzTarget } from './targets.js';

export const CrashKind = {
  Exception: 'exception',
  Invariant: 'invariant',
  Slow: 'slow',
  Memory: 'memory',
} as const;
export type CrashKind = (typeof CrashKind)[keyof typeof CrashKind];

export interface Crash {
  readonly kind: CrashKind;
  /** First line of the error; two crashes with the same kind and message are one bug. */
  readonly message: string;
  readonly input: Uint8Array;
  /** Where the minimised input was written, when a folder was given. */
  file?: string;
}

export interface FuzzOptions {
  readonly seconds: number;
  readonly seed: number;
  readonly guided: boolean;
  /** Stop after this many iterations too (default: none). */
  readonly maxIterations?: number;
  /** Mutants per coverage take (default: sized so the take costs a fifth of the batch). */
  readonly batchSize?: number;
  /** An input running longer than this is a crash (a hang that ends). */
  readonly slowMs?: number;
  /** Heap above this many MiB is a crash (memory growth). */
  readonly heapLimitMb?: number;
  /** Minimised crash inputs go to <folder>/<target>/<sha1>.bin; none are written without it. */
  readonly crashDir?: string;
  /** Told the input about to run, for a watchdog that outlives a hang. */
  readonly beforeRun?: (input: Uint8Array) => void;
}

export interface FuzzResult {
  readonly target: string;
  readonly iterations: number;
  readonly seconds: number;
  readonly seeds: number;
  readonly corpus: number;
  /** Distinct coverage blocks reached over the run. */
  readonly blocks: number;
  /** Batches re-run input by input because they reached something new. */
  readonly triages: number;
  readonly crashes: Crash[];
}

/** The largest input a mutation may grow to. */
export const MAX_INPUT = 256 * 1024;
const MIN_BATCH = 16;
const MAX_BATCH = 256;
const DEFAULT_SLOW_MS = 1000;
const DEFAULT_HEAP_LIMIT_MB = 1024;
/** Delta reduction gives up after this many attempts. */
const MAX_MINIMISE_RUNS = 4000;

/** Runs one input; undefined when it passed, otherwise what went wrong. */
export async function tryInput(
  target: FuzzTarget,
  input: Uint8Array,
  slowMs = DEFAULT_SLOW_MS,
  beforeRun?: (input: Uint8Array) => void,
): Promise<{ kind: CrashKind; message: string } | undefined> {
  beforeRun?.(input);
  const started = performance.now();
  try {
    const pending = target.run(input);
    if (pending !== undefined) await pending;
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    const kind = e.name === 'InvariantError' ? CrashKind.Invariant : CrashKind.Exception;
    return { kind, message: `${e.name}: ${e.message.split('\n')[0]}` };
  }
  const ms = performance.now() - started;
  if (ms > slowMs) return { kind: CrashKind.Slow, message: `input took ${Math.round(ms)} ms` };
  return undefined;
}

/** Simple delta reduction: drop chunks of halving size while the same crash still happens. */
export async function minimise(
  target: FuzzTarget,
  input: Uint8Array,
  same: (c: { kind: CrashKind; message: string } | undefined) => boolean,
  slowMs?: number,
  beforeRun?: (input: Uint8Array) => void,
): Promise<Uint8Array> {
  let best = input;
  let runs = 0;
  for (let chunk = Math.max(1, best.length >> 1); chunk >= 1; chunk >>= 1) {
    for (let at = 0; at < best.length && runs < MAX_MINIMISE_RUNS;) {
      const candidate = new Uint8Array(best.length - Math.min(chunk, best.length - at));
      candidate.set(best.subarray(0, at));
      candidate.set(best.subarray(at + chunk), at);
      runs++;
      if (candidate.length > 0 && same(await tryInput(target, candidate, slowMs, beforeRun)))
        best = candidate;
      else at += chunk;
    }
  }
  return best;
}

export function crashFileName(input: Uint8Array): string {
  return `${createHash('sha1').update(input).digest('hex')}.bin`;
}

export async function fuzz(target: FuzzTarget, coverage: BlockCoverage, o: FuzzOptions): Promise<FuzzResult> {
  const rand = prng(o.seed);
  const mutator = new Mutator(rand, Math.min(target.maxInput, MAX_INPUT));
  const seeds = await target.seeds();
  const corpus: Uint8Array[] = seeds.length > 0 ? [...seeds] : [new Uint8Array(64)];
  const slowMs = o.slowMs ?? DEFAULT_SLOW_MS;
  const heapLimit = (o.heapLimitMb ?? DEFAULT_HEAP_LIMIT_MB) * 1024 * 1024;
  const batchFeatures = new FeatureSet();
  const inputFeatures = new FeatureSet();
  const crashes: Crash[] = [];
  const signatures = new Set<string>();
  const maxIterations = o.maxIterations ?? Infinity;
  let iterations = 0;
  let triages = 0;

  const report = async (input: Uint8Array, kind: CrashKind, message: string): Promise<void> => {
    const signature = `${kind} ${message}`;
    if (signatures.has(signature)) return;
    signatures.add(signature);
    const small =
      kind === CrashKind.Memory
        ? input
        : await minimise(
            target,
            input,
            (c) => c !== undefined && c.kind === kind && c.message === message,
            slowMs,
            o.beforeRun,
          );
    const crash: Crash = { kind, message, input: small };
    if (o.crashDir !== undefined) {
      const dir = join(o.crashDir, target.name);
      mkdirSync(dir, { recursive: true });
      crash.file = join(dir, crashFileName(small));
      writeFileSync(crash.file, small);
    }
    crashes.push(crash);
  };

  // The seeds are the first batch: their blocks are the baseline both modes start from.
  coverage.take();
  let t0 = performance.now();
  for (const s of seeds) await tryInput(target, s, slowMs, o.beforeRun);
  let runMs = (performance.now() - t0) / Math.max(1, seeds.length);
  t0 = performance.now();
  const baseline = coverage.take();
  let takeMs = performance.now() - t0;
  batchFeatures.add(baseline);
  inputFeatures.addBlocks(baseline);

  const runAlone = async (input: Uint8Array): Promise<void> => {
    await tryInput(target, input, slowMs, o.beforeRun);
    if (inputFeatures.add(coverage.take())) corpus.push(input);
  };
  const bisect = async (group: Uint8Array[]): Promise<void> => {
    if (group.length === 1) return runAlone(group[0]!);
    const mid = group.length >> 1;
    for (const half of [group.slice(0, mid), group.slice(mid)]) {
      for (const input of half) await tryInput(target, input, slowMs, o.beforeRun);
      if (inputFeatures.hasNewBlock(coverage.take())) await bisect(half);
    }
  };

  // The clock starts after the seeds ran: `seconds` is time spent on mutants, in both modes.
  const started = performance.now();
  const deadline = started + o.seconds * 1000;
  const batch: Uint8Array[] = [];
  while (performance.now() < deadline && iterations < maxIterations) {
    batch.length = 0;
    // A take costs 2–20 ms (it grows with the code loaded): batches run long enough to make it a fifth.
    const size = o.batchSize ?? Math.min(MAX_BATCH, Math.max(MIN_BATCH, Math.round((4 * takeMs) / runMs)));
    const batchStart = performance.now();
    for (let k = 0; k < size && iterations < maxIterations; k++) {
      // A parent found by guidance at least a tenth of the time: among hundreds of seeds they would be
      // rare. More than that starved deeper paths (found inputs are often early exits on error paths).
      const found = corpus.length - seeds.length;
      const pick =
        found > 0 && rand() < 0.1
          ? seeds.length + Math.floor(rand() * found)
          : Math.floor(rand() * corpus.length);
      const parent = corpus[pick]!;
      const other = corpus[Math.floor(rand() * corpus.length)]!;
      const input = mutator.mutate(parent, other);
      const crash = await tryInput(target, input, slowMs, o.beforeRun);
      iterations++;
      if (crash !== undefined) await report(input, crash.kind, crash.message);
      batch.push(input);
    }
    t0 = performance.now();
    runMs = (0.5 * (t0 - batchStart)) / Math.max(1, batch.length) + 0.5 * runMs;
    const observed = coverage.take();
    takeMs = 0.5 * (performance.now() - t0) + 0.5 * takeMs;
    const newBlock = o.guided && inputFeatures.hasNewBlock(observed);
    batchFeatures.add(observed);
    if (newBlock) {
      // Bisection finds the inputs that reached the new blocks: a take costs ~2 ms, several inputs' worth.
      triages++;
      await bisect(batch);
      // A block no single input reproduces (state left by an earlier input) must not trigger every batch.
      inputFeatures.addBlocks(observed);
    }
    if (process.memoryUsage().heapUsed > heapLimit) {
      await report(
        batch[batch.length - 1]!,
        CrashKind.Memory,
        `heap above ${o.heapLimitMb ?? DEFAULT_HEAP_LIMIT_MB} MiB`,
      );
      break;
    }
  }
  return {
    target: target.name,
    iterations,
    seconds: (performance.now() - started) / 1000,
    seeds: seeds.length,
    corpus: corpus.length,
    blocks: batchFeatures.blocks,
    triages,
    crashes,
  };
}
