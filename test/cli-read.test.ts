/** `nta read` end to end: the real binary, real files, a real SQLite database. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { NTA, dbRows, workDir } from './support/cli.js';
import { PCAPS_DIR, REPO_ROOT, corpusCaptures, referenceRows } from './support/corpus.js';

const work = workDir('nta-cli-');

const HTTP = join(PCAPS_DIR, 'http-get-simple.pcap'); // 14 TCP frames
const SMALL_LAN = join(REPO_ROOT, 'samples', 'small-lan.pcap');

function nta(args: string[], input?: Buffer): SpawnSyncReturns<string> {
  return spawnSync('node', [NTA, ...args], { cwd: work, encoding: 'utf8', ...(input ? { input } : {}) });
}

function assertOneLineError(r: SpawnSyncReturns<string>, pattern: RegExp): void {
  assert.notEqual(r.status, 0);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

test('reads a capture into network_traffic.db by default and prints one line per packet', () => {
  const dir = join(work, 'default');
  mkdirSync(dir);
  const r = spawnSync('node', [NTA, 'read', HTTP], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 14);
  assert.equal(lines[0], '2013-03-07 21:42:06.869344 | TCP | 141.142.228.5:59856 -> 192.150.187.43:80');
  assert.match(r.stderr, /14 packets \(6,087 bytes\) read from 1 capture/);
  assert.match(r.stderr, /TCP\s+14/);
  // The run ends with the protocol bar chart beside the database, as the seed tool did.
  const chart = join(dir, 'network_traffic-protocols.png');
  assert.match(r.stderr, /^Chart: network_traffic-protocols\.png$/m);
  assert.deepEqual([...readFileSync(chart).subarray(1, 4)], [0x50, 0x4e, 0x47]); // PNG
  // Drawing the chart reads the database without leaving empty -wal/-shm files beside it.
  assert.deepEqual(readdirSync(dir).sort(), ['network_traffic-protocols.png', 'network_traffic.db']);
  const rows = dbRows<{ dst_ip: string; n: number }>(
    join(dir, 'network_traffic.db'),
    'SELECT dst_ip, COUNT(*) AS n FROM traffic GROUP BY dst_ip ORDER BY dst_ip',
  );
  assert.deepEqual(rows, [
    { dst_ip: '141.142.228.5', n: 7 },
    { dst_ip: '192.150.187.43', n: 7 },
  ]);
});

test("the seed tool's query works with the sqlite3 command-line shell", () => {
  const db = join(work, 'seed-query.db');
  assert.equal(nta(['read', '-q', '--db', db, HTTP]).status, 0);
  const r = spawnSync('sqlite3', [db, 'SELECT dst_ip, COUNT(*) FROM traffic GROUP BY dst_ip;'], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '141.142.228.5|7\n192.150.187.43|7\n');
});

test('--json prints the summary as one JSON object with stable keys', () => {
  const db = join(work, 'json.db');
  const r = nta(['read', '--json', '--db', db, SMALL_LAN]);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.equal(summary['packets'], 132);
  assert.equal(typeof summary['elapsedSeconds'], 'number');
  assert.equal(typeof summary['packetsPerSecond'], 'number');
  assert.equal(summary['db'], db);
  const protocols = summary['protocols'] as Record<string, number>;
  const stored = dbRows<{ protocol: string; n: number }>(
    db,
    'SELECT protocol, COUNT(*) AS n FROM traffic GROUP BY protocol',
  );
  for (const { protocol, n } of stored) assert.equal(protocols[protocol], n, protocol);
  assert.equal(summary['rowsStored'], summary['ipPackets']);
});

test('-c stops after COUNT packets and -q prints no packet lines', () => {
  const db = join(work, 'count.db');
  const r = nta(['read', '-q', '-c', '5', '--db', db, SMALL_LAN]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '');
  const [cap] = dbRows<{ packets: number; status: string }>(db, 'SELECT packets, status FROM captures');
  assert.deepEqual(cap, { packets: 5, status: 'complete' });
});

test('reads standard input: tcpdump -w - | nta read -', () => {
  const db = join(work, 'stdin.db');
  const r = spawnSync(
    'bash',
    ['-c', `tcpdump -r '${HTTP}' -w - 2>/dev/null | node '${NTA}' read -q --db '${db}' -`],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(r.status, 0, r.stderr);
  const [cap] = dbRows<{ source: string; packets: number }>(db, 'SELECT source, packets FROM captures');
  assert.deepEqual(cap, { source: '-', packets: 14 });
});

test('reads gzip-compressed captures and folders in time order', () => {
  const dir = join(work, 'folder');
  mkdirSync(join(dir, 'nested'), { recursive: true });
  writeFileSync(join(dir, 'b-first.pcap.gz'), gzipSync(readFileSync(HTTP))); // 2013
  copyFileSync(SMALL_LAN, join(dir, 'nested', 'a-second.pcap'));
  writeFileSync(join(dir, 'notes.txt'), 'not a capture');
  const db = join(work, 'folder.db');
  const r = nta(['read', '-q', '--db', db, dir]);
  assert.equal(r.status, 0, r.stderr);
  const caps = dbRows<{ source: string; packets: number }>(
    db,
    'SELECT source, packets FROM captures ORDER BY id',
  );
  assert.deepEqual(
    caps.map((c) => c.packets),
    [14, 132],
  );
  assert.match(caps[0]!.source, /b-first\.pcap\.gz$/);
});

test('a corrupt record mid-file keeps the frames before it, names the offset and exits non-zero', () => {
  const db = join(work, 'corrupt.db');
  const r = nta(['read', '-q', '--db', db, join(PCAPS_DIR, 'unreadable-corrupt-record-after-smtp.pcap')]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /corrupt .*offset \d+/);
  const [cap] = dbRows<{ packets: number; status: string; error: string }>(
    db,
    'SELECT packets, status, error FROM captures',
  );
  assert.equal(cap!.packets, 18);
  assert.equal(cap!.status, 'error');
  const [{ n }] = dbRows<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM traffic') as [{ n: number }];
  assert.equal(n, 18);
});

test('bad input: one clear line on stderr and a non-zero exit, no database created', () => {
  const notCapture = join(work, 'not-a-capture.pcap');
  writeFileSync(notCapture, 'hello, this is text and not a capture file\n');
  assertOneLineError(nta(['read', '-q', '--db', join(work, 'x.db'), notCapture]), /not a capture file/);
  assertOneLineError(
    nta(['read', '-q', '--db', join(work, 'x.db'), join(work, 'missing.pcap')]),
    /no such file/,
  );
  assertOneLineError(
    nta(['read', '-q', '--db', join(work, 'x.db'), join(PCAPS_DIR, 'unreadable-pcap-invalid-version.pcap')]),
    /version/,
  );
  assertOneLineError(nta(['read', '-c', 'many', HTTP]), /positive whole number/);
  assertOneLineError(nta(['read', '--db', join(work, 'no-such-dir', 'x.db'), HTTP]), /cannot open database/);
  const r = nta(['frobnicate']);
  assert.equal(r.status, 2);
});

test('a capture the user may not read: one clear line (run as nobody, since root reads anything)', () => {
  const dir = join(work, 'perm');
  mkdirSync(dir, { mode: 0o755 });
  chmodSync(work, 0o755);
  const secret = join(dir, 'secret.pcap');
  copyFileSync(HTTP, secret);
  chmodSync(secret, 0o000);
  const r = spawnSync(
    'setpriv',
    ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'node', NTA, 'read', '--no-db', secret],
    {
      encoding: 'utf8',
    },
  );
  assertOneLineError(r, /secret\.pcap: permission denied$/);
});

test("migrates the seed tool's database in place and refuses databases that are not nta's", () => {
  const seed = join(work, 'seed.db');
  const conn = new Database(seed);
  conn.exec(`CREATE TABLE traffic (id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp TEXT, src_ip TEXT, dst_ip TEXT,
    protocol TEXT, src_port INTEGER, dst_port INTEGER);
    INSERT INTO traffic (timestamp, src_ip, dst_ip, protocol, src_port, dst_port)
    VALUES ('2024-01-01 00:00:00', '10.0.0.1', '10.0.0.2', 'TCP', 1, 2);`);
  conn.close();
  assert.equal(nta(['read', '-q', '--db', seed, HTTP]).status, 0);
  const rows = dbRows<{ src_ip: string; capture_id: number | null }>(
    seed,
    'SELECT src_ip, capture_id FROM traffic ORDER BY id',
  );
  assert.equal(rows.length, 15);
  assert.deepEqual(rows[0], { src_ip: '10.0.0.1', capture_id: null });
  assert.equal(rows[1]!.capture_id, 1);

  const foreign = join(work, 'foreign.db');
  const f = new Database(foreign);
  f.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)');
  f.close();
  assertOneLineError(nta(['read', '-q', '--db', foreign, HTTP]), /not an nta database/);
  const textFile = join(work, 'text.db');
  writeFileSync(textFile, 'plain text, definitely not SQLite'.repeat(100));
  assertOneLineError(nta(['read', '-q', '--db', textFile, HTTP]), /not a database/);
});

test('stops quietly when the reader of stdout goes away (nta read | head)', () => {
  const r = spawnSync('bash', ['-c', `node '${NTA}' read --no-db '${SMALL_LAN}' | head -n 2`], {
    encoding: 'utf8',
  });
  assert.equal(r.stdout.trim().split('\n').length, 2);
  assert.equal(r.stderr.includes('EPIPE'), false, r.stderr);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('-f BPF stores only the matching frames, under their frame numbers in the file', () => {
  const capture = corpusCaptures().find((c) => c.name === 'mixed-small-lan-tls-http-dns')!;
  const expected = referenceRows(capture)
    .filter((r) => r.ip_proto === '17' && (r.src_port === '53' || r.dst_port === '53'))
    .map((r) => r.frame);
  assert.ok(expected.length > 0);
  const db = join(work, 'filter.db');
  const r = nta(['read', '-q', '--json', '-f', 'udp port 53', '--db', db, capture.path]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { packets: number }).packets, expected.length);
  const frames = dbRows<{ frame: number }>(db, 'SELECT frame FROM traffic ORDER BY frame').map(
    (f) => f.frame,
  );
  assert.deepEqual(frames, expected);
  const [cap] = dbRows<{ packets: number }>(db, 'SELECT packets FROM captures');
  assert.equal(cap!.packets, expected.length);
});

test('-f on a pcapng file mixing link types compiles the filter for each', () => {
  const capture = corpusCaptures().find((c) => c.name === 'pcapng-example-eth-sll')!;
  const expected = referenceRows(capture).filter((r) => r.ip_proto === '6').length;
  const r = nta(['read', '-q', '--json', '--no-db', '-f', 'tcp', capture.path]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { packets: number }).packets, expected);
});

test('a bad filter is one line on stderr, before any database is created', () => {
  const dir = join(work, 'bad-filter');
  mkdirSync(dir);
  const r = spawnSync('node', [NTA, 'read', '-f', 'udp port', HTTP], { cwd: dir, encoding: 'utf8' });
  assertOneLineError(r, /^nta: bad capture filter 'udp port': syntax error$/);
  assert.deepEqual(readdirSync(dir), []);
});

test('-w writes the filtered packets to pcapng that tshark and nta read alike', () => {
  const capture = corpusCaptures().find((c) => c.name === 'mixed-small-lan-tls-http-dns')!;
  const out = join(work, 'dns.pcapng');
  const r = nta(['read', '-q', '--no-db', '-f', 'udp port 53', '-w', out, capture.path]);
  assert.equal(r.status, 0, r.stderr);
  const fields = (path: string, filter: string[]): string =>
    spawnSync(
      'tshark',
      ['-r', path, ...filter, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'ip.src'],
      { encoding: 'utf8' },
    ).stdout;
  const written = fields(out, []);
  assert.equal(written, fields(capture.path, ['-Y', 'udp.port == 53']));
  assert.equal(written.trim().split('\n').length, 10);
  const back = nta(['read', '-q', '--json', '--no-db', out]);
  assert.equal((JSON.parse(back.stdout) as { packets: number }).packets, 10);
  assert.match(spawnSync('capinfos', ['-c', out], { encoding: 'utf8' }).stdout, /Number of packets:\s+10\n/);
});

test('read fills the dns, tls and http tables and says how many records it made; --no-flows turns them off', () => {
  const captures = ['http-get-simple.pcap', 'tls12-chrome-google.pcap', 'dns-over-tcp.pcap'].map((n) =>
    join(PCAPS_DIR, n),
  );
  const db = join(work, 'metadata.db');
  const r = nta(['read', '-q', '--no-chart', '--db', db, ...captures]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^Flows: \d+; metadata: 1 dns, 1 tls, 1 http records$/m);
  assert.deepEqual(dbRows(db, `SELECT host, method, status_code FROM http`), [
    { host: 'bro.org', method: 'GET', status_code: 200 },
  ]);
  assert.deepEqual(dbRows(db, `SELECT server_name, version FROM tls`), [
    { server_name: 'google.de', version: 'TLSv12' },
  ]);
  // tshark: www.tcpdump.org, type 1, rcode 0, two A records in the answer section (its dns.a also lists
  // two from the additional section, which Zeek's answers, and ours, leave out).
  assert.deepEqual(dbRows(db, `SELECT proto, query, qtype_name, rcode_name, answers FROM dns`), [
    {
      proto: 'tcp',
      query: 'www.tcpdump.org',
      qtype_name: 'A',
      rcode_name: 'NOERROR',
      answers: '["192.139.46.66","198.199.88.104"]',
    },
  ]);
  const off = join(work, 'metadata-off.db');
  assert.equal(nta(['read', '-q', '--no-chart', '--no-flows', '--db', off, ...captures]).status, 0);
  for (const table of ['flows', 'dns', 'tls', 'http'])
    assert.deepEqual(dbRows(off, `SELECT count(*) AS n FROM ${table}`), [{ n: 0 }], table);
});

test('--no-packets stores flows and metadata without a traffic row per packet', () => {
  const db = join(work, 'no-packets.db');
  const r = nta(['read', '-q', '--no-packets', '--no-chart', '--db', db, HTTP]);
  assert.equal(r.status, 0, r.stderr);
  const count = (table: string): number =>
    dbRows<{ n: number }>(db, `SELECT COUNT(*) AS n FROM ${table}`)[0]!.n;
  assert.equal(count('traffic'), 0);
  assert.equal(count('flows'), 1);
  assert.equal(count('http'), 1);
  const [cap] = dbRows<{ packets: number; ip_packets: number }>(
    db,
    'SELECT packets, ip_packets FROM captures',
  );
  assert.deepEqual(cap, { packets: 14, ip_packets: 14 }, 'the capture row still counts every packet');
  const both = nta(['read', '--no-packets', '--no-flows', '--db', join(work, 'nothing.db'), HTTP]);
  assert.equal(both.status, 2);
  assert.equal(
    both.stderr,
    'nta: --no-packets with --no-flows leaves nothing to store; use --no-db to decode only\n',
  );
  assert.equal(existsSync(join(work, 'nothing.db')), false);
});
