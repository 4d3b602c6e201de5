/**
 * The flow and DNS sums PostgreSQL keeps (`flow_destinations`, `dns_queries`, migration 9) equal the rows
 * they sum, per sensor, capture, day and key, whether the writer kept them or the migration made them from
 * an older database's rows; the flow count, top destinations and top domains the API reads from them equal
 * those counted over every row. And a filtered flow list counts its matches up to COUNT_CAP only.
 */
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { FlowPage, Summary } from '../src/server/api-types.js';
import { buildApp } from '../src/server/app.js';
import { COUNT_CAP } from '../src/server/routes/common.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { openSqlite } from '../src/store/sqlite/database.js';
import { workDir } from './support/cli.js';
import { readCorpusInto, readCorpusIntoPostgres } from './support/corpus-db.js';
import { pgRows, scratchDatabase } from './support/postgres.js';
import { sqliteLogSums } from './support/sqlite-sums.js';

const work = workDir('nta-flow-sums-');
const CAPTURES = [
  'mixed-home-browsing-tls-dns.pcap',
  'mixed-office-ipv4-ipv6-http.pcap',
  'dns-edns-ecs-v4-v6-udp-tcp.pcap',
  'sll-mixed-home-traffic.pcap',
];

const DAY = 'floor(ts_us / 86400000000.0)::bigint';
const SUMS = {
  flows: [
    `SELECT sensor, capture_id, day, resp_h, flows, bytes FROM flow_destinations
     ORDER BY sensor, capture_id, day, resp_h COLLATE "C"`,
    `SELECT sensor, capture_id, ${DAY} AS day, resp_h, COUNT(*) AS flows,
            SUM(orig_ip_bytes + resp_ip_bytes)::bigint AS bytes
     FROM flows GROUP BY 1, 2, 3, 4 ORDER BY sensor, capture_id, day, resp_h COLLATE "C"`,
  ],
  dns: [
    `SELECT sensor, capture_id, day, query, queries FROM dns_queries
     ORDER BY sensor, capture_id, day, query COLLATE "C"`,
    `SELECT sensor, capture_id, ${DAY} AS day, query, COUNT(*) AS queries
     FROM dns WHERE query IS NOT NULL GROUP BY 1, 2, 3, 4 ORDER BY sensor, capture_id, day, query COLLATE "C"`,
  ],
} as const;

/** The sums as kept, after checking that they equal the rows they sum. */
async function keptSums(url: string): Promise<unknown[][]> {
  const kept: unknown[][] = [];
  for (const [what, [sums, counted]] of Object.entries(SUMS)) {
    const want = await pgRows<Record<string, unknown>>(url, counted);
    assert.ok(want.length > 50, `${what}: ${want.length} sums`);
    kept.push(await pgRows(url, sums));
    assert.deepEqual(kept.at(-1), want, what);
  }
  return kept;
}

test('PostgreSQL: the flow and DNS sums equal their rows, as written and as migrated', async () => {
  const url = await scratchDatabase();
  await readCorpusIntoPostgres(url, 'other', ['http-get-simple.pcap']);
  await readCorpusIntoPostgres(url, 'sums', CAPTURES);
  const written = await keptSums(url);
  // An older database (schema 8) gets the same from its rows when it is opened (with what migration 10
  // adds, made again from the rows too, and migration 11's indexes).
  await pgRows(
    url,
    `DROP TABLE flow_destinations; DROP TABLE dns_queries; DROP INDEX flows_bytes;
     DROP TABLE traffic_host_seconds; DROP TABLE traffic_port_seconds;
     DROP INDEX flows_packets; DROP INDEX flows_duration; DROP INDEX flows_service;
     DELETE FROM schema_version WHERE version >= 9`,
  );
  await (await PostgresStore.open(url, { sensor: 'sums', retentionDays: null })).close();
  assert.deepEqual(await keptSums(url), written);

  // What the API reads from them, scoped to one sensor, equals what every row gives.
  const { app } = await buildApp({ dbPath: url, sensor: 'sums', token: null, version: 'test' });
  try {
    const get = async <T>(path: string): Promise<T> => {
      const res = await app.inject(path);
      assert.equal(res.statusCode, 200, `${path}: ${res.body}`);
      return res.json<T>();
    };
    const n = (await pgRows<{ n: number }>(url, `SELECT COUNT(*) AS n FROM flows WHERE sensor = 'sums'`))[0]!
      .n;
    assert.equal((await get<Summary>('/api/summary')).flows, n);
    const page = await get<FlowPage>('/api/flows?limit=1');
    assert.deepEqual([page.total, page.totalCapped], [n, false]);
    const destinations = await pgRows<{ host: string; flows: number; bytes: number }>(
      url,
      `SELECT resp_h AS host, COUNT(*) AS flows, SUM(orig_ip_bytes + resp_ip_bytes)::bigint AS bytes
       FROM flows WHERE sensor = 'sums' GROUP BY resp_h ORDER BY bytes DESC, resp_h COLLATE "C" LIMIT 100`,
    );
    assert.ok(destinations.length > 20);
    const top = await get<{ rows: { host: string; flows: number; bytes: number }[] }>(
      '/api/top/destinations?limit=100',
    );
    assert.deepEqual(
      top.rows.map(({ host, flows, bytes }) => ({ host, flows, bytes })),
      destinations,
    );
    const domains = await pgRows<{ domain: string; queries: number }>(
      url,
      `SELECT query AS domain, COUNT(*) AS queries FROM dns WHERE sensor = 'sums' AND query IS NOT NULL
       GROUP BY query ORDER BY queries DESC, query COLLATE "C" LIMIT 100`,
    );
    assert.ok(domains.length > 20);
    assert.deepEqual((await get<{ rows: unknown[] }>('/api/top/domains?limit=100')).rows, domains);
  } finally {
    await app.close();
  }
});

