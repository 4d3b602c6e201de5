/**
 * `nta serve`'s HTTP API on databases built by `nta read` from corpus captures: every figure checked
 * against SQL on the same file, pagination and sorting, validation (400), unknown ids (404), the OpenAPI
 * description, security headers, the token off loopback (a real server on 127.0.0.2) and a live update
 * while `nta read` adds packets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type {
  AlertPage,
  FlowDetail,
  FlowRow,
  HostDetail,
  HostPage,
  Page,
  PacketRow,
  ProtocolRow,
  Summary,
  TalkerRow,
  TimelineResponse,
} from '../src/server/api-types.js';
import type { AllowEntry } from '../src/server/api-types.js';
import { buildApp } from '../src/server/app.js';
import { writeAlertEvidence } from '../src/pipeline.js';
import { NTA, dbRows, workDir } from './support/cli.js';
import { PCAPS_DIR } from './support/corpus.js';
import { evidenceFilterOf, tsharkFrames, type AlertRow } from './support/evidence.js';
import { SECURITY_DIR } from './support/security.js';
import { openLiveStream, startServe } from './support/serve.js';

const work = workDir('nta-serve-api-');
const DB = join(work, 'corpus.db');
const CAPTURES = [
  'mixed-home-browsing-tls-dns.pcap',
  'http-get-simple.pcap',
  'dns-many-queries.pcap',
  'icmp-types-variety.pcap',
].map((c) => join(PCAPS_DIR, c));
const read = spawnSync('node', [NTA, 'read', '-q', '--no-chart', '--db', DB, ...CAPTURES], {
  encoding: 'utf8',
});
assert.equal(read.status, 0, read.stderr);

const one = <T>(sql: string, db = DB): T =>
  dbRows<Record<string, T>>(db, sql).map((r) => Object.values(r)[0] as T)[0]!;

const { app } = await buildApp({ dbPath: DB, token: null, version: 'test' });
test.after(() => app.close());

async function get<T>(url: string, status = 200): Promise<T> {
  const res = await app.inject({ method: 'GET', url });
  assert.equal(res.statusCode, status, `${url}: ${res.body}`);
  return res.json<T>();
}

test('summary: packets, bytes, span and flows as in SQL; optional tables reported missing', async () => {
  const s = await get<Summary>('/api/summary');
  assert.ok(s.packets > 1000, `${s.packets} packets`);
  assert.equal(s.packets, one<number>('SELECT COUNT(*) FROM traffic'));
  assert.equal(s.bytes, one<number>('SELECT SUM(length) FROM traffic'));
  assert.equal(s.flows, one<number>('SELECT COUNT(*) FROM flows'));
  const first = one<string>('SELECT MIN(timestamp) FROM traffic');
  assert.equal(new Date(s.first!).toISOString().slice(0, 23), first.slice(0, 23).replace(' ', 'T'));
  assert.equal(s.captures.length, CAPTURES.length);
  assert.ok(s.captures.every((c) => c.status === 'complete'));
  // Every table nta creates is there; features say so (a database from an older nta may lack some).
  const tables = new Set(
    dbRows<{ name: string }>(DB, `SELECT name FROM sqlite_master WHERE type = 'table'`).map((t) => t.name),
  );
  assert.deepEqual(s.features, {
    flows: true,
    dns: true,
    tls: true,
    http: true,
    alerts: true,
    hosts: tables.has('hosts'),
  });
});

test('protocols, timeline and top talkers agree with SQL', async () => {
  const p = await get<{ rows: ProtocolRow[] }>('/api/protocols?limit=20');
  const sql = dbRows<ProtocolRow>(
    DB,
    `SELECT COALESCE(protocol, 'unknown') AS protocol, COUNT(*) AS packets, SUM(length) AS bytes FROM traffic
     GROUP BY 1 ORDER BY packets DESC, protocol`,
  );
  assert.deepEqual(p.rows, sql);

  const t = await get<TimelineResponse>('/api/timeline?series=20');
  let packets = 0;
  for (const s of t.series) packets += t.packetsPerSec[s]!.reduce((a, b) => a + b * t.bucketSeconds, 0);
  assert.equal(Math.round(packets), one<number>('SELECT COUNT(*) FROM traffic'));
  assert.ok(t.t.length > 1 && t.t.length <= 240);

  const talkers = await get<{ rows: TalkerRow[] }>('/api/top/talkers?limit=3');
  const top = dbRows<{ host: string; bytes: number }>(
    DB,
    `SELECT host, SUM(b) AS bytes FROM (SELECT src_ip AS host, length AS b FROM traffic UNION ALL
       SELECT dst_ip, length FROM traffic) WHERE host IS NOT NULL GROUP BY host ORDER BY bytes DESC, host LIMIT 3`,
  );
  assert.deepEqual(
    talkers.rows.map((r) => [r.host, r.bytes]),
    top.map((r) => [r.host, r.bytes]),
  );

  // A range: only the packets of the last capture's span.
  const span = dbRows<{ first: string; last: string }>(
    DB,
    'SELECT first_packet AS first, last_packet AS last FROM captures ORDER BY id DESC LIMIT 1',
  )[0]!;
  const from = Date.parse(`${span.first.replace(' ', 'T').slice(0, 23)}Z`);
  const to = Date.parse(`${span.last.replace(' ', 'T').slice(0, 23)}Z`) + 1;
  const ranged = await get<{ rows: ProtocolRow[] }>(`/api/protocols?from=${from}&to=${to}`);
  const inRange = dbRows<{ n: number }>(
    DB,
    `SELECT COUNT(*) AS n FROM traffic WHERE timestamp >= '${span.first.slice(0, 23)}000' AND timestamp <= '${new Date(to).toISOString().replace('T', ' ').slice(0, 23)}000'`,
  )[0]!.n;
  assert.equal(
    ranged.rows.reduce((a, r) => a + r.packets, 0),
    inRange,
  );
});

test('flows: pages in SQL order, sorting, filters and totals', async () => {
  const all = dbRows<{ uid: string }>(DB, 'SELECT uid FROM flows ORDER BY ts_us DESC, id DESC').map(
    (r) => r.uid,
  );
  assert.ok(all.length > 30, `${all.length} flows`);
  const seen: string[] = [];
  for (let offset = 0; offset < all.length; offset += 13) {
    const page = await get<Page<FlowRow>>(`/api/flows?limit=13&offset=${offset}`);
    assert.equal(page.total, all.length);
    seen.push(...page.rows.map((r) => r.uid));
  }
  assert.deepEqual(seen, all);

  const byBytes = await get<Page<FlowRow>>('/api/flows?sort=bytes&order=asc&limit=25');
  const sqlBytes = dbRows<{ uid: string }>(
    DB,
    'SELECT uid FROM flows ORDER BY orig_ip_bytes + resp_ip_bytes ASC, id ASC LIMIT 25',
  ).map((r) => r.uid);
  assert.deepEqual(
    byBytes.rows.map((r) => r.uid),
    sqlBytes,
  );

  const host = one<string>('SELECT orig_h FROM flows GROUP BY orig_h ORDER BY COUNT(*) DESC LIMIT 1');
  const ofHost = await get<Page<FlowRow>>(`/api/flows?host=${encodeURIComponent(host)}&limit=500`);
  assert.equal(
    ofHost.total,
    one<number>(`SELECT COUNT(*) FROM flows WHERE orig_h = '${host}' OR resp_h = '${host}'`),
  );
  assert.ok(ofHost.rows.every((r) => r.orig_h === host || r.resp_h === host));

  const udp53 = await get<Page<FlowRow>>('/api/flows?proto=udp&port=53&limit=500');
  assert.equal(
    udp53.total,
    one<number>(`SELECT COUNT(*) FROM flows WHERE proto = 'udp' AND (orig_p = 53 OR resp_p = 53)`),
  );
  assert.ok(udp53.total > 10);
  const dns = await get<Page<FlowRow>>('/api/flows?service=dns&limit=1');
  assert.equal(dns.total, one<number>(`SELECT COUNT(*) FROM flows WHERE service = 'dns'`));

  const uid = all[5]!;
  const found = await get<Page<FlowRow>>(`/api/flows?q=${uid}`);
  assert.deepEqual(
    found.rows.map((r) => r.uid),
    [uid],
  );
  // LIKE wildcards in the search are literal characters.
  assert.equal((await get<Page<FlowRow>>('/api/flows?q=%25')).total, 0);
  assert.equal((await get<Page<FlowRow>>('/api/flows?q=_')).total, 0);
});

test('flows: every sort the page offers is SQL order; proto is a filter, not a sort', async () => {
  const sorts = {
    packets: 'orig_pkts + resp_pkts ASC, id ASC',
    duration: 'duration ASC, id ASC',
    service: 'service ASC, ts_us ASC, id ASC',
    orig_h: 'orig_h ASC, ts_us ASC, id ASC',
    resp_h: 'resp_h ASC, ts_us ASC, id ASC',
  };
  for (const [sort, sql] of Object.entries(sorts))
    for (const order of ['asc', 'desc']) {
      const orderBy = order === 'asc' ? sql : sql.replaceAll('ASC', 'DESC');
      const expected = dbRows<{ uid: string }>(DB, `SELECT uid FROM flows ORDER BY ${orderBy} LIMIT 40`);
      const page = await get<Page<FlowRow>>(`/api/flows?sort=${sort}&order=${order}&limit=40`);
      assert.deepEqual(
        page.rows.map((r) => r.uid),
        expected.map((r) => r.uid),
        `${sort} ${order}`,
      );
    }
  await get('/api/flows?sort=proto', 400);
});

test('flows: a search finds a uid, a community id, the start of an address (any case) or of a service', async () => {
  const search = async (q: string): Promise<string[]> =>
    (await get<Page<FlowRow>>(`/api/flows?q=${encodeURIComponent(q)}&limit=500`)).rows.map((r) => r.uid);
  const uids = (where: string): string[] =>
    dbRows<{ uid: string }>(
      DB,
      `SELECT uid FROM flows WHERE ${where} ORDER BY ts_us DESC, id DESC LIMIT 500`,
    ).map((r) => r.uid);
  const flow = dbRows<{ uid: string; community_id: string }>(
    DB,
    'SELECT uid, community_id FROM flows LIMIT 1',
  )[0]!;
  assert.deepEqual(await search(flow.community_id), uids(`community_id = '${flow.community_id}'`));

  const v4 = one<string>(`SELECT orig_h FROM flows WHERE orig_h NOT LIKE '%:%' LIMIT 1`);
  const v6 = one<string>(`SELECT orig_h FROM flows WHERE orig_h LIKE '%:%' LIMIT 1`);
  assert.ok(v4 !== undefined && v6 !== undefined, 'IPv4 and IPv6 flows');
  const v4Net = `${v4.split('.').slice(0, 2).join('.')}.`;
  for (const prefix of [v4Net, v4.slice(0, 1), v6.slice(0, 6), v6.slice(0, 6).toUpperCase()]) {
    const p = prefix.toLowerCase();
    const expected = uids(
      `substr(orig_h, 1, ${p.length}) = '${p}' OR substr(resp_h, 1, ${p.length}) = '${p}'`,
    );
    assert.ok(expected.length > 0, prefix);
    assert.deepEqual(await search(prefix), expected, prefix);
  }
  const services = uids(`substr(service, 1, 2) = 'dn'`);
  assert.ok(services.length > 0);
  assert.deepEqual(await search('dn'), services);
  // A search that can be neither finds nothing, whatever LIKE or a range would make of it.
  for (const q of [`${v4Net}%`, 'dns x', '::g', `${v4}/24`]) assert.deepEqual(await search(q), [], q);
});

test("a flow's details and packets: every packet of its 5-tuple, as many as its counters say", async () => {
  const flows = dbRows<{ uid: string; pkts: number }>(
    DB,
    `SELECT uid, orig_pkts + resp_pkts AS pkts FROM flows WHERE proto IN ('tcp', 'udp', 'icmp') ORDER BY pkts DESC LIMIT 15`,
  );
  for (const f of flows) {
    const d = await get<FlowDetail>(`/api/flows/${f.uid}`);
    assert.equal(d.flow.uid, f.uid);
    for (const table of ['dns', 'tls', 'http'] as const) {
      const n = one<number>(`SELECT COUNT(*) FROM ${table} WHERE uid = '${f.uid}'`);
      assert.equal(d[table]?.length, n, `${table} of ${f.uid}`);
    }
    const ends = new Set([d.flow.orig_h, d.flow.resp_h]);
    assert.ok(d.alerts!.every((a) => ends.has(a.src_ip!) && ends.has(a.dst_ip!)));
    const p = await get<{ rows: PacketRow[]; truncated: boolean }>(`/api/flows/${f.uid}/packets`);
    assert.equal(p.rows.length, Math.min(f.pkts, 1000), f.uid);
    assert.ok(p.rows.every((r) => ends.has(r.src_ip!) && ends.has(r.dst_ip!)));
  }
  await get('/api/flows/Cnosuchflow', 404);
  await get('/api/flows/Cnosuchflow/packets', 404);
});

test("hosts: the devices of the inventory table, each with its addresses' flows and alerts", async () => {
  const page = await get<HostPage>('/api/hosts?limit=5');
  assert.equal(page.source, 'inventory');
  assert.equal(page.total, one<number>('SELECT COUNT(DISTINCT mac) FROM hosts'));
  assert.ok(page.total > 5, `${page.total} devices`);
  const sorted = [...page.rows].sort((a, b) => b.sent + b.received - (a.sent + a.received));
  assert.deepEqual(page.rows, sorted);
  const top = page.rows[0]!;
  assert.equal(top.kind, 'device');
  assert.equal(top.mac, top.host);
  assert.equal(top.sent, one<number>(`SELECT SUM(bytes_out) FROM hosts WHERE mac = '${top.mac}'`));
  assert.equal(top.received, one<number>(`SELECT SUM(bytes_in) FROM hosts WHERE mac = '${top.mac}'`));
  assert.equal(
    top.first,
    Math.floor(one<number>(`SELECT MIN(first_seen_us) FROM hosts WHERE mac = '${top.mac}'`) / 1000),
  );
  assert.deepEqual(
    [...top.ips].sort(),
    dbRows<{ ip: string }>(
      DB,
      `SELECT DISTINCT j.value AS ip FROM hosts, json_each(ips) j WHERE mac = '${top.mac}'`,
    )
      .map((r) => r.ip)
      .sort(),
  );
  assert.equal(top.vendor, one<string | null>(`SELECT vendor FROM hosts WHERE mac = '${top.mac}' LIMIT 1`));
  // Named devices (DHCP, mDNS, NetBIOS) carry their names.
  const named = one<number>('SELECT COUNT(DISTINCT mac) FROM hosts WHERE host_name IS NOT NULL');
  const all = await get<HostPage>('/api/hosts?limit=500');
  assert.equal(all.rows.filter((r) => r.hostName !== null).length, named);
  // Search by the start of an address, a MAC or a name.
  const ip = top.ips[0]!;
  const byIp = await get<HostPage>(`/api/hosts?q=${encodeURIComponent(ip)}`);
  assert.ok(byIp.rows.some((r) => r.mac === top.mac));
  const byMac = await get<HostPage>(`/api/hosts?q=${encodeURIComponent(top.mac!.slice(0, 8))}`);
  assert.ok(byMac.rows.every((r) => r.mac!.startsWith(top.mac!.slice(0, 8))) && byMac.total > 0);

  const d = await get<HostDetail>(`/api/hosts/${encodeURIComponent(top.mac!)}`);
  assert.equal(d.host.kind, 'device');
  assert.equal(d.host.sent, top.sent);
  const inIps = `(SELECT value FROM json_each('${JSON.stringify(top.ips)}'))`;
  assert.equal(
    d.host.flows,
    one<number>(`SELECT COUNT(*) FROM flows WHERE orig_h IN ${inIps} OR resp_h IN ${inIps}`),
  );
  assert.ok((d.host.flows ?? 0) > 0);
  assert.equal(
    d.timeline.sent.reduce((a, b) => a + b, 0),
    one<number>(`SELECT SUM(orig_ip_bytes) FROM flows WHERE orig_h IN ${inIps}`) +
      one<number>(
        `SELECT COALESCE(SUM(resp_ip_bytes), 0) FROM flows WHERE resp_h IN ${inIps} AND orig_h NOT IN ${inIps}`,
      ),
  );
  assert.ok(d.peers.length > 0);
  assert.equal(
    d.alerts?.length,
    Math.min(50, one<number>(`SELECT COUNT(*) FROM alerts WHERE src_ip IN ${inIps} OR dst_ip IN ${inIps}`)),
  );
  // An address (linked from flows and alerts) still has its own detail from the flows.
  const addr = await get<HostDetail>(`/api/hosts/${encodeURIComponent(ip)}`);
  assert.equal(addr.host.kind, 'address');
  assert.equal(
    addr.host.flows,
    one<number>(`SELECT COUNT(*) FROM flows WHERE orig_h = '${ip}' OR resp_h = '${ip}'`),
  );
  await get('/api/hosts/192.0.2.254', 404);
  await get('/api/hosts/02:00:00:00:00:99', 404);
});

test('hosts without an inventory table (databases from before it): the addresses of the flows', async () => {
  const db = join(work, 'no-inventory.db');
  copyFileSync(DB, db);
  const conn = new Database(db);
  conn.exec('DROP TABLE hosts');
  conn.close();
  const old = (await buildApp({ dbPath: db, token: null, version: 'test' })).app;
  try {
    const page = (await old.inject({ url: '/api/hosts?limit=5' })).json<HostPage>();
    assert.equal(page.source, 'flows');
    assert.equal(
      page.total,
      one<number>('SELECT COUNT(*) FROM (SELECT orig_h FROM flows UNION SELECT resp_h FROM flows)'),
    );
    const top = page.rows[0]!;
    assert.equal(
      top.flows,
      one<number>(`SELECT COUNT(*) FROM flows WHERE orig_h = '${top.host}'`) +
        one<number>(`SELECT COUNT(*) FROM flows WHERE resp_h = '${top.host}'`),
    );
    const sorted = [...page.rows].sort((a, b) => b.sent + b.received - (a.sent + a.received));
    assert.deepEqual(page.rows, sorted);
    const local = (await old.inject({ url: '/api/hosts?class=local&limit=500' })).json<HostPage>();
    assert.ok(local.rows.length > 0 && local.rows.every((r) => r.hostClass === 'local'));
    const d = (await old.inject({ url: `/api/hosts/${encodeURIComponent(top.host)}` })).json<HostDetail>();
    assert.equal(d.host.sent, top.sent);
    assert.equal(
      d.timeline.sent.reduce((a, b) => a + b, 0),
      top.sent,
    );
  } finally {
    await old.close();
  }
});

test('bad parameters get a 400 naming the parameter; SQL text is never taken from the query', async () => {
  const cases: [string, RegExp][] = [
    ['/api/flows?limit=0', /limit must be >= 1/],
    ['/api/flows?limit=100000', /limit must be <= 500/],
    ['/api/flows?offset=-1', /offset must be >= 0/],
    ['/api/flows?sort=ts;DROP TABLE flows', /sort must be one of/],
    ['/api/flows?proto=gre', /proto must be one of tcp, udp, icmp/],
    ['/api/flows?port=70000', /port must be <= 65535/],
    ['/api/flows?from=yesterday', /from must be integer/],
    ['/api/flows?hots=10.0.0.1', /unknown query parameter 'hots'/],
    ['/api/timeline?series=0', /series must be >= 1/],
    ['/api/hosts?class=evil', /class must be one of/],
    ['/api/alerts?acknowledged=maybe', /acknowledged must be boolean/],
  ];
  for (const [url, message] of cases) {
    const body = await get<{ statusCode: number; message: string }>(url, 400);
    assert.match(body.message, message, url);
  }
  assert.ok(one<number>('SELECT COUNT(*) FROM flows') > 0);
  await get('/api/nosuchroute', 404);
});

test('OpenAPI 3 description lists every route with its parameters; security headers on every answer', async () => {
  const doc = await get<{
    openapi: string;
    paths: Record<string, Record<string, { parameters?: { name: string }[] }>>;
  }>('/api/openapi.json');
  assert.match(doc.openapi, /^3\./);
  for (const p of [
    '/api/summary',
    '/api/timeline',
    '/api/flows',
    '/api/flows/{uid}/packets',
    '/api/hosts',
    '/api/alerts',
    '/api/alerts/{id}/pcap',
    '/api/alerts/{id}/mute',
    '/api/live',
  ])
    assert.ok(doc.paths[p] !== undefined, p);
  const params = doc.paths['/api/flows']!['get']!.parameters!.map((p) => p.name);
  for (const n of ['host', 'port', 'proto', 'service', 'from', 'to', 'sort', 'order', 'limit', 'offset'])
    assert.ok(params.includes(n), n);
  for (const url of ['/', '/api/summary']) {
    const res = await app.inject({ url });
    assert.equal(res.statusCode, 200, url);
    const csp = String(res.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self';/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  }
  const index = await app.inject({ url: '/' });
  assert.match(index.body, /<script type="module" crossorigin src="\/assets\/[^"]+\.js"><\/script>/);
  assert.doesNotMatch(index.body, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
  assert.doesNotMatch(index.body, /<style|style="/, 'no inline style');
});

test('alerts: list, filter, acknowledge and unacknowledge', async () => {
  const copy = join(work, 'alerts.db');
  copyFileSync(DB, copy);
  const conn = new Database(copy);
  conn.exec('DELETE FROM alerts');
  const insert = conn.prepare(
    `INSERT INTO alerts (id, type, severity, src_ip, dst_ip, first_seen, first_seen_us, last_seen, last_seen_us,
       count, message, evidence)
     VALUES (?, ?, ?, '10.0.0.5', '10.0.0.9', '2024-05-01 12:00:00.000000', 1714564800000000, ?, ?, ?, ?,
       '{"uids":["C1"]}')`,
  );
  insert.run(
    'A1',
    'port_scan_vertical',
    'high',
    '2024-05-01 12:00:05.000000',
    1714564805000000,
    40,
    '40 ports',
  );
  insert.run(
    'A2',
    'dns_tunneling',
    'medium',
    '2024-05-01 12:01:00.000000',
    1714564860000000,
    3,
    'long names',
  );
  conn.close();
  const app = (await buildApp({ dbPath: copy, token: null, version: 'test' })).app;
  try {
    const list = (await app.inject({ url: '/api/alerts?sort=severity' })).json<AlertPage>();
    assert.equal(list.available, true);
    assert.equal(list.total, 2);
    assert.deepEqual(
      list.rows.map((r) => r.severity),
      ['high', 'medium'],
    );
    assert.deepEqual(list.rows[0]!.evidence, { uids: ['C1'] });
    assert.equal(list.rows[0]!.last_seen, Date.parse('2024-05-01T12:00:05Z'));
    const medium = (await app.inject({ url: '/api/alerts?severity=medium' })).json<AlertPage>();
    assert.deepEqual(
      medium.rows.map((r) => r.type),
      ['dns_tunneling'],
    );
    assert.equal((await app.inject({ method: 'POST', url: '/api/alerts/A1/ack' })).statusCode, 200);
    assert.ok(one<string | null>("SELECT acknowledged_at FROM alerts WHERE id = 'A1'", copy) !== null);
    const acked = (await app.inject({ url: '/api/alerts?acknowledged=true' })).json<AlertPage>();
    assert.deepEqual(
      acked.rows.map((r) => r.id),
      ['A1'],
    );
    assert.equal((await app.inject({ method: 'DELETE', url: '/api/alerts/A1/ack' })).statusCode, 200);
    assert.equal(one<string | null>("SELECT acknowledged_at FROM alerts WHERE id = 'A1'", copy), null);
    assert.equal((await app.inject({ method: 'POST', url: '/api/alerts/A99/ack' })).statusCode, 404);
  } finally {
    await app.close();
  }
});

test('off loopback every /api/ route but the OpenAPI document needs the token', async () => {
  const server = await startServe(['--db', DB, '--listen', '127.0.0.2:0']);
  assert.match(server.url, /^http:\/\/127\.0\.0\.2:\d+\/$/);
  assert.ok(server.token !== null && server.token.length >= 32, 'a generated token is printed');
  const call = (path: string, auth?: string): Promise<Response> =>
    fetch(new URL(path, server.url), auth === undefined ? {} : { headers: { authorization: auth } });
  for (const path of [
    'api/summary',
    'api/flows',
    'api/live',
    'api/hosts',
    'api/alerts',
    'api/alerts/A1/pcap',
  ]) {
    assert.equal((await call(path)).status, 401, path);
    assert.equal((await call(path, 'Bearer wrong-token-of-some-length')).status, 401, path);
  }
  const mute = await fetch(new URL('api/alerts/A1/mute', server.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ comment: 'no token' }),
  });
  assert.equal(mute.status, 401);
  assert.equal((await call('api/openapi.json')).status, 200);
  assert.equal((await call('/')).status, 200, 'the page itself loads and asks for the token');
  const ok = await call('api/summary', `Bearer ${server.token}`);
  assert.equal(ok.status, 200);
  assert.equal(((await ok.json()) as Summary).packets, one<number>('SELECT COUNT(*) FROM traffic'));
  await server.stop();

  const given = await startServe(['--db', DB, '--listen', '127.0.0.2:0', '--token', 'correct-horse-battery']);
  assert.equal((await fetch(new URL('api/summary', given.url))).status, 401);
  const res = await fetch(new URL('api/summary', given.url), {
    headers: { authorization: 'Bearer correct-horse-battery' },
  });
  assert.equal(res.status, 200);
  await given.stop();

  const local = await startServe(['--db', DB, '--listen', '127.0.0.1:0']);
  assert.equal(local.token, null);
  assert.equal((await fetch(new URL('api/summary', local.url))).status, 200);
  await local.stop();
});

test('live: ticks over Server-Sent Events add up to the packets nta read stores meanwhile', async () => {
  const db = join(work, 'live.db');
  copyFileSync(DB, db);
  const server = await startServe(['--db', db, '--listen', '127.0.0.1:0']);
  const live = await openLiveStream(server.url);
  const before = one<number>('SELECT COUNT(*) FROM traffic', db);
  const nextTick = live.next;
  await nextTick(); // the feed has its starting point
  const added = spawnSync(
    'node',
    [NTA, 'read', '-q', '--no-chart', '--db', db, join(PCAPS_DIR, 'http-get-simple.pcap')],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(added.status, 0, added.stderr);
  const expected = one<number>('SELECT COUNT(*) FROM traffic', db) - before;
  assert.ok(expected > 0);
  let seen = 0;
  const perProtocol: Record<string, number> = {};
  while (seen < expected) {
    const tick = await nextTick();
    seen += tick.totalPackets;
    for (const [p, n] of Object.entries(tick.packets)) perProtocol[p] = (perProtocol[p] ?? 0) + n;
  }
  assert.equal(seen, expected);
  const sql = dbRows<{ protocol: string; n: number }>(
    db,
    `SELECT protocol, COUNT(*) AS n FROM traffic WHERE capture_id = (SELECT MAX(id) FROM captures) GROUP BY 1`,
  );
  assert.deepEqual(perProtocol, Object.fromEntries(sql.map((r) => [r.protocol, r.n])));
  await live.close();
  await server.stop();
});

test("an alert's evidence pcap downloads as an attachment; mute similar writes the allowlist entry", async () => {
  const db = join(work, 'ssh.db');
  const capture = join(work, 'ssh.pcap');
  copyFileSync(join(SECURITY_DIR, 'gen__bruteforce_ssh_1try_per_conn.pcap'), capture);
  const r = spawnSync(
    'node',
    [NTA, 'read', '-q', '--no-chart', '--db', db, '--home-net', '192.168.77.0/24', capture],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  const alert = dbRows<AlertRow>(db, `SELECT * FROM alerts WHERE type = 'brute_force_login'`)[0]!;
  const app = (
    await buildApp({ dbPath: db, token: null, version: 'test', writeEvidence: writeAlertEvidence })
  ).app;
  try {
    const res = await app.inject({ url: `/api/alerts/${alert.id}/pcap` });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['content-type'], 'application/x-pcapng');
    assert.equal(res.headers['content-disposition'], `attachment; filename="nta-alert-${alert.id}.pcapng"`);
    assert.equal(res.rawPayload.readUInt32LE(0), 0x0a0d0d0a, 'a pcapng section header');
    const file = join(work, 'download.pcapng');
    writeFileSync(file, res.rawPayload);
    const expected = tsharkFrames(capture, evidenceFilterOf(db, alert));
    assert.ok(expected.length > 10, `${expected.length} frames`);
    assert.deepEqual(tsharkFrames(file), expected);
    assert.equal((await app.inject({ url: '/api/alerts/Anope/pcap' })).statusCode, 404);

    const mute = (comment: unknown, id = alert.id) =>
      app.inject({ method: 'POST', url: `/api/alerts/${id}/mute`, payload: { comment } });
    assert.equal((await mute('')).statusCode, 400);
    assert.equal((await mute('   ')).statusCode, 400);
    assert.equal((await mute('x'.repeat(501))).statusCode, 400);
    assert.equal((await mute('lab box', 'Anope')).statusCode, 404);
    const ok = await mute('  the lab jump host tries its keys  ');
    assert.equal(ok.statusCode, 200, ok.body);
    const entry = ok.json<AllowEntry>();
    const rows = dbRows<AllowEntry>(db, 'SELECT * FROM allowlist');
    assert.deepEqual(rows, [entry]);
    assert.deepEqual(
      [entry.type, entry.src, entry.dst, entry.port, entry.comment, entry.alert_id],
      [
        'brute_force_login',
        alert.src_ip,
        alert.dst_ip,
        alert.dst_port,
        'the lab jump host tries its keys',
        alert.id,
      ],
    );
    // The capture file gone: the packets cannot be had any more.
    rmSync(capture);
    const gone = await app.inject({ url: `/api/alerts/${alert.id}/pcap` });
    assert.equal(gone.statusCode, 410);
    assert.equal(
      gone.json<{ message: string }>().message,
      `alert ${alert.id}: its capture file ${capture} is gone`,
    );
  } finally {
    await app.close();
  }
});
