/**
 * The readers (charts, report, `nta alerts`, `nta serve`) answer the same from SQLite and from PostgreSQL:
 * the same corpus captures are read into a SQLite file and, as sensor 'parity', into a PostgreSQL database
 * that also holds another sensor's capture; scoped to 'parity', PostgreSQL must give exactly SQLite's
 * chart data (the Vega specs), report page, alert listing, mutes and API answers.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { engineOptions } from '../src/detect/config.js';
import { DetectionEngine } from '../src/detect/engine.js';
import { fileInputs, readCaptures } from '../src/pipeline.js';
import {
  CHART_TYPES,
  DEFAULT_CHART_SIZE,
  chartSpec,
  parseTimeArg,
  type ChartFilter,
} from '../src/present/charts/index.js';
import { hostClassSql } from '../src/present/charts/query.js';
import { renderReport } from '../src/present/report/index.js';
import type { LiveTick } from '../src/server/api-types.js';
import { buildApp } from '../src/server/app.js';
import { LiveFeed } from '../src/server/live-feed.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { redactUrl } from '../src/store/postgres/url.js';
import { openQueryDb, type QueryDb } from '../src/store/query/query-db.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { Store } from '../src/store/store.js';
import { NTA, dbRows, workDir } from './support/cli.js';
import { PCAPS_DIR } from './support/corpus.js';
import { pgRows, scratchDatabase } from './support/postgres.js';
import { SECURITY_DIR } from './support/security.js';
import { startServe } from './support/serve.js';

const work = workDir('nta-query-parity-');
const SQLITE = join(work, 'parity.db');
const PG = await scratchDatabase();
const SENSOR = 'parity';

/** TLS, DNS and HTTP names, IPv6, Linux SLL, and alerts of several types and severities. */
const CAPTURES = [
  join(PCAPS_DIR, 'mixed-home-browsing-tls-dns.pcap'),
  join(PCAPS_DIR, 'http-get-simple.pcap'),
  join(PCAPS_DIR, 'dns-edns-ecs-v4-v6-udp-tcp.pcap'),
  join(PCAPS_DIR, 'sll-mixed-home-traffic.pcap'),
  join(SECURITY_DIR, 'scan_vertical_syn__evilfingers_nmap_TCP_SYN_SCAN.pcap'),
  join(SECURITY_DIR, 'arp_spoof__pcaphunt_na-arpSpoofing.pcap'),
];
/** Another sensor's traffic in the same PostgreSQL database: a reader scoped to 'parity' never sees it. */
const OTHER = [join(PCAPS_DIR, 'mixed-office-ipv4-ipv6-http.pcap')];

async function load(store: Store, files: readonly string[]): Promise<void> {
  try {
    await readCaptures({
      inputs: fileInputs(files),
      store,
      flows: { uidSeed: 1 },
      detect: new DetectionEngine(engineOptions({})),
    });
  } finally {
    await store.close();
  }
}

/**
 * Alert ids are random per run: both databases get ids numbered in content order (prefix 'A' for the
 * parity sensor, 'AX' for the other), so the answers can be compared whole.
 */
async function numberAlerts(db: QueryDb, prefix: string, sensor?: string): Promise<void> {
  const where = sensor === undefined ? '' : `WHERE sensor = '${sensor}'`;
  const rows = await db.all<{ id: string; key: string }>(
    `SELECT id, type || '|' || src_ip || '|' || COALESCE(dst_ip, '') || '|' || COALESCE(CAST(dst_port AS TEXT), '')
       || '|' || CAST(first_seen_us AS TEXT) AS key FROM alerts ${where}`,
  );
  rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const [i, r] of rows.entries())
    await db.run(`UPDATE alerts SET id = @id WHERE id = @old`, { id: `${prefix}${i + 1}`, old: r.id });
}

await load(await SqliteStore.open(SQLITE), CAPTURES);
await load(await PostgresStore.open(PG, { sensor: SENSOR, retentionDays: null }), CAPTURES);
await load(await PostgresStore.open(PG, { sensor: 'other', retentionDays: null }), OTHER);
{
  const sqlite = await openQueryDb(SQLITE, { writable: true });
  const pg = await openQueryDb(PG);
  await numberAlerts(sqlite, 'A');
  await numberAlerts(pg, 'A', SENSOR);
  await numberAlerts(pg, 'AX', 'other');
  await Promise.all([sqlite.close(), pg.close()]);
}

