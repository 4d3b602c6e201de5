/**
 * `npm run bench:live`: the highest packet rate `nta capture` keeps without loss, beside tcpdump in the same
 * run, on a veth pair between two throw-away namespaces (`../shared/tools/live-capture-harness.sh`, which
 * replays with tcpreplay and counts sent vs. captured vs. dropped). Needs root, tcpreplay and iproute2.
 * Usage: node dist/bench/live-bench.js [--rates 100000,200000,400000,top] [--packets 2000000] [--buffer MB]
 *   [--only tcpdump,decode,traffic,everything]
 *
 * Every command gets the same kernel buffer, 16 MiB unless --buffer says otherwise (nta's own default is
 * 64 MiB: --buffer 64 measures what a plain `nta capture` keeps up with), and a trial is long enough to
 * overflow it: nta waits for the decoder while the kernel ring holds the packets, so a trial the ring can
 * hold whole (300k packets) is lossless at any rate and says nothing about the rate nta keeps up with.
 *
 * CPU per packet is the capture command's user + system CPU time over the packets it captured, in the
 * fastest lossless trial; it includes start-up and the idle warm-up and settle seconds, so it overstates the
 * per-packet cost of short trials a little (raise --packets to shrink that share).
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = resolve(import.meta.dirname, '..', '..');
const HARNESS = resolve(ROOT, '..', 'shared', 'tools', 'live-capture-harness.sh');
const NTA = join(ROOT, 'dist', 'src', 'cli', 'main.js');

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '100000,200000,300000,400000,top' },
    packets: { type: 'string', default: '2000000' },
    buffer: { type: 'string', default: '16' },
    only: { type: 'string' },
  },
});
const bufferMiB = Number(values.buffer);
if (!Number.isInteger(bufferMiB) || bufferMiB < 1)
  throw new Error(`--buffer: a whole number of MiB, not ${values.buffer}`);

const commands: [string, string, string][] = [
  [
    'tcpdump',
    `tcpdump -B ${bufferMiB * 1024} -w /dev/null`,
    `tcpdump -i {IFACE} -nn -B ${bufferMiB * 1024} -w /dev/null`,
  ],
  [
    'decode',
    'nta capture -q --no-db --no-flows --no-detect (decode only)',
    `node ${NTA} capture -q -i {IFACE} -B ${bufferMiB} --no-db --no-flows --no-detect --no-chart`,
  ],
  [
    'traffic',
    'nta capture -q --db FILE --no-flows --no-detect (traffic table)',
    `node ${NTA} capture -q -i {IFACE} -B ${bufferMiB} --db /tmp/nta-live-bench.db --no-flows --no-detect --no-chart`,
  ],
  [
    'everything',
    'nta capture -q --db FILE (everything on)',
    `node ${NTA} capture -q -i {IFACE} -B ${bufferMiB} --db /tmp/nta-live-bench.db --no-chart`,
  ],
];
const only = values.only?.split(',');
const unknown = only?.filter((k) => !commands.some(([key]) => key === k)) ?? [];
if (unknown.length > 0) throw new Error(`--only: unknown ${unknown.join(', ')}`);

const rows = commands
  .filter(([key]) => only?.includes(key) ?? true)
  .map(([, name, cmd]) => {
    spawnSync('rm', [
      '-f',
      '/tmp/nta-live-bench.db',
      '/tmp/nta-live-bench.db-wal',
      '/tmp/nta-live-bench.db-shm',
    ]);
    const r = spawnSync('bash', [HARNESS, '-q', '-r', values.rates, '-n', values.packets, '--', cmd], {
      encoding: 'utf8',
    });
    const out = r.stdout + r.stderr;
    const results = out.split('\n').filter((l) => l.startsWith('RESULT '));
    for (const line of results) console.log(`${name}: ${line} cpu_us_per_packet=${cpuPerPacket(line)}`);
    const max = /MAX_LOSSLESS_PPS=(\S+)/.exec(out)?.[1] ?? `failed (exit ${r.status})`;
    const lossy = /FIRST_LOSSY_RATE=(\S+)/.exec(out)?.[1] ?? '-';
    const fastest = results.filter((l) => field(l, 'ok') === 'yes').at(-1);
    return {
      tool: name,
      'max lossless packets/s': max,
      'first lossy rate': lossy,
      'CPU µs/packet': fastest === undefined ? '-' : cpuPerPacket(fastest),
      trials: results.length,
    };
  });
console.table(rows);

function field(result: string, name: string): string | undefined {
  return new RegExp(`\\b${name}=(\\S+)`).exec(result)?.[1];
}

/** The capture command's CPU seconds (user + system) per captured packet, in microseconds. */
function cpuPerPacket(result: string): string {
  const captured = Number(field(result, 'captured'));
  const cpu = Number(field(result, 'cpu_user')) + Number(field(result, 'cpu_sys'));
  return captured > 0 && Number.isFinite(cpu) ? ((cpu / captured) * 1e6).toFixed(2) : '-';
}
