/**
 * What only the PostgreSQL store has: the sensor column, daily partitions, retention, migrations shared by
 * sensors starting at once, and one-line connection errors. Real server (NTA_TEST_PG_URL), scratch databases.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NtaError } from '../../core/errors.js';
import { alertLog } from '../../schema/alert.js';
import { LOG_STREAMS } from '../../schema/streams.js';
import { PG_URL, pgRows, scratchDatabase, withDatabase } from '../../../test/support/postgres.js';
import { assertPgTotalsEqualRows } from '../../../test/support/traffic-totals.js';
import { MIGRATIONS, pgColumnTypes } from './migrations.js';
import { PostgresStore } from './postgres-store.js';

const DAY = 86_400;

async function writeDays(
  url: string,
  sensor: string,
  seconds: readonly number[],
  retentionDays: number | null = null,
): Promise<void> {
  const store = await PostgresStore.open(url, { sensor, retentionDays });
  const id = await store.startCapture({
    source: 'days.pcap',
    format: 'pcap',
    startedAt: new Date().toISOString(),
  });
  const rec = await store.records(seconds.length);
  for (const sec of seconds) {
    const r = rec.count++;
    rec.tsSec[r] = sec;
    rec.hasTs[r] = 1;
    rec.ipVersion[r] = 4;
    rec.ipProto[r] = 17;
    rec.frame[r] = r + 1;
  }
  await store.writeTraffic(rec, id);
  store.writeLogs(
    'flows',
    seconds.map((sec, i) => ({
      ts: sec * 1e6,
      uid: `C${i}`,
      duration: 0,
      orig_h: '10.0.0.1',
      orig_p: 1,
      resp_h: '10.0.0.2',
      resp_p: 2,
      proto: 'udp',
      service: null,
      conn_state: 'S0',
      history: 'D',
      orig_pkts: 1,
      orig_bytes: 0,
      resp_pkts: 0,
      resp_bytes: 0,
      orig_ip_bytes: 28,
      resp_ip_bytes: 0,
      community_id: '1:x',
      vlan: null,
      ip_proto: 17,
    })),
    id,
  );
  await store.close();
}

const partitions = (url: string, table: string): Promise<string[]> =>
  pgRows<{ name: string }>(
    url,
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = $1 ORDER BY 1`,
    [table],
  ).then((rows) => rows.map((r) => r.name));

test('the shipped log tables have the columns of their schema/*.ts definitions, plus capture_id and sensor', async () => {
  const url = await scratchDatabase();
  await (await PostgresStore.open(url, { sensor: 's', retentionDays: null })).close();
  for (const [table, schema] of Object.entries(LOG_STREAMS)) {
    const cols = await pgRows<{ column_name: string; data_type: string; is_nullable: string }>(
      url,
      `SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = $1
       ORDER BY ordinal_position`,
      [table],
    );
    // Order aside: later migrations append columns after sensor, and the writers name every column.
    const byName = (a: readonly unknown[], b: readonly unknown[]): number =>
      String(a[0]).localeCompare(String(b[0]));
    assert.equal(cols[0]?.column_name, 'id', table);
    assert.deepEqual(
      cols.map((c) => [c.column_name, c.data_type, c.is_nullable === 'NO']).sort(byName),
      [
        ['id', 'bigint', true],
        ...pgColumnTypes(schema).map(([name, type, notNull]) => [name.toLowerCase(), type, notNull]),
        ['capture_id', 'bigint', false],
        ['sensor', 'text', true],
      ].sort(byName),
      table,
    );
  }
  // alerts: keyed by the alert id itself (rows are updated in place), so no serial id column
  const alerts = await pgRows<{ column_name: string; data_type: string; is_nullable: string }>(
    url,
    `SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = 'alerts'
     ORDER BY ordinal_position`,
  );
  assert.deepEqual(
    alerts.map((c) => [c.column_name, c.data_type, c.is_nullable === 'NO']),
    [
      ...pgColumnTypes(alertLog).map(([name, type, notNull]) => [name, type, notNull]),
      ['capture_id', 'bigint', false],
      ['sensor', 'text', true],
      ['acknowledged_at', 'text', false],
    ],
  );
  const traffic = await pgRows<{ column_name: string }>(
    url,
    `SELECT column_name FROM information_schema.columns WHERE table_name = 'traffic' ORDER BY ordinal_position`,
  );
  assert.deepEqual(
    traffic.map((c) => c.column_name),
    [
      'id',
      'timestamp',
      'src_ip',
      'dst_ip',
      'protocol',
      'src_port',
      'dst_port',
      'frame',
      'ip_proto',
      'length',
      'capture_id',
      'sensor',
      'ts',
    ],
  );
});

test('rows go to daily partitions made on demand; rows without a time to the default one', async () => {
  const url = await scratchDatabase();
  const midnight = Date.UTC(2025, 11, 31) / 1000;
  await writeDays(url, 'edge-1', [midnight - 1, midnight, midnight + DAY + 5]);
  const store = await PostgresStore.open(url, { sensor: 'edge-1', retentionDays: null });
  const id = await store.startCapture({ source: 'x', format: 'pcapng', startedAt: '' });
  const rec = await store.records(1);
  rec.count = 1; // hasTs = 0
  await store.writeTraffic(rec, id);
  await store.close();
  assert.deepEqual(await partitions(url, 'traffic'), [
    'traffic_default',
    'traffic_p20251230',
    'traffic_p20251231',
    'traffic_p20260101',
  ]);
  assert.deepEqual(await partitions(url, 'flows'), [
    'flows_default',
    'flows_p20251230',
    'flows_p20251231',
    'flows_p20260101',
  ]);
  const where = await pgRows<{ part: string; timestamp: string | null; ts: Date | null }>(
    url,
    'SELECT tableoid::regclass::text AS part, timestamp, ts FROM traffic ORDER BY id',
  );
  assert.deepEqual(
    where.map((r) => [r.part, r.timestamp, r.ts?.toISOString() ?? null]),
    [
      ['traffic_p20251230', '2025-12-30 23:59:59.000000', '2025-12-30T23:59:59.000Z'],
      ['traffic_p20251231', '2025-12-31 00:00:00.000000', '2025-12-31T00:00:00.000Z'],
      ['traffic_p20260101', '2026-01-01 00:00:05.000000', '2026-01-01T00:00:05.000Z'],
      ['traffic_default', null, null],
    ],
  );
  const flows = await pgRows<{ part: string }>(
    url,
    'SELECT tableoid::regclass::text AS part FROM flows ORDER BY id',
  );
  assert.deepEqual(
    flows.map((f) => f.part),
    ['flows_p20251230', 'flows_p20251231', 'flows_p20260101'],
  );
});

test('--retention drops the daily partitions older than it and keeps the rest', async () => {
  const url = await scratchDatabase();
  const now = Math.floor(Date.now() / 1000);
  await writeDays(url, 'old', [now - 40 * DAY, now - 31 * DAY, now - 29 * DAY, now]);
  assert.equal((await partitions(url, 'traffic')).length, 5);
  await (await PostgresStore.open(url, { sensor: 'old', retentionDays: 30 })).close();
  const day = (sec: number): string => new Date(sec * 1000).toISOString().slice(0, 10).replaceAll('-', '');
  for (const table of ['traffic', 'flows'])
    assert.deepEqual(await partitions(url, table), [
      `${table}_default`,
      `${table}_p${day(now - 29 * DAY)}`,
      `${table}_p${day(now)}`,
    ]);
  const left = await pgRows<{ n: number }>(url, 'SELECT COUNT(*) AS n FROM traffic');
  assert.equal(left[0]?.n, 2);
  // The flow sums of the days dropped went with them (one flow a day, one responder).
  const sums = await pgRows<{ day: number; flows: number }>(
    url,
    'SELECT day, flows FROM flow_destinations ORDER BY day',
  );
  assert.deepEqual(
    sums.map((r) => r.flows),
    [1, 1],
  );
  assert.equal(sums[0]!.day, Math.floor((now - 29 * DAY) / DAY));
  // The per-second sums of the dropped days go with them.
  for (const table of ['traffic_seconds', 'traffic_host_seconds', 'traffic_port_seconds'])
    assert.deepEqual(
      (await pgRows<{ second: number }>(url, `SELECT DISTINCT second FROM ${table} ORDER BY 1`)).map(
        (r) => r.second,
      ),
      [now - 29 * DAY, now],
      table,
    );
  // And what they held is taken off the per-capture address and port totals (test/postgres-retention).
  await assertPgTotalsEqualRows(url);
});

test('every row carries the sensor that wrote it', async () => {
  const url = await scratchDatabase();
  const t = Date.UTC(2024, 5, 1) / 1000;
  await writeDays(url, 'branch-office', [t]);
  await writeDays(url, 'hq', [t + 1, t + 2]);
  for (const table of ['captures', 'traffic', 'flows']) {
    const rows = await pgRows<{ sensor: string; n: number }>(
      url,
      `SELECT sensor, COUNT(*) AS n FROM ${table} GROUP BY sensor ORDER BY sensor`,
    );
    const perSensor = table === 'captures' ? [1, 1] : [1, 2];
    assert.deepEqual(
      rows,
      [
        { sensor: 'branch-office', n: perSensor[0] },
        { sensor: 'hq', n: perSensor[1] },
      ],
      table,
    );
  }
});

test('sensors starting at once on a new database migrate it once and share its partitions', async () => {
  const url = await scratchDatabase();
  const t = Date.UTC(2024, 5, 1) / 1000;
  await Promise.all(['a', 'b', 'c', 'd'].map((s) => writeDays(url, s, [t, t + DAY])));
  assert.deepEqual(
    await pgRows(url, 'SELECT version FROM schema_version ORDER BY version'),
    MIGRATIONS.map((_, i) => ({ version: i + 1 })),
    'each migration ran once',
  );
  assert.equal((await pgRows(url, 'SELECT 1 FROM traffic')).length, 8);
  assert.deepEqual(await partitions(url, 'traffic'), [
    'traffic_default',
    'traffic_p20240601',
    'traffic_p20240602',
  ]);
});

async function openError(url: string): Promise<NtaError> {
  try {
    await (await PostgresStore.open(url, { sensor: 's', retentionDays: null })).close();
  } catch (err) {
    assert.ok(err instanceof NtaError, String(err));
    assert.doesNotMatch(err.message, /\n/);
    return err;
  }
  assert.fail(`${url} opened`);
}

test('unreachable server, wrong password and missing database are one clear line each, without the password', async () => {
  const closed = new URL(PG_URL);
  closed.port = '1';
  const refused = await openError(closed.toString());
  assert.ok(
    refused.message.includes(`cannot connect to PostgreSQL at ${closed.hostname}:1 (connection refused)`),
  );
  const badPassword = new URL(PG_URL);
  badPassword.password = 'not-the-password';
  const auth = await openError(badPassword.toString());
  assert.ok(auth.message.includes(`authentication failed for user ${badPassword.username}`), auth.message);
  assert.doesNotMatch(auth.message, /not-the-password/);
  const missing = await openError(withDatabase(PG_URL, 'nta_no_such_database'));
  assert.match(missing.message, /database nta_no_such_database does not exist/);
});
