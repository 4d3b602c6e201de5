/**
 * `npm run bench:soak`: `nta capture` with everything on (traffic table, flows and whatever the pipeline
 * runs by default) on a veth pair between two throw-away namespaces, while tcpreplay sends the benchmark
 * capture at a steady rate, for a chosen time. Samples the capture process every few seconds (RSS, CPU,
 * rows committed) and ends with the verdict that matters for a monitor left running for weeks: does memory
 * stop growing once the flow table has filled, and were packets lost? Needs root, iproute2 and tcpreplay.
 *
 * Usage: node dist/bench/soak-bench.js [--minutes 10] [--rate 100000] [--capture F] [--interval 10]
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { BENCH_CAPTURE, NTA, OUT_DIR, ensureBenchCapture } from './bench-capture.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string', default: '100000' },
    capture: { type: 'string', default: BENCH_CAPTURE },
    interval: { type: 'string', default: '10' },
  },
});
const seconds = Number(values.minutes) * 60;
const rate = Number(values.rate);
const intervalMs = Number(values.interval) * 1000;
const capture = resolve(values.capture);
const db = join(OUT_DIR, 'soak.db');
const TX = `nta-soak-tx-${process.pid}`;
const RX = `nta-soak-rx-${process.pid}`;
const CLOCK_TICKS = 100; // USER_HZ on Linux

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr.trim()}`);
}

interface Sample {
  t: number;
  rssMB: number;
  cpuSeconds: number;
  rows: number;
}

function sample(pid: number, t: number): Sample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKB = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? NaN);
  // utime and stime are fields 14 and 15; the command name (field 2) may hold spaces, so count after ')'.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  let rows = 0;
  try {
    const conn = new Database(db, { readonly: true });
    rows = (conn.prepare('SELECT COUNT(*) AS n FROM traffic').get() as { n: number }).n;
    conn.close();
  } catch {
    // not created yet
  }
  return { t, rssMB: rssKB / 1024, cpuSeconds, rows };
}

ensureBenchCapture(capture);
for (const s of ['', '-wal', '-shm']) rmSync(db + s, { force: true });
run('ip', ['netns', 'add', TX]);
run('ip', ['netns', 'add', RX]);
const cleanup = (): void => {
  spawnSync('ip', ['netns', 'del', TX]);
  spawnSync('ip', ['netns', 'del', RX]);
};
process.on('exit', cleanup);
try {
  run('ip', ['link', 'add', 'soaktx', 'netns', TX, 'type', 'veth', 'peer', 'name', 'soakrx', 'netns', RX]);
  run('ip', ['-n', TX, 'link', 'set', 'soaktx', 'up']);
  run('ip', ['-n', RX, 'link', 'set', 'soakrx', 'up']);

  const nta = spawn(
    'ip',
    ['netns', 'exec', RX, 'node', NTA, 'capture', '-q', '-i', 'soakrx', '--db', db, '--no-chart'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let ntaOut = '';
  nta.stdout.on('data', (d: Buffer) => (ntaOut += d.toString()));
  nta.stderr.on('data', (d: Buffer) => (ntaOut += d.toString()));
  const ntaExit = new Promise<void>((r) => nta.on('exit', () => r()));
  await sleep(2000);
  const replay = spawn(
    'ip',
    [
      'netns',
      'exec',
      TX,
      'tcpreplay',
      '-q',
      '-i',
      'soaktx',
      `--pps=${rate}`,
      '--loop=0',
      `--duration=${seconds}`,
      capture,
    ],
    { stdio: 'ignore' },
  );
  const replayExit = new Promise<void>((r) => replay.on('exit', () => r()));
  console.log(`soak: ${values.minutes} min at ${rate} packets/s, sampling every ${values.interval} s`);
  console.log('  elapsed s   RSS MB   CPU %   rows committed');
  const samples: Sample[] = [];
  const t0 = Date.now();
  let prev = sample(nta.pid!, 0);
  let replaying = true;
  void replayExit.then(() => (replaying = false));
  while (replaying) {
    await sleep(intervalMs);
    const s = sample(nta.pid!, (Date.now() - t0) / 1000);
    const cpuPct = (100 * (s.cpuSeconds - prev.cpuSeconds)) / (s.t - prev.t);
    console.log(
      `  ${s.t.toFixed(0).padStart(9)}   ${s.rssMB.toFixed(0).padStart(6)}   ${cpuPct.toFixed(0).padStart(5)}   ${s.rows}`,
    );
    samples.push(s);
    prev = s;
  }
  await sleep(2000);
  nta.kill('SIGINT');
  await ntaExit;
  const counters = (name: string): number =>
    Number(new RegExp(`(\\d+) packets ${name}`).exec(ntaOut)?.[1] ?? NaN);
  const captured = counters('captured');
  const kernelDrops = counters('dropped by kernel');
  const behind = counters('dropped by nta');
  // Memory after the first fifth (flow table and caches warmed up) against the end.
  const warm = samples[Math.floor(samples.length / 5)] ?? samples[0];
  const last = samples.at(-1);
  console.table([
    {
      'packets captured': captured,
      'dropped by kernel': kernelDrops,
      'dropped by nta': behind,
      'RSS after warm-up MB': warm?.rssMB.toFixed(0),
      'RSS at end MB': last?.rssMB.toFixed(0),
      'peak RSS MB': Math.max(...samples.map((s) => s.rssMB)).toFixed(0),
      'CPU µs/packet': last === undefined ? '-' : ((last.cpuSeconds / captured) * 1e6).toFixed(2),
    },
  ]);
} finally {
  cleanup();
}