/** Opens both databases (PostgreSQL scoped to the parity sensor), runs `work` on each, closes them. */
async function onBoth<T>(work: (db: QueryDb) => Promise<T>): Promise<[sqlite: T, pg: T]> {
  const sqlite = await openQueryDb(SQLITE);
  const pg = await openQueryDb(PG, { sensor: SENSOR });
  try {
    return [await work(sqlite), await work(pg)];
  } finally {
    await Promise.all([sqlite.close(), pg.close()]);
  }
}

/** The result, or the error message (charts with nothing to draw are errors, and must be the same ones). */
async function outcome<T>(work: () => Promise<T>): Promise<T | { error: string }> {
  try {
    return await work();
  } catch (err) {
    return { error: (err as Error).message };
  }
}

test('the corpus is in both databases, and PostgreSQL holds another sensor beside it', async () => {
  const sqlitePackets = dbRows<{ n: number }>(SQLITE, 'SELECT COUNT(*) AS n FROM traffic')[0]!.n;
  const perSensor = await pgRows<{ sensor: string; n: number }>(
    PG,
    'SELECT sensor, COUNT(*) AS n FROM traffic GROUP BY sensor ORDER BY sensor',
  );
  assert.ok(sqlitePackets > 3000, `${sqlitePackets} packets`);
  assert.equal(perSensor.length, 2);
  assert.ok(perSensor[0]!.n > 1000, JSON.stringify(perSensor));
  assert.deepEqual(perSensor[1], { sensor: SENSOR, n: sqlitePackets });
  const alerts = dbRows<{ type: string }>(SQLITE, 'SELECT DISTINCT type FROM alerts ORDER BY type');
  assert.ok(alerts.length >= 3, JSON.stringify(alerts));
});

const FIRST = dbRows<{ t: string }>(SQLITE, 'SELECT MIN(timestamp) AS t FROM traffic')[0]!.t;
/** Filters every chart is drawn with: all, one capture, two captures, and a time range (UTC). */
const FILTERS: readonly ChartFilter[] = [
  {},
  { captureIds: [1] },
  { captureIds: [3, 5] },
  { from: parseTimeArg('2022-03-17T08:39:00Z', '--from'), to: parseTimeArg('2022-03-17T08:40:00Z', '--to') },
  { from: FIRST, to: FIRST },
];

for (const type of CHART_TYPES) {
  test(`${type} chart: the same Vega-Lite spec and data from SQLite and PostgreSQL`, async () => {
    let drawn = 0;
    for (const f of FILTERS) {
      const [want, got] = await onBoth((db) =>
        outcome(async () => {
          const spec = await chartSpec(db, 'parity', { ...f, type });
          return { items: spec.items, spec: spec.build(DEFAULT_CHART_SIZE) };
        }),
      );
      assert.deepEqual(got, want, `${type} ${JSON.stringify(f)}`);
      if (!('error' in want)) drawn++;
    }
    assert.ok(drawn >= 3, `${type}: ${drawn} of ${FILTERS.length} filters drew a chart`);
  });
}

test('a chart of the whole PostgreSQL database (every sensor) has more packets than one sensor', async () => {
  const all = await openQueryDb(PG);
  try {
    const spec = await chartSpec(all, 'parity', { type: 'protocols' });
    const [one] = await onBoth((db) => chartSpec(db, 'parity', { type: 'protocols' }));
    const packets = (s: typeof spec): number =>
      (s.build(DEFAULT_CHART_SIZE) as { data: { values: { packets: number }[] } }).data.values.reduce(
        (n, v) => n + v.packets,
        0,
      );
    assert.ok(packets(spec) > packets(one), `${packets(spec)} > ${packets(one)}`);
  } finally {
    await all.close();
  }
});

test('report: the same page from SQLite and PostgreSQL, every section present', async () => {
  const now = new Date(Date.UTC(2024, 0, 1));
  for (const f of [{}, { captureIds: [1, 2] }]) {
    const [want, got] = await onBoth(async (db) => (await renderReport(db, 'parity', { ...f, now })).markup);
    for (const id of ['summary', 'charts', 'talkers', 'ports', 'domains', 'alerts'])
      assert.ok(want.includes(`<section id="${id}">`), `section ${id}`);
    assert.equal(got, want, JSON.stringify(f));
  }
});

