/**
 * `nta read --db postgres://…` end to end: the real binary and a real PostgreSQL server (NTA_TEST_PG_URL,
 * set up by .ci/postgres.sh). PostgreSQL must hold exactly what SQLite holds, per frame and per flow, and
 * sensors writing one database at once must end with exactly what each writes alone.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { sqlColumns } from '../src/schema/log-schema.js';
import { LOG_STREAMS } from '../src/schema/streams.js';
import { NTA, dbRows, workDir } from './support/cli.js';
import { PCAPS_DIR } from './support/corpus.js';
import { SECURITY_DIR } from './support/security.js';
import { capture, sendUdp } from './support/live.js';
import { PG_URL, pgRows, scratchDatabase, withDatabase } from './support/postgres.js';

const work = workDir('nta-cli-pg-');

/** Varied captures: IPv4/IPv6, pcapng with several interfaces, VLAN and fragments, Linux SLL, damage. */
const CAPTURES = [
  'http-get-simple.pcap',
  'dns-edns-ecs-v4-v6-udp-tcp.pcap',
  'pcapng-multi-interface-dns.pcapng',
  'ipv4-fragmented-tcp-syn-vlan.pcap',
  'sll-mixed-home-traffic.pcap',
  'icmpv6-errors-quoting-udp.pcap',
  'malformed-dns-corrupt.pcap',
  'truncated-icmp-payload.pcap',
  'mixed-home-browsing-tls-dns.pcap',
].map((f) => join(PCAPS_DIR, f));

const TRAFFIC = `c.source, t.frame, t.timestamp, t.src_ip, t.dst_ip, t.protocol, t.src_port, t.dst_port, t.ip_proto, t.length`;
const trafficSql = (where = ''): string =>
  `SELECT ${TRAFFIC} FROM traffic t JOIN captures c ON c.id = t.capture_id ${where} ORDER BY c.source, t.frame`;
/** Every flow column but uid, which is random per run (as Zeek's). */
const logColumns = (table: keyof typeof LOG_STREAMS): string =>
  sqlColumns(LOG_STREAMS[table])
    .filter((c) => c !== 'uid')
    .map((c) => `f.${c} AS ${c.toLowerCase()}`)
    .join(', ');
/** A log table's rows in an order both databases agree on (uid aside, which is random per run). */
const logSql = (table: keyof typeof LOG_STREAMS, where = ''): string =>
  `SELECT c.source, ${logColumns(table)} FROM ${table} f JOIN captures c ON c.id = f.capture_id ${where}
   ORDER BY c.source, f.ts_us, f.id`;
const flowsSql = (where = ''): string => logSql('flows', where);

function readSync(db: string, files: string[], extra: string[] = []): void {
  const r = spawnSync('node', [NTA, 'read', '-q', '--no-chart', '--db', db, ...extra, ...files], {
    cwd: work,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
}

function readAsync(db: string, files: string[], extra: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', [NTA, 'read', '-q', '--no-chart', '--db', db, ...extra, ...files], {
      cwd: work,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`nta read exited ${code}: ${stderr}`)),
    );
  });
}

test('PostgreSQL holds exactly the traffic and flow rows SQLite holds, frame by frame', async () => {
  const sqlite = join(work, 'same.db');
  const pg = await scratchDatabase();
  readSync(sqlite, CAPTURES);
  readSync(pg, CAPTURES, ['--sensor', 'e2e']);
  const want = dbRows<Record<string, unknown>>(sqlite, trafficSql());
  const got = await pgRows<Record<string, unknown>>(pg, trafficSql());
  assert.ok(want.length > 500, `${want.length} traffic rows`);
  assert.equal(new Set(want.map((r) => r['source'])).size, CAPTURES.length);
  assert.deepEqual(got, want);
  const wantFlows = dbRows<Record<string, unknown>>(sqlite, flowsSql());
  const gotFlows = await pgRows<Record<string, unknown>>(pg, flowsSql());
  assert.ok(wantFlows.length > 50, `${wantFlows.length} flows`);
  assert.deepEqual(gotFlows, wantFlows);
  for (const table of ['dns', 'tls', 'http'] as const) {
    // Sorted here: the databases order NULLs and text differently.
    const wantLogs = dbRows<Record<string, unknown>>(sqlite, logSql(table))
      .map((r) => JSON.stringify(r))
      .sort();
    assert.ok(wantLogs.length > 0, `${table}: no rows`);
    const gotLogs = (await pgRows(pg, logSql(table))).map((r) => JSON.stringify(r)).sort();
    assert.deepEqual(gotLogs, wantLogs, table);
  }
  const captures =
    'SELECT source, format, status, error, packets, bytes, ip_packets, malformed, truncated, link_types FROM captures ORDER BY id';
  assert.deepEqual(await pgRows(pg, captures), dbRows(sqlite, captures));
});

