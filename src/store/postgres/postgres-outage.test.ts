/**
 * The server going away mid-run: the store keeps taking batches, spools them on disk, and replays them
 * when the server is back, each exactly once. Most outages here are a loopback relay the test cuts and
 * restores (test/support/tcp-proxy.ts), so the shared test server keeps running for the other tests; the
 * last test stops and restarts a server of its own (test/support/pg-instance.ts), as a crash would.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileInputs, readCaptures, type CaptureInput } from '../../pipeline.js';
import { sqlColumns } from '../../schema/log-schema.js';
import { connLog } from '../../schema/conn.js';
import type { TrafficRecords } from '../../schema/traffic.js';
import { PCAPS_DIR } from '../../../test/support/corpus.js';
import { dbRows } from '../../../test/support/cli.js';
import { pgRows, scratchDatabase } from '../../../test/support/postgres.js';
import { PgInstance } from '../../../test/support/pg-instance.js';
import { TcpProxy } from '../../../test/support/tcp-proxy.js';
import { SqliteStore } from '../sqlite/sqlite-store.js';
import { PostgresStore, type PostgresOptions } from './postgres-store.js';

const work = mkdtempSync(join(tmpdir(), 'nta-pg-outage-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** A relay to the database at `url`, and the same URL through the relay. */
async function relay(url: string): Promise<{ proxy: TcpProxy; url: string }> {
  const u = new URL(url);
  const proxy = await TcpProxy.start({ host: u.hostname, port: Number(u.port || 5432) });
  after(() => proxy.close());
  u.hostname = '127.0.0.1';
  u.port = String(proxy.port);
  return { proxy, url: u.toString() };
}

function options(spoolDir: string, messages: string[], over: Partial<PostgresOptions> = {}): PostgresOptions {
  return { sensor: 'outage', retentionDays: null, spoolDir, onStatus: (m) => messages.push(m), ...over };
}

let frame = 0;
function fill(rec: TrafficRecords, n: number): TrafficRecords {
  const base = Date.UTC(2024, 2, 1) / 1000;
  for (let i = 0; i < n; i++) {
    const r = rec.count++;
    frame++;
    rec.frame[r] = frame;
    rec.tsSec[r] = base + frame;
    rec.hasTs[r] = 1;
    rec.ipVersion[r] = 4;
    rec.ipProto[r] = 6;
    rec.src.set([10, 0, 0, 1], r * 16);
    rec.dst.set([10, 0, 0, 2], r * 16);
  }
  return rec;
}

const START = { source: 'outage.pcap', format: 'pcap', startedAt: '2024-03-01T00:00:00.000Z' };
const END = {
  endedAt: '2024-03-01T00:01:00.000Z',
  status: 'complete' as const,
  error: null,
  firstPacket: null,
  lastPacket: null,
  packets: 0,
  bytes: 0,
  ipPackets: 0,
  malformed: 0,
  truncated: 0,
  unknownLinkType: 0,
  dropped: 0,
  ifDropped: 0,
  linkTypes: '1',
};