test('SQLite: the flow and DNS sums equal their rows, as written and as migrated', async () => {
  const db = join(work, 'sums.db');
  await readCorpusInto(db, CAPTURES);
  const kept = (file: string): unknown[][] => sqliteLogSums(file).kept;
  const written = kept(db);
  assert.deepEqual(written, sqliteLogSums(db).counted);
  assert.ok(written[0]!.length > 50 && written[1]!.length > 50);
  // An older database (schema 10) gets the same from its rows when it is opened.
  const old = join(work, 'schema10.db');
  copyFileSync(db, old);
  const conn = openSqlite(old);
  conn.exec(`DROP TABLE flow_destinations; DROP TABLE dns_queries; DROP INDEX flows_bytes;
    DROP TABLE traffic_host_seconds; DROP TABLE traffic_port_seconds;
    DROP INDEX flows_packets; DROP INDEX flows_duration; DROP INDEX flows_service`);
  conn.pragma('user_version = 10'); // migration 12's per-second sums and 13's indexes are made again too
  conn.close();
  openSqlite(old, { readonly: true }).close();
  assert.deepEqual(kept(old), written);
});

test('a filtered flow list counts its matches up to COUNT_CAP; the whole list exactly', async () => {
  const path = join(work, 'many.db');
  const db = openSqlite(path);
  const flows = COUNT_CAP + 100;
  // One UDP flow a millisecond from one host, and ten TCP flows.
  db.exec(`
    INSERT INTO captures (source, format, status, started_at) VALUES ('synthetic', 'pcap', 'complete', '2026-01-01T00:00:00Z');
    WITH RECURSIVE n(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM n WHERE k + 1 < ${flows + 10})
    INSERT INTO flows (ts, ts_us, uid, duration, orig_h, orig_p, resp_h, resp_p, proto, conn_state, orig_pkts,
      orig_bytes, resp_pkts, resp_bytes, orig_ip_bytes, resp_ip_bytes, community_id, ip_proto, capture_id)
    SELECT strftime('%Y-%m-%d %H:%M:%f000', 1767225600 + k / 1000.0, 'unixepoch'),
      1767225600000000 + k * 1000, 'C' || k, 0.1, '10.0.0.1', 40000 + k % 20000, '10.0.0.2', 53,
      CASE WHEN k < ${flows} THEN 'udp' ELSE 'tcp' END, 'SF', 1, 40, 1, 80, 68, 108, '1:x',
      CASE WHEN k < ${flows} THEN 17 ELSE 6 END, 1
    FROM n;
    -- Summed as the writer would have (log-sums.ts).
    INSERT INTO flow_destinations
      SELECT ts_us / 86400000000, capture_id, resp_h, COUNT(*), SUM(orig_ip_bytes + resp_ip_bytes)
      FROM flows GROUP BY 1, 2, 3;
  `);
  db.close();
  const { app } = await buildApp({ dbPath: path, token: null, version: 'test' });
  try {
    const page = async (query: string): Promise<FlowPage> => {
      const res = await app.inject(`/api/flows?${query}`);
      assert.equal(res.statusCode, 200, res.body);
      return res.json<FlowPage>();
    };
    const all = await page('limit=1');
    assert.deepEqual([all.total, all.totalCapped], [flows + 10, false]);
    const udp = await page('proto=udp&limit=500&offset=100000');
    assert.deepEqual([udp.total, udp.totalCapped, udp.rows.length], [COUNT_CAP, true, 500]);
    const tcp = await page('proto=tcp');
    assert.deepEqual([tcp.total, tcp.totalCapped, tcp.rows.length], [10, false, 10]);
    // Past the last match, and on a full page just before it: counted.
    const beyond = await page('proto=tcp&offset=20');
    assert.deepEqual([beyond.total, beyond.rows.length], [10, 0]);
    const full = await page('proto=tcp&limit=5&offset=5');
    assert.deepEqual([full.total, full.rows.length], [10, 5]);
  } finally {
    await app.close();
  }
});
