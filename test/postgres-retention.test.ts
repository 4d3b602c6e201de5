/**
 * `--retention` on PostgreSQL: dropping the daily partitions before the window also takes what their
 * traffic added off each capture's `traffic_hosts` and `traffic_ports` totals (deleting those left at
 * zero), per sensor, so every total still equals its traffic rows; rows without a time stay counted; a
 * sensor with nothing before the window keeps every row; a traffic writer mid-transaction on a total being
 * subtracted from and the retention both commit. Corpus captures are from 2013–2023, so "now" is set
 * relative to their times. Real server (NTA_TEST_PG_URL), a scratch database.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { ADDR_BYTES } from '../src/schema/traffic.js';
import { connectPostgres } from '../src/store/postgres/connect.js';
import { Partitions } from '../src/store/postgres/partitions.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { readCorpusIntoPostgres } from './support/corpus-db.js';
import { pgRows, scratchDatabase } from './support/postgres.js';
import { assertPgTotalsEqualRows } from './support/traffic-totals.js';

const DAYS = 30;
const DAY = 86_400;
/** dns-edns-ecs…: 2016–2019 and mixed-small-lan…: 2015–2020, cut inside; sll…: 2016; http-get…: 2013. */
const EDGE = [
  'dns-edns-ecs-v4-v6-udp-tcp.pcap',
  'mixed-small-lan-tls-http-dns.pcap',
  'sll-mixed-home-traffic.pcap',
  'http-get-simple.pcap',
];
/** The same hosts and ports as two of EDGE's captures, under another sensor. */
const OTHER = ['dns-edns-ecs-v4-v6-udp-tcp.pcap', 'mixed-small-lan-tls-http-dns.pcap'];
/** 2023: after the cut. */
const RECENT = ['quic-ipv6-chromium-google.pcap'];
/** The addresses of the capture written below, one packet of it without a time. */
const UNDATED_SRC = [192, 0, 2, 1];
const UNDATED_DST = [192, 0, 2, 2];

/** A capture of UDP packets from UNDATED_SRC to UNDATED_DST: at `seconds`, and one without a time. */
async function writeUndated(url: string, sensor: string, seconds: readonly number[]): Promise<number> {
  const store = await PostgresStore.open(url, { sensor, retentionDays: null });
  try {
    const id = await store.startCapture({ source: 'undated.pcapng', format: 'pcapng', startedAt: '' });
    const rec = await store.records(seconds.length + 1);
    for (let r = 0; r <= seconds.length; r++) {
      rec.count++;
      rec.hasTs[r] = r < seconds.length ? 1 : 0;
      rec.tsSec[r] = seconds[r] ?? 0;
      rec.ipVersion[r] = 4;
      rec.ipProto[r] = 17;
      rec.srcPort[r] = 40_000;
      rec.dstPort[r] = 5353;
      rec.length[r] = 100;
      rec.frame[r] = r + 1;
      rec.src.set(UNDATED_SRC, r * ADDR_BYTES);
      rec.dst.set(UNDATED_DST, r * ADDR_BYTES);
    }
    await store.writeTraffic(rec, id);
    return id;
  } finally {
    await store.close();
  }
}

const count = async (url: string, sql: string): Promise<number> =>
  (await pgRows<{ n: number }>(url, `SELECT COUNT(*) AS n FROM (${sql}) AS q`))[0]!.n;

const rowsOf = (url: string, sensor: string): Promise<unknown[][]> =>
  Promise.all(
    [
      'SELECT * FROM traffic_hosts WHERE sensor = $1 ORDER BY capture_id, host',
      'SELECT * FROM traffic_ports WHERE sensor = $1 ORDER BY capture_id, protocol, port',
      'SELECT * FROM traffic_host_seconds WHERE sensor = $1 ORDER BY capture_id, second, host',
      'SELECT id, timestamp, src_ip, dst_ip, protocol, src_port, dst_port, length FROM traffic WHERE sensor = $1 ORDER BY id',
    ].map((sql) => pgRows(url, sql, [sensor])),
  );

