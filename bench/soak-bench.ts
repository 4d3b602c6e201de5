/**
 * `npm run bench:soak`: `nta serve --capture` with everything on (traffic table, flows, metadata, detection
 * and the dashboard's server) on a veth pair between two throw-away namespaces, while tcpreplay sends the
 * benchmark capture at a steady rate, for a chosen time. Samples the process every few seconds: RSS and CPU
 * from /proc, and from its Prometheus /metrics the heap, event-loop delay, the store's queue depth and the
 * drops. Ends with the verdict that matters for a monitor left running for weeks, and exits 1 when it fails:
 * memory must stop growing once the flow table has filled, and no packet may be lost. Needs root, iproute2
 * and tcpreplay.
 *
 * Usage: node dist/bench/soak-bench.js [--minutes 10] [--rate 100000] [--capture F] [--interval 1]
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { BENCH_CAPTURE, NTA, OUT_DIR, ensureBenchCapture } from './bench-capture.js';
import { chartSvg, svgToPng } from '../src/present/charts/render.js';
import { CHART_FONT_FAMILY } from '../src/present/charts/font-metrics.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string', default: '100000' },
    capture: { type: 'string', default: BENCH_CAPTURE },
    interval: { type: 'string', default: '1' },
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

/** Where nta serves /metrics, inside the receiving namespace (its loopback is its own). */
const METRICS_URL = 'http://127.0.0.1:9464/metrics';

interface Sample {
  t: number;
  rssMB: number;
  cpuSeconds: number;
  rows: number;
  heapMB: number;
  loopDelayP99ms: number;
  queueDepth: number;
  drops: number;
}

/** The Prometheus text of nta's /metrics, fetched from inside the namespace; empty when it did not answer. */
function scrape(): string {
  const r = spawnSync(
    'ip',
    [
      'netns',
      'exec',
      RX,
      'node',
      '-e',
      `fetch('${METRICS_URL}').then(r => r.text()).then(t => process.stdout.write(t))`,
    ],
    { encoding: 'utf8', timeout: 5000 },
  );
  return r.status === 0 ? r.stdout : '';
}

/** Sum of a metric's samples (every label set), NaN when it is absent. */
function metric(text: string, name: string): number {
  let sum = NaN;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm')))
    sum = (Number.isNaN(sum) ? 0 : sum) + Number(m[1]);
  return sum;
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
    // The last rowid, not COUNT(*): a fresh table's ids count its rows, and a count would read the whole
    // table (gigabytes by the end) every sample, on the cores nta and tcpreplay need.
    rows = (conn.prepare('SELECT MAX(id) AS n FROM traffic').get() as { n: number | null }).n ?? 0;
    conn.close();
  } catch {
    // not created yet
  }
  const m = scrape();
  return {
    t,
    rssMB: rssKB / 1024,
    cpuSeconds,
    rows,
    heapMB: metric(m, 'nodejs_heap_size_used_bytes') / 2 ** 20,
    loopDelayP99ms: metric(m, 'nodejs_eventloop_lag_p99_seconds') * 1000,
    queueDepth: metric(m, 'nta_store_queue_depth'),
    drops: metric(m, 'nta_drops_total'),
  };
}

