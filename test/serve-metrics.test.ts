/**
 * `GET /metrics` of `nta serve` on a database built by `nta read` from corpus and security captures: the
 * text is read with a strict grammar of the exposition format 0.0.4, and every nta_* figure is checked
 * against SQL on the same file, before and after more packets are stored; off loopback it needs the token.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { buildApp } from '../src/server/app.js';
import { NTA, dbRows, workDir } from './support/cli.js';
import { PCAPS_DIR } from './support/corpus.js';
import { SECURITY_DIR } from './support/security.js';
import {
  PROMETHEUS_CONTENT_TYPE,
  parsePrometheusText,
  sampleValue,
  seriesBy,
  type Family,
} from './support/prometheus.js';
import { startServe } from './support/serve.js';

const work = workDir('nta-serve-metrics-');
const DB = join(work, 'metrics.db');
const CAPTURES = [
  join(SECURITY_DIR, 'arp_spoof__pcaphunt_na-arpSpoofing.pcap'),
  join(SECURITY_DIR, 'scan_vertical_syn_small__ppa_portscan.pcap'),
  join(SECURITY_DIR, 'creds_ftp__ppa_ftp.pcap'),
  join(PCAPS_DIR, 'dns-many-queries.pcap'),
];
const read = (db: string, files: string[]): void => {
  const r = spawnSync('node', [NTA, 'read', '-q', '--no-chart', '--db', db, ...files], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
};
read(DB, CAPTURES);
// Files have no drops; give two captures the counters a live capture would have left.
const writable = new Database(DB);
writable.prepare('UPDATE captures SET dropped = 7, if_dropped = 2 WHERE id = 1').run();
writable.prepare('UPDATE captures SET dropped = 5 WHERE id = 3').run();
writable.close();

const { app } = await buildApp({ dbPath: DB, token: null, version: 'test-version' });
test.after(() => app.close());

async function scrape(): Promise<Map<string, Family>> {
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.headers['content-type'], PROMETHEUS_CONTENT_TYPE);
  return parsePrometheusText(res.body);
}

const byProtocol = (db: string, what: string): Record<string, number> =>
  Object.fromEntries(
    dbRows<{ p: string; n: number }>(db, `SELECT protocol AS p, ${what} AS n FROM traffic GROUP BY 1`).map(
      (r) => [r.p, r.n],
    ),
  );

test('the strict reader refuses what the format does not allow', () => {
  const ok = '# HELP a_total A.\n# TYPE a_total counter\na_total{x="q\\"\\\\\\n"} 1\n\nb 2.5e3\n';
  const parsed = parsePrometheusText(ok);
  assert.equal(sampleValue(parsed, 'a_total', { x: 'q"\\\n' }), 1);
  assert.equal(sampleValue(parsed, 'b'), 2500);
  for (const bad of [
    'a 1', // no final newline
    'a{x="1"} 1\na{x="1"} 2\n', // a series twice
    '# TYPE a counter\na 1\n', // a counter without _total
    'a{x="\\t"} 1\n', // an escape the format lacks
    'a{x=1} 1\n', // an unquoted label value
    'a 1\nb 1\na 2\n', // a family split in two
    'a 1\n# TYPE a gauge\n', // TYPE after the samples
    '# TYPE a gauge\n# TYPE a gauge\na 1\n', // TYPE twice
    'a one\n', // not a number
    '1a 1\n', // not a metric name
  ])
    assert.throws(() => parsePrometheusText(bad), Error, JSON.stringify(bad));
});

test('every nta_* figure of a database agrees with SQL on it', async () => {
  const m = await scrape();
  for (const [name, type] of [
    ['nta_packets_total', 'counter'],
    ['nta_bytes_total', 'counter'],
    ['nta_drops_total', 'counter'],
    ['nta_flows_total', 'counter'],
    ['nta_alerts_total', 'counter'],
    ['nta_capture_up', 'gauge'],
    ['nta_build_info', 'gauge'],
  ])
    assert.equal(m.get(name!)?.type, type, name);
  const packets = seriesBy(m, 'nta_packets_total', ['protocol']);
  assert.deepEqual(packets, byProtocol(DB, 'COUNT(*)'));
  assert.ok((packets['UDP'] ?? 0) > 400 && (packets['TCP'] ?? 0) > 50, JSON.stringify(packets));
  assert.deepEqual(seriesBy(m, 'nta_bytes_total', ['protocol']), byProtocol(DB, 'SUM(length)'));
  assert.deepEqual(seriesBy(m, 'nta_drops_total', ['reason']), { kernel: 12, interface: 2 });
  const [flows] = dbRows<{ n: number }>(DB, 'SELECT COUNT(*) AS n FROM flows');
  assert.ok(flows!.n > 200);
  assert.equal(sampleValue(m, 'nta_flows_total'), flows!.n);
  const alerts = dbRows<{ severity: string; type: string; n: number }>(
    DB,
    'SELECT severity, type, COUNT(*) AS n FROM alerts GROUP BY 1, 2',
  );
  assert.ok(alerts.length >= 3, JSON.stringify(alerts));
  assert.deepEqual(
    seriesBy(m, 'nta_alerts_total', ['severity', 'type']),
    Object.fromEntries(alerts.map((a) => [`${a.severity}/${a.type}`, a.n])),
  );
  assert.equal(sampleValue(m, 'nta_capture_up'), 0, 'every capture row is finished');
  assert.equal(sampleValue(m, 'nta_build_info', { version: 'test-version' }), 1);
  // What only a pipeline knows is left out, not shown as 0.
  assert.equal(m.get('nta_flows_active'), undefined);
  assert.equal(m.get('nta_store_queue_depth'), undefined);
  assert.equal(sampleValue(m, 'nta_drops_total', { reason: 'behind' }), undefined);
  // prom-client's process metrics come along.
  assert.equal(m.get('process_cpu_seconds_total')?.type, 'counter');
});

test('counters follow the rows stored after the first scrape, and a running capture sets capture_up', async () => {
  const db = join(work, 'growing.db');
  copyFileSync(DB, db);
  const local = await buildApp({ dbPath: db, token: null, version: 'test' });
  try {
    const get = async (): Promise<Map<string, Family>> =>
      parsePrometheusText((await local.app.inject({ url: '/metrics' })).body);
    const before = seriesBy(await get(), 'nta_packets_total', ['protocol']);
    read(db, [join(PCAPS_DIR, 'http-get-simple.pcap'), join(PCAPS_DIR, 'icmp-types-variety.pcap')]);
    const after = await get();
    assert.deepEqual(seriesBy(after, 'nta_packets_total', ['protocol']), byProtocol(db, 'COUNT(*)'));
    assert.deepEqual(seriesBy(after, 'nta_bytes_total', ['protocol']), byProtocol(db, 'SUM(length)'));
    const icmp = seriesBy(after, 'nta_packets_total', ['protocol'])['ICMP'] ?? 0;
    assert.ok(icmp > (before['ICMP'] ?? 0), 'the ICMP capture added packets');
    const w = new Database(db);
    w.prepare(`UPDATE captures SET status = 'running' WHERE id = (SELECT MAX(id) FROM captures)`).run();
    w.close();
    assert.equal(sampleValue(await get(), 'nta_capture_up'), 1);
  } finally {
    await local.app.close();
  }
});

test('off loopback /metrics needs the token, as /api/ does', async () => {
  const server = await startServe(['--db', DB, '--listen', '127.0.0.2:0', '--token', 'metrics-scrape-token']);
  const url = new URL('metrics', server.url);
  assert.equal((await fetch(url)).status, 401);
  assert.equal((await fetch(url, { headers: { authorization: 'Bearer wrong-token-here' } })).status, 401);
  const res = await fetch(url, { headers: { authorization: 'Bearer metrics-scrape-token' } });
  assert.equal(res.status, 200);
  const m = parsePrometheusText(await res.text());
  assert.equal(
    sampleValue(m, 'nta_flows_total'),
    dbRows<{ n: number }>(DB, 'SELECT COUNT(*) AS n FROM flows')[0]!.n,
  );
  await server.stop();
});
