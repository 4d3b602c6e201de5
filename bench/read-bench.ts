/**
 * `npm run bench`: packets/s and peak memory of `nta read` on the deterministic 2M-packet capture, beside
 * tcpdump, tshark, the flow exporters softflowd and argus (when installed: `apt-get install softflowd
 * argus-server`) and the original Scapy approach measured in the same run (ratios matter: the machines
 * are noisy). Usage: node dist/bench/read-bench.js [--capture F] [--runs N] [--skip-scapy]
 */
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_CAPTURE, NTA, OUT_DIR, ROOT, ensureBenchCapture } from './bench-capture.js';
const SCAPY_PACKETS = 100_000;

const { values } = parseArgs({
  options: {
    capture: { type: 'string', default: BENCH_CAPTURE },
    runs: { type: 'string', default: '3' },
    'skip-scapy': { type: 'boolean', default: false },
  },
});
const capture = resolve(values.capture);
const runs = Number(values.runs);

interface Measurement {
  name: string;
  packets: number;
  seconds: number;
  peakMB: number;
  note?: string;
}

function countPackets(): number {
  const r = spawnSync('capinfos', ['-T', '-r', '-c', capture], { encoding: 'utf8' });
  const n = Number(r.stdout.trim().split('\t')[1]);
  if (!Number.isFinite(n)) throw new Error(`capinfos could not count ${capture}: ${r.stderr}`);
  return n;
}

/** Runs a shell command under GNU time; returns wall seconds and peak RSS. Median of `runs` runs. */
function measure(name: string, shell: string, packets: number, repeat = runs, note?: string): Measurement {
  const samples: { seconds: number; peakMB: number }[] = [];
  for (let i = 0; i < repeat; i++) {
    const r = spawnSync('/usr/bin/time', ['-f', 'NTA_TIME %e %M', 'bash', '-c', shell], { encoding: 'utf8' });
    const line = r.stderr.split('\n').find((l) => l.startsWith('NTA_TIME '));
    if (r.status !== 0 || line === undefined)
      throw new Error(`${name} failed (exit ${r.status}): ${r.stderr.slice(-500)}`);
    const [, sec, kb] = line.split(' ');
    samples.push({ seconds: Number(sec), peakMB: Number(kb) / 1024 });
  }
  samples.sort((a, b) => a.seconds - b.seconds);
  const median = samples[Math.floor(samples.length / 2)]!;
  return {
    name,
    packets,
    seconds: median.seconds,
    peakMB: Math.max(...samples.map((s) => s.peakMB)),
    ...(note ? { note } : {}),
  };
}

ensureBenchCapture(capture);
const packets = countPackets();
const db = join(OUT_DIR, 'bench.db');
const removeDb = (): void => ['', '-wal', '-shm'].forEach((s) => rmSync(db + s, { force: true }));
const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
const results: Measurement[] = [];

results.push(
  measure('tcpdump -r F -w /dev/null', `tcpdump -r ${q(capture)} -w /dev/null 2>/dev/null`, packets),
);
const nta = (name: string, flags: string, withDb: boolean): Measurement =>
  measure(
    name,
    `${withDb ? `rm -f ${q(db)}*; ` : ''}node ${q(NTA)} read -q --no-chart ${flags} ${q(capture)} 2>/dev/null`,
    packets,
  );
results.push(
  nta('nta read -q --no-db --no-flows --no-detect (decode only)', '--no-db --no-flows --no-detect', false),
);
results.push(
  nta(
    'nta read -q --db FILE --no-flows --no-detect (traffic table)',
    `--no-flows --no-detect --db ${q(db)}`,
    true,
  ),
);
results.push(nta('nta read -q --no-db --no-detect (decode + flow table)', '--no-db --no-detect', false));
results.push(nta('nta read -q --no-db (decode + flow table + detection)', '--no-db', false));
results.push(nta('nta read -q --db FILE (traffic, flows and alerts tables)', `--db ${q(db)}`, true));
results.push(
  nta('nta read -q --db FILE --no-packets (flows + metadata)', `--no-packets --db ${q(db)}`, true),
);
removeDb();
// Flow exporters written in C, the flows issue's yardstick for --no-packets; skipped when not installed.
const installed = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
if (installed('softflowd')) {
  // Exports to a loopback port nobody listens on: the datagrams are dropped, the work is done.
  results.push(
    measure(
      'softflowd -r F (flows to NetFlow)',
      `softflowd -d -r ${q(capture)} -n 127.0.0.1:9 > /dev/null 2>&1`,
      packets,
    ),
  );
}
if (installed('argus')) {
  results.push(
    measure(
      'argus -r F -w /dev/null',
      `argus -r ${q(capture)} -w /dev/null 2>/dev/null`,
      packets,
      1,
      'ends on a 1 s timer',
    ),
  );
}
results.push(
  measure(
    'tshark -T fields ip.src ip.dst ip.proto',
    `tshark -n -r ${q(capture)} -T fields -e ip.src -e ip.dst -e ip.proto > /dev/null 2>&1`,
    packets,
    1,
  ),
);
if (!values['skip-scapy']) {
  const scapyDb = join(OUT_DIR, 'scapy.db');
  const m = measure(
    'Scapy sniff(offline) + SQLite commit per packet',
    `rm -f ${q(scapyDb)}; /usr/bin/python3 ${q(join(ROOT, 'bench', 'scapy-seed.py'))} ${q(capture)} ${q(scapyDb)} ${SCAPY_PACKETS} > /dev/null`,
    SCAPY_PACKETS,
    1,
    `first ${SCAPY_PACKETS} packets, extrapolated`,
  );
  rmSync(scapyDb, { force: true });
  results.push(m);
}

const tcpdumpRate = results[0]!.packets / results[0]!.seconds;
const fmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const rows = results.map((r) => {
  const rate = r.packets / r.seconds;
  return {
    tool: r.name,
    packets: fmt.format(r.packets),
    seconds: r.seconds.toFixed(2),
    'packets/s': fmt.format(rate),
    'vs tcpdump': `${((rate / tcpdumpRate) * 100).toFixed(1)}%`,
    'peak MB': r.peakMB.toFixed(0),
    ...(r.note ? { note: r.note } : {}),
  };
});
console.log(
  `capture: ${capture} (${fmt.format(packets)} packets), median of ${runs} runs for tcpdump and nta`,
);
console.table(rows);
const decode = results[1]!;
const stored = results[2]!;
const decodeRatio = decode.packets / decode.seconds / tcpdumpRate;
console.log(`decode-only / tcpdump: ${(decodeRatio * 100).toFixed(1)}% (target ≥ 60%)`);
console.log(
  `with traffic table: ${fmt.format(stored.packets / stored.seconds)} packets/s (target ≥ 1,000,000)`,
);
console.log(
  `peak memory, packets only: ${Math.max(decode.peakMB, stored.peakMB).toFixed(0)} MB (target < 150 MB)`,
);
writeFileSync(
  join(OUT_DIR, 'read-bench.json'),
  JSON.stringify({ date: new Date().toISOString(), capture, results }, null, 2),
);