test('batches written while the server is away are spooled and replayed once, in order, when it is back', async () => {
  const db = await scratchDatabase();
  const { proxy, url } = await relay(db);
  const spoolDir = join(work, 'spool-1');
  const messages: string[] = [];
  frame = 0;
  const store = await PostgresStore.open(url, options(spoolDir, messages));
  const first = await store.startCapture(START);
  let rec = await store.records(100);
  for (let b = 0; b < 3; b++) rec = await store.writeTraffic(fill(rec, 100), first);
  await store.finishCapture(first, { ...END, status: 'running' as never }); // a barrier: rows 1–300 stored
  assert.equal((await pgRows(db, 'SELECT 1 FROM traffic')).length, 300);

  await proxy.cut();
  // Ten batches, more than the four record batches that exist: each came back, so each was spooled.
  for (let b = 0; b < 10; b++) rec = await store.writeTraffic(fill(rec, 100), first);
  await store.finishCapture(first, END);
  const second = await store.startCapture({ ...START, source: 'during-outage.pcap' });
  rec = await store.writeTraffic(fill(rec, 100), second);
  const during = store.spoolStatus;
  assert.equal(during.connected, false);
  assert.ok(during.spooledBatches >= 12, `${during.spooledBatches} batches spooled`);
  assert.equal((await pgRows(db, 'SELECT 1 FROM traffic')).length, 300, 'nothing reached the server');
  assert.ok(readdirSync(spoolDir).length > 0);

  await proxy.restore();
  await store.writeTraffic(fill(rec, 100), second);
  await store.finishCapture(second, END);
  await store.close();

  const rows = await pgRows<{ frame: number; capture_id: number }>(
    db,
    'SELECT frame, capture_id FROM traffic ORDER BY id',
  );
  assert.equal(rows.length, 1500);
  rows.forEach((r, i) => assert.equal(r.frame, i + 1));
  assert.deepEqual([...new Set(rows.map((r) => r.capture_id))], [first, second]);
  const captures = await pgRows<{ id: number; status: string; source: string }>(
    db,
    'SELECT id, status, source FROM captures ORDER BY id',
  );
  assert.deepEqual(captures, [
    { id: first, status: 'complete', source: 'outage.pcap' },
    { id: second, status: 'complete', source: 'during-outage.pcap' },
  ]);
  assert.ok(
    messages.some((m) => /PostgreSQL unreachable .*spooling to/.test(m)),
    messages.join('\n'),
  );
  assert.ok(
    messages.some((m) => /PostgreSQL is back: \d+ spooled batches sent/.test(m)),
    messages.join('\n'),
  );
  assert.deepEqual(readdirSync(spoolDir), [], 'the spool is emptied and its folder removed');
});

test('a run ending during an outage leaves its spool; the next run sends it, and a second copy adds nothing', async () => {
  const db = await scratchDatabase();
  const { proxy, url } = await relay(db);
  const spoolDir = join(work, 'spool-2');
  const messages: string[] = [];
  frame = 0;
  const store = await PostgresStore.open(url, options(spoolDir, messages, { closeGraceMs: 0 }));
  const id = await store.startCapture(START);
  let rec = await store.records(50);
  rec = await store.writeTraffic(fill(rec, 50), id);
  await store.finishCapture(id, { ...END, status: 'running' as never });
  await proxy.cut();
  for (let b = 0; b < 5; b++) rec = await store.writeTraffic(fill(rec, 50), id);
  await store.finishCapture(id, END);
  await store.close();
  assert.ok(
    messages.some((m) => /still unreachable: \d+ batches .* kept in/.test(m)),
    messages.join('\n'),
  );
  const [left] = readdirSync(spoolDir);
  assert.ok(left !== undefined);
  // The run has ended (a pid that is not running), and a copy of its spool exists too: as if its batches had
  // been sent once already without the sender knowing.
  const deadPid = 2 ** 22 + 7;
  const owner = JSON.stringify({ pid: deadPid, db: store.path });
  writeFileSync(join(spoolDir, left, 'owner.json'), owner);
  cpSync(join(spoolDir, left), join(spoolDir, 'zz-copy'), { recursive: true });

  await proxy.restore();
  const next = await PostgresStore.open(url, options(spoolDir, messages));
  await next.close();
  assert.equal(existsSync(join(spoolDir, left)), false);
  assert.equal(existsSync(join(spoolDir, 'zz-copy')), false);
  const rows = await pgRows<{ frame: number }>(db, 'SELECT frame FROM traffic ORDER BY id');
  assert.deepEqual(
    rows.map((r) => r.frame),
    Array.from({ length: 300 }, (_, i) => i + 1),
  );
  assert.deepEqual(await pgRows(db, 'SELECT status FROM captures'), [{ status: 'complete' }]);
});