test('host classes: the same in both dialects for every kind of address', async () => {
  const cases: [string, string][] = [
    ...['10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '127.0.0.1', '169.254.9.9'].map(
      (ip): [string, string] => [ip, 'local'],
    ),
    ...['::1', 'fe80::1', 'febf::1', 'fd12:3456::1', 'fc00::1'].map((ip): [string, string] => [ip, 'local']),
    ...[
      '172.15.0.1',
      '172.32.0.1',
      '8.8.8.8',
      '2001:db8::1',
      'fe8::1',
      'fec0::1',
      '11.0.0.1',
      '1.10.0.1',
    ].map((ip): [string, string] => [ip, 'remote']),
    ...['224.0.0.251', '239.255.255.250', '255.255.255.255', 'ff02::fb'].map((ip): [string, string] => [
      ip,
      'multicast/broadcast',
    ]),
  ];
  const [sqlite, pg] = await onBoth(async (db) => {
    const out: string[] = [];
    for (const [ip] of cases)
      out.push(
        (await db.get<{ c: string }>(
          {
            sqlite: `SELECT ${hostClassSql('@ip', 'sqlite')} AS c`,
            postgres: `SELECT ${hostClassSql('CAST(@ip AS TEXT)', 'postgres')} AS c`,
          },
          { ip },
        ))!.c,
      );
    return out;
  });
  assert.deepEqual(
    sqlite,
    cases.map((c) => c[1]),
  );
  assert.deepEqual(pg, sqlite);
});

/** Drops `sensor` (PostgreSQL's extra column) from every object in a JSON value. */
function withoutSensor(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutSensor);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.entries(v as Record<string, unknown>)
      .filter(([k]) => k !== 'sensor')
      .map(([k, x]) => [k, withoutSensor(x)]),
  );
}

test('nta serve: every API route answers the same from SQLite and PostgreSQL; acknowledgements too', async () => {
  const sqlite = (await buildApp({ dbPath: SQLITE, token: null, version: 'test' })).app;
  const pg = (await buildApp({ dbPath: PG, sensor: SENSOR, token: null, version: 'test' })).app;
  try {
    const both = async (method: 'GET' | 'POST' | 'DELETE', url: string): Promise<unknown> => {
      const [a, b] = await Promise.all([sqlite.inject({ method, url }), pg.inject({ method, url })]);
      assert.equal(a.statusCode, 200, `${url}: ${a.body}`);
      assert.equal(b.statusCode, 200, `${url}: ${b.body}`);
      const want = withoutSensor(a.json());
      assert.deepEqual(withoutSensor(b.json()), want, url);
      return want;
    };
    const flows = (await both('GET', '/api/flows?limit=500')) as { rows: { uid: string; orig_h: string }[] };
    assert.ok(flows.rows.length > 100, `${flows.rows.length} flows`);
    const flow = flows.rows.find((r) => r.orig_h.startsWith('192.168.'))!;
    const alerts = (await both('GET', '/api/alerts?limit=500')) as { total: number; rows: { id: string }[] };
    assert.ok(alerts.total > 10, `${alerts.total} alerts`);
    const from = Date.parse('2022-03-17T08:39:00Z');
    const urls = [
      '/api/timeline',
      '/api/timeline?series=3',
      `/api/timeline?from=${from}&to=${from + 60_000}`,
      '/api/protocols?limit=5',
      '/api/top/talkers?limit=50',
      `/api/top/talkers?from=${from}&to=${from + 60_000}`,
      '/api/top/ports?limit=50',
      '/api/top/destinations?limit=50',
      '/api/top/domains?limit=50',
      '/api/flows?sort=bytes&order=asc&limit=100',
      '/api/flows?sort=resp_h&limit=100&offset=20',
      '/api/flows?proto=udp&port=53&limit=500',
      '/api/flows?q=192.168&limit=500',
      `/api/flows?from=${from}&to=${from + 60_000}&limit=500`,
      `/api/flows/${flow.uid}`,
      `/api/flows/${flow.uid}/packets`,
      '/api/hosts?limit=500',
      '/api/hosts?class=remote&sort=flows&limit=500',
      `/api/hosts/${flow.orig_h}`,
      '/api/alerts?sort=severity&order=asc&limit=500',
      '/api/alerts?sort=count&limit=7&offset=3',
      `/api/alerts?host=${flow.orig_h}&limit=500`,
    ];
    for (const url of urls) await both('GET', url);
    // The hosts page reads the device inventory in both: a device's detail, filters on its addresses and MAC.
    const hosts = (await both('GET', '/api/hosts?sort=name&order=asc&limit=500')) as {
      source: string;
      rows: { host: string; kind: string; ips: string[]; hostName: string | null }[];
    };
    assert.equal(hosts.source, 'inventory');
    const device = hosts.rows.find((r) => r.kind === 'device' && r.ips.length > 1);
    assert.ok(device !== undefined, 'a device with several addresses');
    await both('GET', `/api/hosts/${device.host}`);
    await both('GET', `/api/hosts?q=${encodeURIComponent(device.ips[1]!.slice(0, 6))}&limit=500`);
    await both('GET', `/api/hosts?q=${device.host.slice(0, 8)}&sort=last&limit=500`);
    // The captures' start and end are wall-clock times of each load: all else must be equal.
    const [a, b] = await Promise.all([sqlite.inject('/api/summary'), pg.inject('/api/summary')]);
    const clockless = (s: { captures: Record<string, unknown>[] }): unknown => ({
      ...s,
      captures: s.captures.map(({ startedAt: _s, endedAt: _e, ...c }) => c),
    });
    assert.deepEqual(clockless(b.json()), clockless(a.json()));

    const id = alerts.rows[2]!.id;
    await both('POST', `/api/alerts/${id}/ack`);
    const acked = (await both('GET', '/api/alerts?acknowledged=true')) as { rows: { id: string }[] };
    assert.deepEqual(
      acked.rows.map((r) => r.id),
      [id],
    );
    await both('DELETE', `/api/alerts/${id}/ack`);
    assert.equal(((await both('GET', '/api/alerts?acknowledged=true')) as { total: number }).total, 0);
    const other = await pg.inject({ method: 'POST', url: '/api/alerts/AX1/ack' });
    assert.equal(other.statusCode, 404, "another sensor's alert is not this server's");
  } finally {
    await Promise.all([sqlite.close(), pg.close()]);
  }
});