test('dropping old partitions takes their traffic off the address and port totals, per sensor', async () => {
  const url = await scratchDatabase();
  await readCorpusIntoPostgres(url, 'edge', EDGE);
  await readCorpusIntoPostgres(url, 'other', OTHER);
  await readCorpusIntoPostgres(url, 'recent', RECENT);
  // The cut: the first UTC day after the median second of edge's dns-edns-ecs capture (2016–2019).
  const [{ cut }] = (await pgRows<{ cut: number }>(
    url,
    `SELECT (percentile_disc(0.5) WITHIN GROUP (ORDER BY second) / ${DAY} + 1) * ${DAY} AS cut
     FROM traffic_host_seconds s JOIN captures c ON c.id = s.capture_id
     WHERE s.sensor = 'edge' AND c.source LIKE '%dns-edns-ecs%'`,
  )) as [{ cut: number }];
  assert.ok(cut > 0);
  const undated = await writeUndated(url, 'edge', [cut - 3600, cut - 2 * DAY]);
  await assertPgTotalsEqualRows(url);

  // Both sensors have addresses with rows on both sides of the cut (partly subtracted), and only before
  // it (deleted); the recent sensor has nothing before it.
  const split = (sensor: string): Promise<number> =>
    count(
      url,
      `SELECT host, capture_id FROM traffic_host_seconds WHERE sensor = '${sensor}' AND second < ${cut}
       INTERSECT SELECT host, capture_id FROM traffic_host_seconds WHERE sensor = '${sensor}' AND second >= ${cut}`,
    );
  const onlyBefore = (sensor: string): Promise<number> =>
    count(
      url,
      `SELECT host, capture_id FROM traffic_host_seconds WHERE sensor = '${sensor}' GROUP BY 1, 2
       HAVING MAX(second) < ${cut}`,
    );
  for (const sensor of ['edge', 'other']) {
    assert.ok((await split(sensor)) > 0, `${sensor}: addresses on both sides of the cut`);
    assert.ok((await onlyBefore(sensor)) > 0, `${sensor}: addresses only before the cut`);
  }
  assert.equal(
    await count(url, `SELECT 1 FROM traffic WHERE sensor = 'recent' AND ts < to_timestamp(${cut})`),
    0,
  );
  const recentBefore = await rowsOf(url, 'recent');
  assert.ok(recentBefore.every((rows) => rows.length > 0));
  const totalsBefore = await count(url, 'SELECT 1 FROM traffic_hosts');

  // A traffic writer of edge is mid-transaction, as the store's are: its COPY into traffic is done, its
  // upsert of a total the retention subtracts from comes next. Both must commit (no deadlock).
  const [{ host, capture_id: capture, second }] = (await pgRows<{
    host: string;
    capture_id: number;
    second: number;
  }>(
    url,
    `SELECT host, capture_id, MAX(second) AS second FROM traffic_host_seconds WHERE sensor = 'edge'
     GROUP BY 1, 2 HAVING MIN(second) < ${cut} AND MAX(second) >= ${cut} ORDER BY 1, 2 LIMIT 1`,
  )) as [{ host: string; capture_id: number; second: number }];
  const writer = new pg.Client({ connectionString: url });
  await writer.connect();
  const at = new Date(second * 1000).toISOString().replace('T', ' ').replace('Z', '000');
  await writer.query('BEGIN');
  await writer.query(
    `INSERT INTO traffic (timestamp, src_ip, length, capture_id, sensor, ts)
     VALUES ($1, $2, 60, $3, 'edge', to_timestamp($4))`,
    [at, host, capture, second],
  );

  // "Now" is late on the day DAYS days after the cut: the cut is the first second kept.
  const client = await connectPostgres(url);
  try {
    const retention = new Partitions(() => client, DAYS).applyRetention((cut + DAYS * DAY + DAY - 1) * 1000);
    // The retention waits for the writer's transaction before it touches anything the writer needs next.
    while ((await count(url, 'SELECT 1 FROM pg_locks WHERE NOT granted')) === 0) await sleep(20);
    await writer.query(
      `UPDATE traffic_hosts SET sent_packets = sent_packets + 1, sent_bytes = sent_bytes + 60
       WHERE host = $1 AND capture_id = $2 AND sensor = 'edge'`,
      [host, capture],
    );
    await writer.query(
      `UPDATE traffic_host_seconds SET sent_packets = sent_packets + 1, sent_bytes = sent_bytes + 60
       WHERE second = $1 AND host = $2 AND capture_id = $3 AND sensor = 'edge'`,
      [second, host, capture],
    );
    await writer.query('COMMIT');
    const dropped = await retention;
    assert.ok(dropped.some((name) => name.startsWith('traffic_p')));
  } finally {
    await client.end();
    await writer.end();
  }

  assert.equal(await count(url, `SELECT 1 FROM traffic WHERE ts < to_timestamp(${cut})`), 0);
  assert.equal(await count(url, `SELECT 1 FROM traffic_host_seconds WHERE second < ${cut}`), 0);
  assert.ok((await count(url, 'SELECT 1 FROM traffic_hosts')) < totalsBefore, 'totals at zero deleted');
  await assertPgTotalsEqualRows(url);
  // The packet without a time stays counted: its capture's address and port totals hold it alone.
  assert.deepEqual(
    await pgRows(
      url,
      'SELECT host, sent_packets, sent_bytes, received_packets, received_bytes FROM traffic_hosts WHERE capture_id = $1 ORDER BY host',
      [undated],
    ),
    [
      {
        host: UNDATED_SRC.join('.'),
        sent_packets: 1,
        sent_bytes: 100,
        received_packets: 0,
        received_bytes: 0,
      },
      {
        host: UNDATED_DST.join('.'),
        sent_packets: 0,
        sent_bytes: 0,
        received_packets: 1,
        received_bytes: 100,
      },
    ],
  );
  assert.deepEqual(
    await pgRows(url, 'SELECT protocol, port, packets, bytes FROM traffic_ports WHERE capture_id = $1', [
      undated,
    ]),
    [{ protocol: 'UDP', port: 5353, packets: 1, bytes: 100 }],
  );
  // The sensor with nothing before the cut keeps every row and total as they were.
  assert.deepEqual(await rowsOf(url, 'recent'), recentBefore);
});
