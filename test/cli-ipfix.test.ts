/**
 * `--ipfix` end to end against a real collector: Debian's nfcapd listens on loopback, `nta read` exports the
 * whole corpus to it, and the flows nfdump lists from nfcapd's file equal the rows of nta's `flows` table
 * (addresses, ports or ICMP type/code, protocol, packets and IP-level bytes each way, VLAN, times to the
 * millisecond, SYN/FIN/RST of the originator). Needs the `nfdump` package.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ICMP4_COUNTERPART, ICMP6_COUNTERPART } from '../src/flow/key.js';
import { NTA, dbRows, workDir } from './support/cli.js';
import { PCAPS_DIR } from './support/corpus.js';

const work = workDir('nta-ipfix-');

function nta(args: string[]): SpawnSyncReturns<string> {
  return spawnSync('node', [NTA, ...args], { cwd: work, encoding: 'utf8' });
}

/** A UDP port on loopback that nothing listens on (bound, then released). */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}

interface Collector {
  readonly port: number;
  /** SIGTERM: nfcapd writes its file and its closing statistics line; returns everything it printed. */
  stop(): Promise<string>;
}

async function startNfcapd(dir: string): Promise<Collector> {
  const port = await freeUdpPort();
  const child: ChildProcess = spawn('nfcapd', ['-b', '127.0.0.1', '-p', String(port), '-w', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  // 'close', not 'exit': the closing statistics may still be in the pipe when the process has exited.
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Startup')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`nfcapd exited (${code}) before listening:\n${output}`)));
  });
  return {
    port,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      return output;
    },
  };
}

interface FlowRow {
  ts_us: number;
  duration: number;
  orig_h: string;
  orig_p: number;
  resp_h: string;
  resp_p: number;
  ip_proto: number;
  history: string | null;
  orig_pkts: number;
  orig_ip_bytes: number;
  resp_pkts: number;
  resp_ip_bytes: number;
  vlan: number | null;
}

interface NfdumpFlow {
  first: string;
  last: string;
  proto: number;
  src4_addr?: string;
  dst4_addr?: string;
  src6_addr?: string;
  dst6_addr?: string;
  src_port?: number;
  dst_port?: number;
  icmp_type?: number;
  icmp_code?: number;
  tcp_flags?: string;
  in_packets: number;
  in_bytes: number;
  out_packets: number;
  out_bytes: number;
  src_vlan: number;
}

const msTime = (ms: number): string => new Date(Math.max(0, ms)).toISOString().slice(0, 23);

/** What nfdump should list for a row of the flows table (see src/export/ipfix/flow-record.ts). */
function expectedKey(r: FlowRow): string {
  const icmp = r.ip_proto === 1 || r.ip_proto === 58;
  const counterpart = (r.ip_proto === 1 ? ICMP4_COUNTERPART : ICMP6_COUNTERPART)[r.orig_p] ?? -1;
  const ports = icmp ? `icmp ${r.orig_p}.${counterpart >= 0 ? 0 : r.resp_p}` : `${r.orig_p} ${r.resp_p}`;
  const origLetters = (r.history ?? '').replace(/[^A-Z]/g, '');
  const flags =
    r.ip_proto !== 6
      ? ''
      : `${/[SHQ]/.test(origLetters) ? 'S' : '.'}${/[FQ]/.test(origLetters) ? 'F' : '.'}${/R/.test(origLetters) ? 'R' : '.'}`;
  const start = Math.floor(r.ts_us / 1000);
  const end = Math.floor((r.ts_us + Math.round(r.duration * 1e6)) / 1000);
  return [
    r.orig_h,
    r.resp_h,
    ports,
    r.ip_proto,
    `${r.orig_pkts}/${r.orig_ip_bytes}`,
    `${r.resp_pkts}/${r.resp_ip_bytes}`,
    `vlan ${r.vlan ?? 0}`,
    msTime(start),
    msTime(end),
    flags,
  ].join(' | ');
}

function nfdumpKey(f: NfdumpFlow): string {
  const icmp = f.proto === 1 || f.proto === 58;
  const ports = icmp ? `icmp ${f.icmp_type}.${f.icmp_code}` : `${f.src_port ?? 0} ${f.dst_port ?? 0}`;
  // nfdump prints TCP flags as CEUAPRSF; the originator's SYN, FIN and RST are compared.
  const t = f.tcp_flags ?? '';
  const flags =
    f.proto !== 6 ? '' : `${t[6] === 'S' ? 'S' : '.'}${t[7] === 'F' ? 'F' : '.'}${t[5] === 'R' ? 'R' : '.'}`;
  return [
    f.src4_addr ?? f.src6_addr,
    f.dst4_addr ?? f.dst6_addr,
    ports,
    f.proto,
    `${f.in_packets}/${f.in_bytes}`,
    `${f.out_packets}/${f.out_bytes}`,
    `vlan ${f.src_vlan}`,
    f.first,
    f.last,
    flags,
  ].join(' | ');
}

