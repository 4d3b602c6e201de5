/**
 * `npm run fuzz -- --target NAME [--seconds N] [--seed S]`: coverage-guided fuzzing of one nta decoder or
 * parser (see README, Fuzzing). Crash inputs are minimised into test/fuzz-regressions/<target>/, which
 * test/fuzz-regressions.test.ts replays.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { BlockCoverage } from './coverage.js';
import { fuzz, type FuzzResult } from './engine.js';
import { Watchdog } from './watchdog.js';
import { REPO_ROOT } from '../../test/support/corpus.js';

const int = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
};

const program = new Command('fuzz')
  .description('coverage-guided fuzzing of one nta target')
  .option('--target <name>', 'target to fuzz (--list shows them)')
  .option('--seconds <n>', 'how long to run', int, 60)
  .option('--seed <n>', 'PRNG seed', int, 1)
  .option('--unguided', 'mutate the seeds only, without coverage feedback (for comparison)')
  .option('--compare', 'run unguided, then guided, each for the same time in its own process')
  .option('--batch <n>', 'mutants per coverage take (default: sized to the take cost)', int)
  .option('--hang-ms <n>', 'no progress for this long is a hang (the process is killed)', int, 10_000)
  .option('--list', 'list the targets')
  .parse();
const opts = program.opts<{
  target?: string;
  seconds: number;
  seed: number;
  unguided?: boolean;
  compare?: boolean;
  batch?: number;
  hangMs: number;
  list?: boolean;
}>();

// Coverage starts before nta's modules load, so every function is compiled with block counters.
const coverage = new BlockCoverage('/dist/src/');
const { TARGETS, findTarget } = await import('./targets.js');

if (opts.list === true) {
  for (const t of TARGETS) process.stdout.write(`${t.name}\n`);
  process.exit(0);
}
const target = opts.target === undefined ? undefined : findTarget(opts.target);
if (target === undefined) {
  process.stderr.write(`fuzz: --target must be one of: ${TARGETS.map((t) => t.name).join(', ')}\n`);
  process.exit(2);
}

if (opts.compare === true) {
  // Each mode in a fresh process: code that runs once per process (lazy setup) would count for the first only.
  const args = process.argv.slice(1).filter((a) => a !== '--compare');
  let status = 0;
  for (const mode of [['--unguided'], []]) {
    const child = spawnSync(process.execPath, [...process.execArgv, ...args, ...mode], { stdio: 'inherit' });
    status ||= child.status ?? 1;
  }
  process.exit(status);
}

const crashDir = join(REPO_ROOT, 'test', 'fuzz-regressions');
const watchdog = new Watchdog(opts.hangMs, join(crashDir, target.name));
const print = (r: FuzzResult, mode: string): void => {
  process.stdout.write(
    `${r.target} ${mode}: ${r.iterations} iterations in ${r.seconds.toFixed(1)} s = ` +
      `${Math.round(r.iterations / r.seconds)}/s; blocks ${r.blocks}; corpus ${r.seeds} → ${r.corpus}; ` +
      `triaged batches ${r.triages}; crashes ${r.crashes.length}\n`,
  );
  for (const c of r.crashes)
    process.stdout.write(`  ${c.kind}: ${c.message} (${c.input.length} bytes) → ${c.file}\n`);
};
const guided = opts.unguided !== true;
const result = await fuzz(target, coverage, {
  seconds: opts.seconds,
  seed: opts.seed,
  guided,
  ...(opts.batch === undefined ? {} : { batchSize: opts.batch }),
  crashDir,
  beforeRun: (input) => watchdog.beforeRun(input),
});
print(result, guided ? 'guided' : 'unguided');
await watchdog.close();
coverage.close();
process.exitCode = result.crashes.length > 0 ? 1 : 0;