ensureBenchCapture(capture);
for (const s of ['', '-wal', '-shm']) rmSync(db + s, { force: true });
run('ip', ['netns', 'add', TX]);
run('ip', ['netns', 'add', RX]);
/** Stops whatever still runs in the namespaces (nta, tcpreplay), however the benchmark ends, then deletes them. */
const cleanup = (): void => {
  for (const ns of [TX, RX]) {
    const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '';
    for (const pid of pids.split(/\s+/).filter((p) => p !== '')) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    spawnSync('ip', ['netns', 'del', ns]);
  }
};
process.on('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));
try {
  run('ip', ['link', 'add', 'soaktx', 'netns', TX, 'type', 'veth', 'peer', 'name', 'soakrx', 'netns', RX]);
  run('ip', ['-n', TX, 'link', 'set', 'soaktx', 'up']);
  run('ip', ['-n', RX, 'link', 'set', 'soakrx', 'up']);

  run('ip', ['-n', RX, 'link', 'set', 'lo', 'up']);
  const listen = new URL(METRICS_URL).host;
  const nta = spawn(
    'ip',
    ['netns', 'exec', RX, 'node', NTA, 'serve', '--capture', '-i', 'soakrx', '--db', db, '--listen', listen],
    { stdio: ['ignore', 'pipe', 'pipe'] },
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
  console.log('  elapsed s   RSS MB   heap MB   CPU %   loop p99 ms   store queue   drops   rows committed');
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
      `  ${s.t.toFixed(0).padStart(9)}   ${s.rssMB.toFixed(0).padStart(6)}   ${s.heapMB.toFixed(0).padStart(7)}   ` +
        `${cpuPct.toFixed(0).padStart(5)}   ${s.loopDelayP99ms.toFixed(1).padStart(11)}   ` +
        `${String(s.queueDepth).padStart(11)}   ${String(s.drops).padStart(5)}   ${s.rows}`,
    );
    samples.push(s);
    prev = s;
  }
  await sleep(2000);
  const final = sample(nta.pid!, (Date.now() - t0) / 1000);
  nta.kill('SIGINT');
  await ntaExit;
  // Memory once the flow table and caches have filled (the second fifth of the run) against the last fifth:
  // a monitor that runs for weeks must level off, not keep climbing.
  const fifth = Math.max(1, Math.floor(samples.length / 5));
  const peak = (xs: Sample[]): number => Math.max(...xs.map((x) => x.rssMB));
  const warm = peak(samples.slice(fifth, 2 * fifth));
  const end = peak(samples.slice(-fifth));
  const growing = end > warm * 1.1;
  const lost = final.drops;
  console.table([
    {
      'rows committed': final.rows,
      'drops (kernel, interface, nta)': lost,
      'RSS after warm-up MB': warm.toFixed(0),
      'RSS at end MB': end.toFixed(0),
      'peak RSS MB': peak(samples).toFixed(0),
      'peak heap MB': Math.max(...samples.map((x) => x.heapMB)).toFixed(0),
      'peak loop p99 ms': Math.max(...samples.map((x) => x.loopDelayP99ms)).toFixed(1),
      'peak store queue': Math.max(...samples.map((x) => x.queueDepth)),
      'CPU µs/row': final.rows === 0 ? '-' : ((final.cpuSeconds / final.rows) * 1e6).toFixed(2),
    },
  ]);
  const verdict = [
    growing ? `memory still growing (${warm.toFixed(0)} -> ${end.toFixed(0)} MB)` : 'memory levelled off',
    Number.isNaN(lost) ? 'drops unknown (no /metrics answer)' : lost > 0 ? `${lost} packets lost` : 'no loss',
  ];
  console.log(`verdict: ${verdict.join('; ')}`);
  const chart = join(OUT_DIR, 'soak-memory.png');
  writeFileSync(chart, await memoryChart(samples, `${values.minutes} min at ${rate} packets/s`));
  console.log(`memory over time: ${chart}`);
  if (Number.isNaN(final.drops)) console.log(`nta said:\n${ntaOut.trim()}`);
  if (growing || !(lost === 0)) process.exitCode = 1;
} finally {
  cleanup();
}

/** RSS and heap over the run, as the README shows it: the shape that tells a leak from a full flow table. */
async function memoryChart(samples: readonly Sample[], subtitle: string): Promise<Buffer> {
  const data = samples.flatMap((x) => [
    { minute: x.t / 60, MB: x.rssMB, series: 'RSS' },
    { minute: x.t / 60, MB: x.heapMB, series: 'V8 heap used' },
  ]);
  const svg = await chartSvg(
    (size) => ({
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      width: size.width - 160,
      height: size.height - 120,
      config: { font: CHART_FONT_FAMILY },
      title: { text: 'nta serve --capture: memory during the soak', subtitle },
      data: { values: data },
      mark: { type: 'line', point: false },
      encoding: {
        x: { field: 'minute', type: 'quantitative', title: 'minutes since start' },
        y: { field: 'MB', type: 'quantitative', title: 'MB' },
        color: { field: 'series', type: 'nominal', title: null },
      },
    }),
    { width: 1200, height: 700 },
  );
  return svgToPng(svg);
}
