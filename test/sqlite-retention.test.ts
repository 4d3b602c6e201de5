/**
 * `--retention` on a SQLite store: rows older than the window (whole UTC days before today minus N, as
 * PostgreSQL drops daily partitions) are deleted from every table with a time when the store opens and at
 * each new UTC day, newer rows all stay, captures and hosts stay, and every sum still equals its rows.
 * Corpus captures are from 2004–2024, so "now" is set relative to their times.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { SqliteWriter } from '../src/store/sqlite/sqlite-writer.js';
import { NTA, dbRows, workDir } from './support/cli.js';
import { readCorpusInto } from './support/corpus-db.js';
import { PCAPS_DIR } from './support/corpus.js';
import { SECURITY_DIR } from './support/security.js';
import { capture, sendUdp } from './support/live.js';
import { startServe } from './support/serve.js';
import { assertSqliteSumsEqualRows } from './support/sqlite-sums.js';

const work = workDir('nta-retention-');
const DAY_MS = 86_400_000;
const DAYS = 30;
// Two of them span years (dns-edns-ecs…: 2016–2019, mixed-small-lan…: 2015–2020), so a cut inside them
// leaves a capture's address and port totals partly subtracted.
const CAPTURES = [
  'mixed-home-browsing-tls-dns.pcap',
  'mixed-office-ipv4-ipv6-http.pcap',
  'dns-edns-ecs-v4-v6-udp-tcp.pcap',
  'mixed-small-lan-tls-http-dns.pcap',
  'sll-mixed-home-traffic.pcap',
  'quic-ipv6-chromium-google.pcap',
];
/** Read by `nta read` (with detection): alerts of 2009 and of yesterday's generated capture. */
const ALERTING = [
  'scan_vertical_syn__evilfingers_nmap_TCP_SYN_SCAN.pcap',
  'gen__arp_spoof_mitm_gateway.pcap',
];

/** Each table with a time, with its rows before and from a UTC second, in a fixed order. */
function timedTables(cut: number): Record<string, [old: string, kept: string]> {
  const us = cut * 1_000_000;
  const text = new Date(cut * 1000).toISOString().slice(0, 19).replace('T', ' ');
  const day = cut / 86_400;
  const logs = Object.fromEntries(
    ['flows', 'dns', 'tls', 'http', 'dhcp', 'dhcpv6', 'quic'].map((t) => [
      t,
      [`ts_us < ${us}`, `ts_us >= ${us}`] as [string, string],
    ]),
  );
  return {
    traffic: [`timestamp < '${text}'`, `timestamp >= '${text}' OR timestamp IS NULL`],
    ...logs,
    alerts: [`last_seen_us < ${us}`, `last_seen_us >= ${us}`],
    traffic_seconds: [`second < ${cut}`, `second >= ${cut} OR second IS NULL`],
    traffic_host_seconds: [`second < ${cut}`, `second >= ${cut}`],
    traffic_port_seconds: [`second < ${cut}`, `second >= ${cut}`],
    flow_destinations: [`day < ${day}`, `day >= ${day}`],
    dns_queries: [`day < ${day}`, `day >= ${day}`],
  };
}

const count = (db: string, table: string, where: string): number =>
  dbRows<{ n: number }>(db, `SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`)[0]!.n;
const rowsFrom = (db: string, table: string, where: string): unknown[] =>
  dbRows(db, `SELECT * FROM ${table} WHERE ${where} ORDER BY rowid`);

/**
 * A UTC day boundary inside the corpus that splits some capture's rows of an address (so its totals are
 * partly subtracted): of those, the nearest to the median flow's time.
 */
function cutInside(db: string): number {
  const [{ median }] = dbRows<{ median: number }>(
    db,
    'SELECT ts_us / 1000000 AS median FROM flows ORDER BY ts_us LIMIT 1 OFFSET (SELECT COUNT(*) / 2 FROM flows)',
  ) as [{ median: number }];
  const [{ cut }] = dbRows<{ cut: number }>(
    db,
    `SELECT (MIN(second) / 86400 + 1) * 86400 AS cut FROM traffic_host_seconds GROUP BY host, capture_id
     HAVING MIN(second) / 86400 < MAX(second) / 86400 ORDER BY abs(cut - ${median}) LIMIT 1`,
  ) as [{ cut: number }];
  return cut;
}