/** Corpus captures read one after another; the server goes away at the third and comes back at the sixth. */
const FILES = [
  'mixed-home-browsing-tls-dns.pcap',
  'http-get-simple.pcap',
  'quic-ipv6-chromium-google.pcap',
  'dns-edns-ecs-v4-v6-udp-tcp.pcap',
  'mixed-office-ipv4-ipv6-http.pcap',
  'sll-mixed-home-traffic.pcap',
  'http-ipv6-1000-requests-one-connection.pcap',
].map((f) => join(PCAPS_DIR, f));

/** The same captures read into SQLite without any outage: what PostgreSQL must end up holding. */
let reference: Promise<string> | undefined;
function sqliteReference(): Promise<string> {
  reference ??= (async () => {
    const sqlite = join(work, 'outage-reference.db');
    const store = await SqliteStore.open(sqlite);
    await readCaptures({ inputs: fileInputs(FILES), store });
    await store.close();
    return sqlite;
  })();
  return reference;
}

/** Every traffic row, flow and capture row of `db` equals the SQLite reference's. */
async function assertSameAsSqlite(db: string): Promise<void> {
  const sqlite = await sqliteReference();
  const traffic = `SELECT c.source, t.frame, t.timestamp, t.src_ip, t.dst_ip, t.protocol, t.src_port, t.dst_port, t.length
    FROM traffic t JOIN captures c ON c.id = t.capture_id ORDER BY c.source, t.frame`;
  const want = dbRows<Record<string, unknown>>(sqlite, traffic);
  assert.ok(want.length > 5000, `${want.length} rows`);
  assert.deepEqual(await pgRows(db, traffic), want);
  const cols = sqlColumns(connLog)
    .filter((c) => c !== 'uid')
    .map((c) => `f.${c}`);
  const flows = `SELECT c.source, ${cols.join(', ')} FROM flows f JOIN captures c ON c.id = f.capture_id
    ORDER BY c.source, f.ts_us, f.community_id, f.id`;
  assert.deepEqual(await pgRows(db, flows), dbRows(sqlite, flows));
  const captures = 'SELECT source, status, packets, ip_packets FROM captures ORDER BY source';
  assert.deepEqual(await pgRows(db, captures), dbRows(sqlite, captures));
}

/** The captures read in turn; `at(i)` runs before the i-th is opened. */
const inputsWith = (at: (i: number) => void | Promise<void>): CaptureInput[] =>
  fileInputs(FILES).map((input, i) => ({
    name: input.name,
    open: async () => {
      await at(i);
      return input.open();
    },
  }));

test('reading captures through an outage stores every traffic row and flow exactly once (as SQLite does)', async () => {
  const db = await scratchDatabase();
  const { proxy, url } = await relay(db);
  const messages: string[] = [];
  const store = await PostgresStore.open(url, options(join(work, 'spool-3'), messages));
  const inputs = inputsWith(async (i) => {
    if (i === 2) await proxy.cut();
    if (i === 5) await proxy.restore();
  });
  const summary = await readCaptures({ inputs, store });
  await store.close();
  assert.ok(
    messages.some((m) => /unreachable/.test(m)) && messages.some((m) => /is back/.test(m)),
    messages.join('\n'),
  );
  assert.equal(summary.sources.filter((s) => s.status === 'complete').length, FILES.length);
  await assertSameAsSqlite(db);
});

test('the server crashing and restarting while captures are read: every row and flow arrives exactly once', async () => {
  const server = await PgInstance.create();
  const messages: string[] = [];
  const store = await PostgresStore.open(server.url, options(join(work, 'spool-4'), messages));
  const inputs = inputsWith((i) => {
    if (i === 2) server.stop('immediate'); // connections cut, no checkpoint: recovery at the next start
    if (i === 5) server.start();
  });
  const summary = await readCaptures({ inputs, store });
  await store.close();
  assert.ok(
    messages.some((m) => /unreachable/.test(m)) && messages.some((m) => /is back/.test(m)),
    messages.join('\n'),
  );
  assert.equal(summary.sources.filter((s) => s.status === 'complete').length, FILES.length);
  await assertSameAsSqlite(server.url);
});