test('four sensors reading different captures into one database at once end with exactly what each writes alone', async () => {
  const files = [
    'mixed-home-browsing-tls-dns.pcap',
    'http-ipv6-1000-requests-one-connection.pcap',
    'quic-ipv6-chromium-google.pcap',
    'mixed-office-ipv4-ipv6-http.pcap',
  ].map((f) => join(PCAPS_DIR, f));
  const shared = await scratchDatabase();
  await Promise.all(files.map((f, i) => readAsync(shared, [f], ['--sensor', `sensor-${i}`])));
  for (const [i, f] of files.entries()) {
    const alone = await scratchDatabase();
    readSync(alone, [f], ['--sensor', `sensor-${i}`]);
    const mine = `WHERE c.sensor = 'sensor-${i}'`;
    const want = await pgRows(alone, trafficSql());
    assert.ok(want.length > 500, `${f}: ${want.length} rows`);
    assert.deepEqual(await pgRows(shared, trafficSql(mine)), want, f);
    assert.deepEqual(await pgRows(shared, flowsSql(mine)), await pgRows(alone, flowsSql()), f);
    const sensors = await pgRows<{ sensor: string }>(
      shared,
      `SELECT DISTINCT t.sensor FROM traffic t JOIN captures c ON c.id = t.capture_id WHERE c.source = '${f}'`,
    );
    assert.deepEqual(sensors, [{ sensor: `sensor-${i}` }]);
  }
  const total = await pgRows<{ n: number }>(shared, 'SELECT COUNT(*) AS n FROM traffic');
  const sum = await pgRows<{ n: number }>(shared, 'SELECT SUM(ip_packets)::bigint AS n FROM captures');
  assert.equal(total[0]?.n, sum[0]?.n);
});

test('a PostgreSQL server that is down, a wrong password or a missing database: one line, exit 1', () => {
  const down = new URL(PG_URL);
  down.port = '1';
  const wrong = new URL(PG_URL);
  wrong.password = 'wrong-password';
  const cases: [string, RegExp][] = [
    [down.toString(), /cannot connect to PostgreSQL at .*:1 \(connection refused\)/],
    [wrong.toString(), /authentication failed for user/],
    [withDatabase(PG_URL, 'nta_missing_db'), /database nta_missing_db does not exist/],
  ];
  for (const [url, pattern] of cases) {
    const r = spawnSync('node', [NTA, 'read', '-q', '--db', url, CAPTURES[0]!], {
      cwd: work,
      encoding: 'utf8',
    });
    assert.equal(r.status, 1, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, pattern);
    assert.doesNotMatch(r.stderr, /wrong-password|\n\s+at /);
  }
});

test('nta capture on lo logs into PostgreSQL with its sensor name', { timeout: 30_000 }, async () => {
  assert.equal(process.getuid?.(), 0, 'live capture tests need root');
  const pg = await scratchDatabase();
  const run = await capture(
    [
      '-i',
      'lo',
      '-f',
      'udp and dst port 47931',
      '-c',
      '20',
      '-q',
      '--no-chart',
      '--db',
      pg,
      '--sensor',
      'lo-sensor',
    ],
    () => sendUdp(47931, 25),
    { cwd: work },
  );
  assert.equal(run.code, 0, run.stderr);
  const rows = await pgRows<{ n: number; sensor: string; port: number }>(
    pg,
    'SELECT COUNT(*) AS n, MIN(sensor) AS sensor, MIN(dst_port) AS port FROM traffic',
  );
  assert.deepEqual(rows, [{ n: 20, sensor: 'lo-sensor', port: 47931 }]);
  const captures = await pgRows(pg, 'SELECT source, status, packets, sensor FROM captures');
  assert.deepEqual(captures, [{ source: 'lo', status: 'complete', packets: 20, sensor: 'lo-sensor' }]);
});

test('alerts land in PostgreSQL as they land in SQLite', async () => {
  const scan = join(SECURITY_DIR, 'scan_vertical_syn__evilfingers_nmap_TCP_SYN_SCAN.pcap');
  const spoof = join(SECURITY_DIR, 'arp_spoof__pcaphunt_na-arpSpoofing.pcap');
  const sqlite = join(work, 'alerts.db');
  const pg = await scratchDatabase();
  readSync(sqlite, [scan, spoof]);
  readSync(pg, [scan, spoof], ['--sensor', 'alerts']);
  // Everything but the id, which is random per run.
  const sql = `SELECT type, variant, severity, src_ip, dst_ip, dst_port, first_seen, last_seen, count, message,
    evidence, mitre FROM alerts ORDER BY type, src_ip, dst_ip, first_seen_us`;
  const want = dbRows<Record<string, unknown>>(sqlite, sql);
  assert.ok(
    want.some((a) => a['type'] === 'port_scan_vertical') && want.some((a) => a['type'] === 'arp_spoof'),
    JSON.stringify(want.map((a) => a['type'])),
  );
  assert.deepEqual(await pgRows(pg, sql), want);
});
