/**
 * The traffic sums (`traffic_seconds`, `traffic_hosts`, `traffic_ports`, `traffic_host_seconds`,
 * `traffic_port_seconds`) answer as the traffic table does: totals, protocols, timelines, talkers and ports
 * from both sources on a database built from corpus captures (in SQLite, and in PostgreSQL as one sensor of
 * two), for whole captures and for time ranges whose ends cut through seconds; a range's inner seconds are
 * answered from the sums alone; and an older database's sums, filled by the migrations, equal the ones the
 * writer kept.
 */
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import Database from 'better-sqlite3';
import { chooseBuckets } from '../src/present/charts/index.js';
import {
  protocolTotals,
  timelineRates,
  topPorts,
  topTalkers,
  trafficTotals,
  type ChartFilter,
} from '../src/present/charts/query.js';
import { SCHEMA_VERSION } from '../src/store/sqlite/migrations.js';
import { openQueryDb, type QueryDb } from '../src/store/query/query-db.js';
import { openSqlite } from '../src/store/sqlite/database.js';
import { workDir } from './support/cli.js';
import { scratchDatabase } from './support/postgres.js';
import { readCorpusInto, readCorpusIntoPostgres } from './support/corpus-db.js';
import { TRAFFIC_SUM_TABLES } from './support/sqlite-sums.js';

const work = workDir('nta-traffic-sums-');
const DB = join(work, 'corpus.db');
const CAPTURES = [
  'mixed-home-browsing-tls-dns.pcap',
  'http-ipv6-1000-requests-one-connection.pcap',
  'mixed-office-ipv4-ipv6-http.pcap',
  'sll-mixed-home-traffic.pcap',
  'dns-edns-ecs-v4-v6-udp-tcp.pcap',
];
let captureIds: Map<string, number>;

before(async () => {
  captureIds = await readCorpusInto(DB, CAPTURES);
});

/** Same answer from the sums and from every packet; returns the packet count it agreed on. */
async function assertSameAnswers(db: QueryDb, f: ChartFilter): Promise<number> {
  const what = `${db.dialect} ${JSON.stringify(f)}`;
  const totals = await trafficTotals(db, f);
  assert.deepEqual(totals, await trafficTotals(db, f, 'packets'), `totals ${what}`);
  for (const limit of [2, 16])
    assert.deepEqual(
      await protocolTotals(db, f, limit),
      await protocolTotals(db, f, limit, 'packets'),
      `protocols ${what}`,
    );
  for (const limit of [3, 1000]) {
    assert.deepEqual(
      await topTalkers(db, f, limit),
      await topTalkers(db, f, limit, 'packets'),
      `talkers ${what}`,
    );
    assert.deepEqual(await topPorts(db, f, limit), await topPorts(db, f, limit, 'packets'), `ports ${what}`);
  }
  if (totals.first !== null && totals.last !== null) {
    const buckets = chooseBuckets(totals.first, totals.last);
    const rates = await timelineRates(db, f, buckets, 3);
    assert.ok(rates.length > 0);
    assert.deepEqual(rates, await timelineRates(db, f, buckets, 3, 'packets'), `timeline ${what}`);
  }
  return totals.packets;
}

