/**
 * `--eve FILE` end to end: the whole development corpus read once into a database and an EVE file; every
 * line valid against schema/eve.schema.json and in agreement with the tables; rotation by size; bad paths;
 * a clean flush when SIGTERM stops a read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { dbRows, NTA, workDir } from './support/cli.js';
import { PCAPS_DIR, REPO_ROOT } from './support/corpus.js';

const dir = workDir('nta-eve-');
const nta = (...args: string[]) => spawnSync('node', [NTA, ...args], { encoding: 'utf8' });

type Rec = Record<string, unknown> & { event_type: string; nta: Record<string, unknown> };
const obj = (v: unknown): Record<string, unknown> => v as Record<string, unknown>;

const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
const validate = ajv.compile(
  JSON.parse(readFileSync(join(REPO_ROOT, 'schema', 'eve.schema.json'), 'utf8')) as object,
);

function parseLines(text: string): Rec[] {
  assert.ok(text === '' || text.endsWith('\n'), 'the file ends with a whole line');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Rec);
}

/** A record as JSON without what differs between two runs over the same input: uids, flow ids, alert ids. */
function withoutRunIds(r: Rec): string {
  const copy = structuredClone(r);
  delete copy['flow_id'];
  for (const key of ['uid', 'id', 'evidence']) delete copy.nta[key];
  return JSON.stringify(copy);
}

/** The dns events a dns table row stands for: a request when the query was seen, a response when it was. */
function dnsEvents(rows: readonly DnsRow[]): unknown[][] {
  const events: unknown[][] = [];
  for (const r of rows) {
    if (r.rtt !== null || r.rcode === null) events.push([r.uid, r.trans_id, 'request', r.query]);
    if (r.rcode !== null) events.push([r.uid, r.trans_id, 'response', r.query]);
  }
  return events;
}

interface DnsRow {
  uid: string;
  trans_id: number;
  query: string | null;
  rtt: number | null;
  rcode: number | null;
}

const eveDnsEvents = (rs: readonly Rec[]): unknown[][] =>
  rs
    .filter((r) => r.event_type === 'dns')
    .map((r) => {
      const d = obj(r['dns']);
      const q = d['queries'] as { rrname: string }[] | undefined;
      return [r.nta['uid'], d['id'], d['type'], q?.[0]?.rrname ?? null];
    });

/** Sorted multiset as text lines, for readable diffs. */
const bag = (items: readonly unknown[][]): string[] => items.map((i) => JSON.stringify(i)).sort();

// One run over the whole corpus, shared by the tests below.
const db = join(dir, 'corpus.db');
const evePath = join(dir, 'eve.json');
const run = nta('read', '-q', '--json', '--no-chart', '--db', db, '--eve', evePath, PCAPS_DIR);
const records = existsSync(evePath) ? parseLines(readFileSync(evePath, 'utf8')) : [];
const ofType = (t: string): Rec[] => records.filter((r) => r.event_type === t);

test('the corpus read writes EVE records of every type, each valid against schema/eve.schema.json', () => {
  // The corpus holds three captures nta cannot read (status 1, one line each); the others are read.
  assert.equal(run.status, 1, run.stderr);
  assert.deepEqual(
    run.stderr.split('\n').filter((l) => l !== '' && !l.includes('/unreadable-')),
    [],
  );
  const summary = JSON.parse(run.stdout) as { eve: { records: number; path: string; rotations: number } };
  assert.deepEqual(summary.eve, { path: evePath, records: records.length, rotations: 0 });
  const invalid: string[] = [];
  for (const r of records) {
    if (!validate(r)) invalid.push(`${JSON.stringify(r).slice(0, 200)}: ${ajv.errorsText(validate.errors)}`);
  }
  assert.deepEqual(invalid.slice(0, 5), []);
  for (const t of ['flow', 'dns', 'tls', 'http', 'alert']) assert.ok(ofType(t).length > 0, `${t} records`);
});