test('the flows nfdump lists from nfcapd equal the flows table, for the whole corpus', async () => {
  const dir = join(work, 'nfcapd');
  mkdirSync(dir);
  const collector = await startNfcapd(dir);
  const db = join(work, 'corpus.db');
  let r: SpawnSyncReturns<string>;
  let log: string;
  try {
    r = nta(['read', '-q', '--no-chart', '--db', db, '--ipfix', `127.0.0.1:${collector.port}`, PCAPS_DIR]);
  } finally {
    log = await collector.stop();
  }
  const rows = dbRows<FlowRow>(
    db,
    `SELECT ts_us, duration, orig_h, orig_p, resp_h, resp_p, ip_proto, history, orig_pkts, orig_ip_bytes,
            resp_pkts, resp_ip_bytes, vlan FROM flows`,
  );
  const summary = /^IPFIX: ([\d,]+) flows? in ([\d,]+) messages? to (\S+), (\d+) send errors?$/m.exec(
    r.stderr,
  );
  assert.ok(summary !== null, r.stderr);
  assert.equal(Number(summary[1]!.replace(/,/g, '')), rows.length);
  assert.equal(summary[3], `127.0.0.1:${collector.port}`);
  assert.equal(summary[4], '0');
  const messages = Number(summary[2]!.replace(/,/g, ''));
  assert.ok(messages > 1 && messages < rows.length / 10, `${messages} messages: records are batched`);
  // The collector saw every record and no gap in the sequence numbers.
  assert.match(log, new RegExp(`Flows: ${rows.length}, .*Sequence Errors: 0, Bad Packets: 0`));

  const files = readdirSync(dir).filter((f) => /^nfcapd\.\d+$/.test(f));
  assert.ok(files.length > 0, `nfcapd wrote no file: ${readdirSync(dir).join(', ')}`);
  const listed: NfdumpFlow[] = [];
  for (const file of files) {
    const dump = spawnSync('nfdump', ['-r', join(dir, file), '-o', 'json'], {
      encoding: 'utf8',
      env: { ...process.env, TZ: 'UTC' },
      maxBuffer: 64 * 1024 * 1024,
    });
    assert.equal(dump.status, 0, dump.stderr);
    listed.push(...(JSON.parse(dump.stdout) as NfdumpFlow[]));
  }
  assert.ok(rows.length > 1000, `${rows.length} flows in the corpus`);
  assert.deepEqual(listed.map(nfdumpKey).sort(), rows.map(expectedKey).sort());
  // The comparison covers each kind of record the templates carry.
  assert.ok(listed.some((f) => f.src6_addr !== undefined && f.out_packets > 0));
  assert.ok(listed.some((f) => f.src_vlan > 0));
  assert.ok(listed.some((f) => f.proto === 1 && (f.icmp_code ?? 0) > 0));
  assert.ok(listed.some((f) => f.proto === 58));
});

test('a collector that is down costs the flows, not the run: send errors are counted', async () => {
  const port = await freeUdpPort(); // nothing listens: loopback answers ICMP port unreachable
  const r = nta(['read', '-q', '--no-db', '--ipfix', `127.0.0.1:${port}`, PCAPS_DIR]);
  // The corpus holds unreadable captures on purpose: exit status 1 is theirs, the read itself went on.
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /packets \([\d,]+ bytes\) read from 112 captures/);
  const summary = /^IPFIX: [\d,]+ flows? in ([\d,]+) messages? to \S+, ([\d,]+) send errors?$/m.exec(
    r.stderr,
  );
  assert.ok(summary !== null, r.stderr);
  assert.ok(Number(summary[2]!.replace(/,/g, '')) > 0, summary[0]);
  assert.doesNotMatch(r.stderr, /ECONNREFUSED|\n\s+at /);
});

test('a bad --ipfix value is one line on stderr and exit status 2', () => {
  for (const value of ['collector', '127.0.0.1:', '127.0.0.1:70000', '[::1]4739', '::1:4739']) {
    const r = nta(['read', '--no-db', '--ipfix', value, join(PCAPS_DIR, 'http-get-simple.pcap')]);
    assert.equal(r.status, 2, value);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^nta: .*'--ipfix <host:port>'.*expected HOST:PORT/, value);
  }
  const noFlows = nta([
    'read',
    '--no-db',
    '--no-flows',
    '--ipfix',
    '127.0.0.1:4739',
    join(PCAPS_DIR, 'http-get-simple.pcap'),
  ]);
  assert.equal(noFlows.status, 2);
  assert.equal(noFlows.stderr, 'nta: --ipfix exports flows: it cannot be used with --no-flows\n');
});