/** Whole database, each capture, and ranges whose ends cut through seconds. */
async function assertSumsAnswer(db: QueryDb, ids: ReadonlyMap<string, number>): Promise<void> {
  const all = await assertSameAnswers(db, {});
  assert.ok(all > 8000, `${all} packets`);
  for (const id of ids.values()) assert.ok((await assertSameAnswers(db, { captureIds: [id] })) > 0);
  // Ranges inside the busiest capture: ends on a packet's own time (inclusive), mid-second, one second.
  const home = ids.get('mixed-home-browsing-tls-dns.pcap')!;
  const times = (
    await db.all<{ timestamp: string }>(
      'SELECT timestamp FROM traffic WHERE capture_id = @home ORDER BY timestamp',
      { home },
    )
  ).map((r) => r.timestamp);
  const at = (q: number): string => times[Math.floor(q * (times.length - 1))]!;
  const midSecond = (ts: string): string => `${ts.slice(0, 20)}500000`;
  // The whole database's times, for ranges across captures.
  const allTimes = (
    await db.all<{ timestamp: string }>(
      'SELECT timestamp FROM traffic WHERE timestamp IS NOT NULL ORDER BY 1',
    )
  ).map((r) => r.timestamp);
  const anyAt = (q: number): string => allTimes[Math.floor(q * (allTimes.length - 1))]!;
  const wholeSecond = (ts: string): string => `${ts.slice(0, 19)}.000000`;
  const ranges: ChartFilter[] = [
    { from: at(0.2), to: at(0.7) },
    { from: wholeSecond(at(0.25)), to: wholeSecond(at(0.75)) },
    { from: midSecond(anyAt(0.1)), to: midSecond(anyAt(0.9)) },
    { captureIds: [...ids.values()].slice(0, 2), from: midSecond(anyAt(0.05)), to: midSecond(anyAt(0.95)) },
    { from: at(0.7), to: at(0.2) },
    { from: midSecond(at(0.3)), to: midSecond(at(0.6)) },
    { from: at(0.5) },
    { to: at(0.5) },
    { from: `${at(0.4).slice(0, 19)}.000000`, to: `${at(0.4).slice(0, 19)}.999999` },
    { from: at(0.4), to: midSecond(at(0.4)) },
    { captureIds: [home], from: at(0.1), to: at(0.9) },
    { captureIds: [ids.get('sll-mixed-home-traffic.pcap')!], from: at(0.1), to: at(0.9) },
  ];
  let inRanges = 0;
  for (const f of ranges) inRanges += await assertSameAnswers(db, f);
  assert.ok(inRanges > 3000, `ranges hold packets: ${inRanges}`);
  // A range that cuts one second in two: the packets of that second are split between both halves.
  const second = at(0.4).slice(0, 19);
  const whole = (await trafficTotals(db, { from: `${second}.000000`, to: `${second}.999999` })).packets;
  const first = (await trafficTotals(db, { from: `${second}.000000`, to: at(0.4) })).packets;
  const rest = (await trafficTotals(db, { from: at(0.4), to: `${second}.999999` })).packets;
  // Both halves hold the packets of the cut's own microsecond (inclusive ends).
  const atCut = (await trafficTotals(db, { from: at(0.4), to: at(0.4) })).packets;
  assert.ok(first > 0 && whole > first && atCut > 0, `second ${second}: ${first} of ${whole}`);
  assert.equal(first + rest - atCut, whole);
  // Talkers and ports of the two halves add up to those of the whole second as well.
  const cut = { whole: `${second}.000000`, at: at(0.4), end: `${second}.999999` };
  const byHost = async (from: string, to: string): Promise<Map<string, number>> =>
    new Map((await topTalkers(db, { from, to }, 1000)).map((r) => [r.host, r.packets]));
  const [wholeHosts, firstHosts, restHosts, cutHosts] = await Promise.all([
    byHost(cut.whole, cut.end),
    byHost(cut.whole, cut.at),
    byHost(cut.at, cut.end),
    byHost(cut.at, cut.at),
  ]);
  assert.ok(wholeHosts.size > 1, `${wholeHosts.size} hosts in second ${second}`);
  for (const [host, packets] of wholeHosts) {
    const halves = (firstHosts.get(host) ?? 0) + (restHosts.get(host) ?? 0) - (cutHosts.get(host) ?? 0);
    assert.equal(halves, packets, `${host} in second ${second}`);
  }
}

test('totals, protocols, timelines, talkers and ports from the sums equal those from every packet', async () => {
  const db = await openQueryDb(DB);
  try {
    await assertSumsAnswer(db, captureIds);
  } finally {
    await db.close();
  }
});