test('flow records are the flows table: same uids, endpoints, counters and community ids', () => {
  const rows = dbRows<Record<string, string | number | null>>(
    db,
    `SELECT uid, orig_h, orig_p, resp_h, resp_p, ip_proto, orig_pkts, resp_pkts, orig_ip_bytes, resp_ip_bytes,
       community_id, conn_state FROM flows`,
  );
  assert.ok(rows.length > 1000);
  const fromDb = rows.map((r) => [
    r['uid'],
    r['orig_h'],
    r['resp_h'],
    r['orig_pkts'],
    r['resp_pkts'],
    r['orig_ip_bytes'],
    r['resp_ip_bytes'],
    r['community_id'],
    r['conn_state'],
  ]);
  const fromEve = ofType('flow').map((r) => {
    const f = obj(r['flow']);
    return [
      r.nta['uid'],
      r['src_ip'],
      r['dest_ip'],
      f['pkts_toserver'],
      f['pkts_toclient'],
      f['bytes_toserver'],
      f['bytes_toclient'],
      r['community_id'],
      r.nta['conn_state'],
    ];
  });
  assert.deepEqual(bag(fromEve), bag(fromDb));
  // Ports where the protocol has them.
  const tcpUdp = rows.filter((r) => r['ip_proto'] === 6 || r['ip_proto'] === 17);
  const ports = new Map(ofType('flow').map((r) => [r.nta['uid'], [r['src_port'], r['dest_port']]]));
  for (const r of tcpUdp) assert.deepEqual(ports.get(r['uid']), [r['orig_p'], r['resp_p']]);
});

test('every record of a flow shares its flow_id and community_id; flow_ids tell flows apart', () => {
  const byUid = new Map<unknown, { flowId: unknown; cid: unknown }>();
  for (const r of ofType('flow')) byUid.set(r.nta['uid'], { flowId: r['flow_id'], cid: r['community_id'] });
  assert.equal(new Set([...byUid.values()].map((v) => v.flowId)).size, byUid.size, 'distinct flow_ids');
  let app = 0;
  for (const r of [...ofType('dns'), ...ofType('tls'), ...ofType('http')]) {
    const flow = byUid.get(r.nta['uid']);
    assert.ok(flow !== undefined, `a flow record for ${String(r.nta['uid'])}`);
    assert.equal(r['flow_id'], flow.flowId);
    assert.equal(r['community_id'], flow.cid);
    app++;
  }
  assert.ok(app > 3000);
});

test('dns records are the dns table: a request per query seen, a response per response, same names', () => {
  const rows = dbRows<DnsRow>(db, 'SELECT uid, trans_id, query, rtt, rcode FROM dns');
  assert.ok(rows.length > 1000);
  assert.deepEqual(bag(eveDnsEvents(records)), bag(dnsEvents(rows)));
});

test('tls records carry the tls table server names, http records its hosts and URIs', () => {
  const tls = dbRows<{ uid: string; server_name: string | null }>(db, 'SELECT uid, server_name FROM tls');
  assert.deepEqual(
    bag(ofType('tls').map((r) => [r.nta['uid'], obj(r['tls'])['sni'] ?? null])),
    bag(tls.map((r) => [r.uid, r.server_name])),
  );
  assert.ok(tls.filter((r) => r.server_name !== null).length > 20);
  const http = dbRows<{ uid: string; host: string | null; uri: string | null }>(
    db,
    'SELECT uid, host, uri FROM http',
  );
  assert.deepEqual(
    bag(
      ofType('http').map((r) => {
        const h = obj(r['http']);
        const host =
          h['hostname'] === undefined
            ? null
            : `${String(h['hostname'])}${h['http_port'] === undefined ? '' : `:${String(h['http_port'])}`}`;
        return [r.nta['uid'], host, h['url'] ?? null];
      }),
    ),
    bag(http.map((r) => [r.uid, r.host, r.uri])),
  );
  assert.ok(http.length > 1000);
});

test('alert records are the alerts table: every alert raised, the last record of each with its stored count', () => {
  const rows = dbRows<{ id: string; count: number; type: string }>(db, 'SELECT id, count, type FROM alerts');
  const last = new Map<unknown, Rec>();
  for (const r of ofType('alert')) last.set(r.nta['id'], r);
  assert.deepEqual(
    bag([...last.values()].map((r) => [r.nta['id'], r.nta['count'], obj(r['alert'])['category']])),
    bag(rows.map((r) => [r.id, r.count, r.type])),
  );
});