/** Asserts that `db` lost exactly the rows of `before` older than `cut`, and that its sums equal its rows. */
function assertCut(before: string, db: string, cut: number): void {
  for (const [table, [old, kept]] of Object.entries(timedTables(cut))) {
    assert.equal(count(db, table, old), 0, `${table}: rows before the cut`);
    assert.deepEqual(rowsFrom(db, table, kept), rowsFrom(before, table, kept), `${table}: rows kept`);
  }
  for (const table of ['captures', 'hosts'])
    assert.deepEqual(rowsFrom(db, table, '1'), rowsFrom(before, table, '1'), table);
  assertSqliteSumsEqualRows(db, join(work, 'resummed.db'));
}

test('rows older than the window are gone from every table, newer ones stay, sums equal their rows', async () => {
  const loaded = join(work, 'loaded.db');
  await readCorpusInto(loaded, CAPTURES);
  const read = spawnSync(
    'node',
    [NTA, 'read', '-q', '--db', loaded, ...ALERTING.map((f) => join(SECURITY_DIR, f))],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(read.status, 0, read.stderr);
  const cut = cutInside(loaded);
  for (const table of ['traffic', 'flows', 'dns', 'alerts', 'traffic_host_seconds', 'flow_destinations']) {
    const [old, kept] = timedTables(cut)[table]!;
    assert.ok(count(loaded, table, old) > 0 && count(loaded, table, kept) > 0, `${table} on both sides`);
  }
  // Some capture's totals are only partly subtracted: it has address rows on both sides of the cut.
  const split = dbRows(
    loaded,
    `SELECT host, capture_id FROM traffic_host_seconds WHERE second < ${cut}
     INTERSECT SELECT host, capture_id FROM traffic_host_seconds WHERE second >= ${cut}`,
  );
  assert.ok(split.length > 0);

  const db = join(work, 'kept.db');
  copyFileSync(loaded, db);
  // "Now" is late on the day DAYS days after the cut: the cut is the first second kept.
  const now = cut * 1000 + DAYS * DAY_MS + DAY_MS - 1;
  const store = await SqliteStore.open(db, { retention: { days: DAYS, now } });
  await store.close();
  assertCut(loaded, db, cut);
});

test('an open writer deletes again when a new UTC day starts, and not before', async () => {
  const loaded = join(work, 'daily-loaded.db');
  await readCorpusInto(loaded, CAPTURES);
  const cut = cutInside(loaded);
  // A first cut a day after the oldest traffic, well before the second.
  const oldest = dbRows<{ s: number }>(loaded, 'SELECT MIN(second) AS s FROM traffic_seconds')[0]!.s;
  const firstCut = (Math.floor(oldest / 86_400) + 1) * 86_400;
  assert.ok(
    count(loaded, 'traffic', `timestamp < '${new Date(cut * 1000).toISOString().slice(0, 10)}'`) >
      count(loaded, 'traffic_seconds', `second < ${firstCut}`),
  );
  const db = join(work, 'daily.db');
  copyFileSync(loaded, db);
  let clock = firstCut * 1000 + DAYS * DAY_MS;
  const writer = new SqliteWriter(db, false, { days: DAYS, clock: () => clock });
  try {
    const between = `second >= ${firstCut} AND second < ${cut}`;
    assert.equal(count(db, 'traffic_seconds', `second < ${firstCut}`), 0);
    const waiting = count(db, 'traffic_seconds', between);
    assert.ok(waiting > 0);
    // Later the same UTC day: nothing is due.
    clock += DAY_MS - 1;
    assert.equal(writer.retentionStep(), false);
    assert.equal(count(db, 'traffic_seconds', between), waiting);
    // The day DAYS after the second cut begins: the pass runs in chunks between the writer's other work.
    clock = cut * 1000 + DAYS * DAY_MS;
    while (writer.retentionStep());
    assert.equal(count(db, 'traffic_seconds', between), 0);
  } finally {
    writer.close();
  }
  assertCut(loaded, db, cut);
});

test('nta read with --retention deletes the older rows when it opens, then stores the file read', () => {
  const db = join(work, 'read.db');
  const first = spawnSync('node', [NTA, 'read', '-q', '--db', db, join(PCAPS_DIR, CAPTURES[0]!)], {
    encoding: 'utf8',
  });
  assert.equal(first.status, 0, first.stderr);
  const firstRows = count(db, 'traffic', '1');
  assert.ok(firstRows > 100);
  const second = spawnSync(
    'node',
    [NTA, 'read', '-q', '--retention', '1d', '--db', db, join(PCAPS_DIR, CAPTURES[1]!)],
    { encoding: 'utf8' },
  );
  assert.equal(second.status, 0, second.stderr);
  // The first file's rows are years old: gone; the second's were stored after the pass, as with PostgreSQL.
  const byCapture = dbRows<{ capture_id: number; n: number }>(
    db,
    'SELECT capture_id, COUNT(*) AS n FROM traffic GROUP BY 1',
  );
  assert.equal(byCapture.length, 1);
  assert.equal(byCapture[0]!.capture_id, 2);
  assert.equal(count(db, 'flows', 'capture_id = 1'), 0);
  assert.equal(count(db, 'captures', '1'), 2);
  assertSqliteSumsEqualRows(db, join(work, 'read-resummed.db'));
});

test(
  'nta capture with --retention starts by deleting the rows older than it, and stores what it captures',
  { timeout: 60_000 },
  async () => {
    assert.equal(process.getuid?.(), 0, 'live capture tests need root');
    const db = join(work, 'live.db');
    await readCorpusInto(db, [CAPTURES[0]!]);
    assert.ok(count(db, 'traffic', '1') > 100);
    const run = await capture(
      ['-i', 'lo', '-f', 'udp and dst port 47931', '-c', '10', '-q', '--retention', '7d', '--db', db],
      () => sendUdp(47931, 15, 8),
    );
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(dbRows(db, 'SELECT capture_id, COUNT(*) AS n FROM traffic GROUP BY 1'), [
      { capture_id: 2, n: 10 },
    ]);
    assert.equal(count(db, 'flows', 'capture_id = 1'), 0);
    assertSqliteSumsEqualRows(db, join(work, 'live-resummed.db'));
  },
);

test(
  'serve --capture with --retention serves a database already cut to the window',
  { timeout: 60_000 },
  async () => {
    assert.equal(process.getuid?.(), 0, 'live capture tests need root');
    const db = join(work, 'serve.db');
    await readCorpusInto(db, [CAPTURES[0]!]);
    const server = await startServe([
      '--capture',
      '-i',
      'lo',
      '-f',
      'udp and dst port 47932',
      '--retention',
      '7d',
      '--db',
      db,
      '--listen',
      '127.0.0.1:0',
    ]);
    // The store deleted the old rows when it opened, before the server started reading.
    assert.equal(count(db, 'traffic', '1'), 0);
    assert.equal(count(db, 'flows', '1'), 0);
    await sendUdp(47932, 5);
    let stored = 0;
    while (stored < 5) {
      await sleep(200);
      stored = count(db, 'traffic', 'capture_id = 2');
    }
    await server.stop();
    assert.equal(server.child.exitCode, 0);
    assert.equal(count(db, 'captures', '1'), 2);
    assertSqliteSumsEqualRows(db, join(work, 'serve-resummed.db'));
  },
);

test('a bad --retention is refused with one line', () => {
  for (const value of ['0', '-3', 'week', '30h']) {
    const r = spawnSync('node', [NTA, 'read', '--retention', value, '--db', join(work, 'bad.db'), 'x.pcap'], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--retention/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