test('the same from the sums PostgreSQL keeps, one sensor of two', async () => {
  const url = await scratchDatabase();
  await readCorpusIntoPostgres(url, 'other', ['http-get-simple.pcap']);
  const ids = await readCorpusIntoPostgres(url, 'sums', CAPTURES);
  const db = await openQueryDb(url, { sensor: 'sums' });
  try {
    await assertSumsAnswer(db, ids);
  } finally {
    await db.close();
  }
});

test("a range's inner seconds are answered from the sums alone: only its ends' seconds read packets", async () => {
  // A copy whose traffic rows strictly inside the range's seconds are gone: the sums still hold them.
  const copy = join(work, 'inner-gone.db');
  copyFileSync(DB, copy);
  const original = await openQueryDb(DB);
  const conn = new Database(copy);
  try {
    const times = (
      await original.all<{ timestamp: string }>(
        'SELECT timestamp FROM traffic WHERE timestamp IS NOT NULL ORDER BY 1',
      )
    ).map((r) => r.timestamp);
    const f: ChartFilter = {
      from: `${times[Math.floor(times.length * 0.3)]!.slice(0, 20)}500000`,
      to: `${times[Math.floor(times.length * 0.6)]!.slice(0, 20)}500000`,
    };
    const inner = `timestamp > substr(@from, 1, 19) || '.999999' AND timestamp < substr(@to, 1, 19)`;
    const gone = conn.prepare(`DELETE FROM traffic WHERE ${inner}`).run(f).changes;
    assert.ok(gone > 1000, `${gone} packets inside the range`);
    conn.close();
    const db = await openQueryDb(copy);
    try {
      for (const limit of [3, 1000]) {
        const talkers = await topTalkers(original, f, limit, 'packets');
        assert.deepEqual(await topTalkers(db, f, limit), talkers, 'talkers');
        assert.notDeepEqual(await topTalkers(db, f, limit, 'packets'), talkers, 'the packets are gone');
        assert.deepEqual(
          await topPorts(db, f, limit),
          await topPorts(original, f, limit, 'packets'),
          'ports',
        );
      }
      assert.deepEqual(await trafficTotals(db, f), await trafficTotals(original, f, 'packets'), 'totals');
    } finally {
      await db.close();
    }
  } finally {
    if (conn.open) conn.close();
    await original.close();
  }
});

test('an older database gets the sums from its traffic rows, as the writer keeps them', () => {
  const old = join(work, 'schema9.db');
  copyFileSync(DB, old);
  const conn = new Database(old);
  conn.exec(`DROP TABLE traffic_seconds; DROP TABLE traffic_hosts; DROP TABLE traffic_ports;
    DROP TABLE traffic_host_seconds; DROP TABLE traffic_port_seconds`);
  // And what later migrations add (11: log-sums.ts; 13: the flows page's indexes).
  conn.exec(`DROP TABLE flow_destinations; DROP TABLE dns_queries; DROP INDEX flows_bytes;
    DROP INDEX flows_packets; DROP INDEX flows_duration; DROP INDEX flows_service`);
  // The version before the sums (migration 9 → 10); the per-second address and port sums came later.
  conn.pragma('user_version = 9');
  conn.close();
  const kept = new Database(DB, { readonly: true });
  const migrated = openSqlite(old, { readonly: true });
  try {
    assert.equal(migrated.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    for (const [table, order] of TRAFFIC_SUM_TABLES) {
      const want = kept.prepare(`SELECT * FROM ${table} ORDER BY ${order}`).all();
      assert.ok(want.length > 20, `${table}: ${want.length} rows`);
      assert.deepEqual(migrated.prepare(`SELECT * FROM ${table} ORDER BY ${order}`).all(), want, table);
    }
  } finally {
    kept.close();
    migrated.close();
  }
});