test('rotation by size: no record lost or split, files named as logrotate does, the oldest beyond --eve-files dropped', () => {
  const rotDir = join(dir, 'rot');
  mkdirSync(rotDir);
  const path = join(rotDir, 'eve.json');
  const r = nta(
    'read',
    '-q',
    '--json',
    '--no-db',
    '--eve',
    path,
    '--eve-max-size',
    '0.1',
    '--eve-files',
    '100',
    PCAPS_DIR,
  );
  assert.equal(r.status, 1, r.stderr); // the unreadable captures, as above
  const { eve } = JSON.parse(r.stdout) as { eve: { records: number; rotations: number } };
  const names = readdirSync(rotDir).sort();
  assert.ok(eve.rotations >= 20, `rotated ${eve.rotations} times`);
  assert.equal(names.length, eve.rotations + 1);
  assert.deepEqual(
    names,
    ['eve.json', ...Array.from({ length: eve.rotations }, (_, i) => `eve.json.${i + 1}`)].sort(),
  );
  const all: Rec[] = [];
  for (let i = eve.rotations; i >= 0; i--) {
    const file = i === 0 ? path : `${path}.${i}`;
    const lines = parseLines(readFileSync(file, 'utf8'));
    assert.ok(statSync(file).size <= 100_000 || lines.length === 1, `${file} within the limit`);
    all.push(...lines);
  }
  assert.equal(all.length, eve.records);
  // The same records in the same order as the unrotated run, oldest file first (uids are random per run).
  assert.deepEqual(all.map(withoutRunIds), records.map(withoutRunIds));

  const keepDir = join(dir, 'keep');
  mkdirSync(keepDir);
  const kept = nta(
    'read',
    '-q',
    '--no-db',
    '--eve',
    join(keepDir, 'eve.json'),
    '--eve-max-size',
    '0.1',
    '--eve-files',
    '2',
    PCAPS_DIR,
  );
  assert.equal(kept.status, 1, kept.stderr);
  assert.deepEqual(readdirSync(keepDir).sort(), ['eve.json', 'eve.json.1', 'eve.json.2']);
});

test('--eve - and a path in a missing directory are one line each, before anything is read', () => {
  const dash = nta('read', '--no-db', '--eve', '-', join(PCAPS_DIR, 'http-get-simple.pcap'));
  assert.equal(dash.status, 2);
  assert.equal(dash.stdout, '');
  assert.match(dash.stderr, /^nta: --eve -: EVE records go to a file .*\n$/);
  const missing = join(dir, 'no-such-dir', 'eve.json');
  const r = nta('read', '--no-db', '--eve', missing, join(PCAPS_DIR, 'http-get-simple.pcap'));
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, `nta: --eve ${missing}: directory ${join(dir, 'no-such-dir')} does not exist\n`);
  assert.equal(existsSync(missing), false);
});

test('a write that fails (disk full: /dev/full) ends the run with one line and status 1', () => {
  const r = nta('read', '-q', '--no-db', '--eve', '/dev/full', join(PCAPS_DIR, 'http-get-simple.pcap'));
  assert.equal(r.status, 1);
  assert.equal(r.stderr, 'nta: --eve /dev/full: ENOSPC: no space left on device, write\n');
});

test('SIGTERM stops a read cleanly: every record handed over is in the file, whole, and matches the database', async () => {
  const sigDb = join(dir, 'sig.db');
  const sigEve = join(dir, 'sig.eve.json');
  const child = spawn('node', [NTA, 'read', '-q', '--no-chart', '--db', sigDb, '--eve', sigEve, '-'], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.stdin.on('error', () => {}); // the pipe closes at the stop
  // Stdin stays open: the read waits for more until the signal.
  child.stdin.write(readFileSync(join(PCAPS_DIR, 'dns-many-queries.pcap')));
  // DNS records reach the file within a second of being made (the flush timer), flows only at the stop.
  for (let i = 0; i < 300 && (!existsSync(sigEve) || statSync(sigEve).size === 0); i++) await sleep(100);
  assert.ok(statSync(sigEve).size > 0, 'records written while the read was running');
  child.kill('SIGTERM');
  assert.equal(await exited, 0, stderr);
  const lines = parseLines(readFileSync(sigEve, 'utf8'));
  for (const r of lines) assert.ok(validate(r), ajv.errorsText(validate.errors));
  const flows = dbRows<{ uid: string }>(sigDb, 'SELECT uid FROM flows').map((r) => r.uid);
  assert.ok(flows.length > 0);
  assert.deepEqual(
    lines
      .filter((r) => r.event_type === 'flow')
      .map((r) => r.nta['uid'])
      .sort(),
    flows.sort(),
  );
  const dnsRows = dbRows<DnsRow>(sigDb, 'SELECT uid, trans_id, query, rtt, rcode FROM dns');
  assert.ok(dnsRows.length > 0);
  assert.deepEqual(bag(eveDnsEvents(lines)), bag(dnsEvents(dnsRows)));
});