function nta(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync('node', [NTA, ...args], { cwd: work, encoding: 'utf8' });
}

test('nta alerts: listing, mute, allowlist and unmute say the same for SQLite and PostgreSQL', () => {
  const dbs = [
    ['--db', SQLITE],
    ['--db', PG, '--sensor', SENSOR],
  ] as const;
  const json = dbs.map((db) => {
    const r = nta(['alerts', ...db, '--json']);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout
      .trim()
      .split('\n')
      .map((l) => withoutSensor(JSON.parse(l)));
  });
  assert.ok(json[0]!.length > 10, `${json[0]!.length} alerts`);
  assert.deepEqual(json[1], json[0]);
  const text = dbs.map((db) => {
    const r = nta(['alerts', ...db, '--type', 'port_scan_vertical']);
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  });
  assert.ok(text[0]!.stdout.includes('port_scan_vertical'), text[0]!.stdout);
  assert.deepEqual(text[1], text[0]);

  const said = (args: string[]): string[] =>
    dbs.map((db) => {
      const r = nta([...args, ...db]);
      return `${r.status} ${r.stdout}${r.stderr.replace(SQLITE, 'DB').replace(redactUrl(PG), 'DB')}`;
    });
  const same = (args: string[], pattern: RegExp): void => {
    const [a, b] = said(args);
    assert.match(a!, pattern);
    assert.equal(b, a, args.join(' '));
  };
  same(['alerts', 'mute', 'A3', '--comment', 'known scanner'], /^0 muted: #1 /);
  same(['alerts', 'allowlist'], /^0 #1 .*"known scanner" \(from A3\)/);
  same(['alerts', 'mute', 'AX1', '--comment', 'x'], /^2 nta: DB: no alert AX1$/m);
  same(['alerts', 'unmute', '1'], /^0 removed allowlist entry 1/);
  same(['alerts', 'unmute', '1'], /^2 nta: DB: no allowlist entry 1$/m);
  same(['alerts', 'allowlist'], /^0 $/);
});

test('--sensor needs PostgreSQL: one line, for every reader', () => {
  for (const args of [['chart'], ['report'], ['alerts'], ['serve', '--listen', '127.0.0.1:0']]) {
    const r = nta([...args, '--db', SQLITE, '--sensor', 'x']);
    assert.equal(r.status, 2, `${args[0]}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /--sensor needs a PostgreSQL --db/);
  }
});

test('nta chart and nta report from a PostgreSQL URL: files named after the database, no password shown', () => {
  const chart = nta(['chart', '--db', PG, '--sensor', SENSOR, '-t', 'talkers']);
  assert.equal(chart.status, 0, chart.stderr);
  const name = new URL(PG).pathname.slice(1);
  assert.equal(chart.stdout.trim(), `${name}-talkers.png`);
  const report = nta(['report', '--db', PG, '-o', join(work, 'pg.html')]);
  assert.equal(report.status, 0, report.stderr);
  const missing = nta(['chart', '--db', PG, '--sensor', 'nobody']);
  assert.equal(missing.status, 1, missing.stderr);
  assert.match(missing.stderr, /no packets to chart/);
  assert.doesNotMatch(missing.stderr + chart.stderr + report.stderr, /:nta@|password/);
});

test('a mute in PostgreSQL keeps the next nta read of that sensor from raising the alert again', async () => {
  const scan = CAPTURES[4]!;
  const [muted] = await pgRows<{ id: string; type: string; src_ip: string; dst_ip: string }>(
    PG,
    `SELECT id, type, src_ip, dst_ip FROM alerts WHERE type = 'port_scan_vertical' AND sensor = '${SENSOR}'
     ORDER BY id LIMIT 1`,
  );
  assert.ok(muted !== undefined);
  const count = async (sensor: string): Promise<number> =>
    (
      await pgRows<{ n: number }>(
        PG,
        'SELECT COUNT(*) AS n FROM alerts WHERE type = $1 AND src_ip = $2 AND dst_ip = $3 AND sensor = $4',
        [muted.type, muted.src_ip, muted.dst_ip, sensor],
      )
    )[0]!.n;
  assert.equal(await count(SENSOR), 1);
  const mute = nta(['alerts', 'mute', muted.id, '--comment', 'lab scanner', '--db', PG, '--sensor', SENSOR]);
  assert.equal(mute.status, 0, mute.stderr);
  const read = nta(['read', '-q', '--no-chart', '--db', PG, '--sensor', SENSOR, scan]);
  assert.equal(read.status, 0, read.stderr);
  assert.equal(await count(SENSOR), 1, 'muted: not raised again');
  const other = nta(['read', '-q', '--no-chart', '--db', PG, '--sensor', 'third', scan]);
  assert.equal(other.status, 0, other.stderr);
  assert.equal(await count('third'), 1, "another sensor is not muted by this sensor's entry");
});

test("the dashboard's live counters count what a sensor adds to PostgreSQL, and only that sensor's", async () => {
  const db = await openQueryDb(PG, { sensor: SENSOR });
  const feed = new LiveFeed(db, { intervalMs: 50 });
  const ticks: LiveTick[] = [];
  let wake: () => void = () => undefined;
  const unsubscribe = feed.subscribe((tick) => {
    ticks.push(tick);
    wake();
  });
  const nextTick = (): Promise<void> => new Promise((resolve) => (wake = resolve));
  try {
    await nextTick();
    const counted = (): number => ticks.reduce((n, t) => n + t.totalPackets, 0);
    assert.equal(counted(), 0, 'nothing added yet');
    const added = CAPTURES[1]!;
    await load(await PostgresStore.open(PG, { sensor: 'other', retentionDays: null }), OTHER);
    await load(await PostgresStore.open(PG, { sensor: SENSOR, retentionDays: null }), [added]);
    const [want] = await pgRows<{ n: number }>(
      PG,
      `SELECT COUNT(*) AS n FROM traffic t JOIN captures c ON c.id = t.capture_id
       WHERE c.source = $1 AND t.sensor = $2 AND t.capture_id = (SELECT MAX(id) FROM captures WHERE sensor = $2)`,
      [added, SENSOR],
    );
    assert.ok(want!.n > 10, `${want!.n} packets added`);
    while (counted() < want!.n) await nextTick();
    await nextTick();
    assert.equal(counted(), want!.n);
  } finally {
    unsubscribe();
    await db.close();
  }
});

test('nta serve --db postgres://… --sensor: the dashboard and the API of one sensor', async () => {
  const server = await startServe(['--db', PG, '--sensor', SENSOR, '--listen', '127.0.0.1:0']);
  try {
    const res = await fetch(new URL('/api/summary', server.url));
    assert.equal(res.status, 200);
    const summary = (await res.json()) as { packets: number };
    const [want] = await pgRows<{ n: number }>(PG, 'SELECT COUNT(*) AS n FROM traffic WHERE sensor = $1', [
      SENSOR,
    ]);
    assert.equal(summary.packets, want!.n);
    const page = await fetch(server.url);
    assert.equal(page.status, 200, 'the dashboard itself is served');
  } finally {
    await server.stop();
  }
});
