/**
 * The conformance suite every Store back end passes (STYLE.md E14): what goes in through the Store
 * interface is read back with SQL, the same rows and values whichever database holds them. Each back end
 * calls storeConformance from its own test file with an adapter that makes fresh databases.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { NtaError } from '../../src/core/errors.js';
import { fileInputs, readCaptures } from '../../src/pipeline.js';
import type { CaptureEnd } from '../../src/schema/captures.js';
import type { ConnLog } from '../../src/schema/conn.js';
import { sqlColumns } from '../../src/schema/log-schema.js';
import { connLog } from '../../src/schema/conn.js';
import { ADDR_BYTES, type TrafficRecords } from '../../src/schema/traffic.js';
import type { Store } from '../../src/store/store.js';
import { PCAPS_DIR } from '../support/corpus.js';

/** One database of the back end under test. */
export interface TestDatabase {
  /** Opens (creating or migrating) a store on this database; may be called again after close. */
  open(): Promise<Store>;
  /** Rows of a query, integers as numbers; usable while a store is open and after it is closed. */
  rows<T>(sql: string): Promise<T[]>;
}

export interface StoreAdapter {
  /** A new, empty database. */
  create(): Promise<TestDatabase>;
  /** A database another program made (it holds its own `traffic` table): opening it must fail. */
  createForeign(): Promise<TestDatabase>;
  /** A database an nta with a newer schema wrote: opening it must fail. */
  createNewer(): Promise<TestDatabase>;
}

interface Row {
  frame: number;
  sec: number;
  usec: number | null;
  v6?: true;
  src: number[];
  dst: number[];
  proto: number;
  sp: number;
  dp: number;
  len: number;
}

function push(rec: TrafficRecords, row: Row): void {
  const r = rec.count++;
  rec.src.fill(0, r * ADDR_BYTES, (r + 1) * ADDR_BYTES);
  rec.dst.fill(0, r * ADDR_BYTES, (r + 1) * ADDR_BYTES);
  rec.src.set(row.src, r * ADDR_BYTES);
  rec.dst.set(row.dst, r * ADDR_BYTES);
  rec.frame[r] = row.frame;
  rec.tsSec[r] = row.sec;
  rec.tsNsec[r] = (row.usec ?? 0) * 1000 + 999; // sub-microsecond digits are truncated, as tcpdump does
  rec.hasTs[r] = row.usec === null ? 0 : 1;
  rec.ipVersion[r] = row.v6 === true ? 6 : 4;
  rec.ipProto[r] = row.proto;
  rec.srcPort[r] = row.sp;
  rec.dstPort[r] = row.dp;
  rec.length[r] = row.len;
}

const V6_A = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const V6_B = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55];
const MIDNIGHT = Date.UTC(2024, 1, 29) / 1000; // 2024-02-29 00:00:00 UTC

/** Rows that exercise every column: both IP versions, no ports, an unknown protocol, no time, two days. */
const SAMPLE: Row[] = [
  {
    frame: 1,
    sec: MIDNIGHT - 1,
    usec: 999_999,
    src: [10, 0, 0, 1],
    dst: [10, 0, 0, 2],
    proto: 6,
    sp: 51000,
    dp: 443,
    len: 74,
  },
  { frame: 2, sec: MIDNIGHT, usec: 0, v6: true, src: V6_A, dst: V6_B, proto: 17, sp: 53, dp: 5353, len: 120 },
  {
    frame: 4,
    sec: MIDNIGHT + 7,
    usec: 123_456,
    src: [192, 168, 1, 1],
    dst: [224, 0, 0, 1],
    proto: 2,
    sp: -1,
    dp: -1,
    len: 60,
  },
  {
    frame: 5,
    sec: MIDNIGHT + 8,
    usec: null,
    src: [0, 0, 0, 0],
    dst: [255, 255, 255, 255],
    proto: -1,
    sp: -1,
    dp: -1,
    len: 42,
  },
  {
    frame: 9,
    sec: MIDNIGHT + 9,
    usec: 1,
    v6: true,
    src: V6_B,
    dst: V6_A,
    proto: 58,
    sp: -1,
    dp: -1,
    len: 1514,
  },
];

const EXPECTED_SAMPLE = [
  ['2024-02-28 23:59:59.999999', '10.0.0.1', '10.0.0.2', 'TCP', 51000, 443, 1, 6, 74],
  ['2024-02-29 00:00:00.000000', '2001:db8::1', 'fe80::211:22ff:fe33:4455', 'UDP', 53, 5353, 2, 17, 120],
  ['2024-02-29 00:00:07.123456', '192.168.1.1', '224.0.0.1', 'IGMP', null, null, 4, 2, 60],
  [null, '0.0.0.0', '255.255.255.255', null, null, null, 5, null, 42],
  [
    '2024-02-29 00:00:09.000001',
    'fe80::211:22ff:fe33:4455',
    '2001:db8::1',
    'ICMPv6',
    null,
    null,
    9,
    58,
    1514,
  ],
];

/** Captures with many packets a second over a minute or two, IPv4 and IPv6, TCP, UDP and more. */
const SECONDS_CAPTURES = [
  'mixed-home-browsing-tls-dns.pcap',
  'mixed-office-ipv4-ipv6-http.pcap',
  'sll-mixed-home-traffic.pcap',
];

const TRAFFIC_COLUMNS = 'timestamp, src_ip, dst_ip, protocol, src_port, dst_port, frame, ip_proto, length';

const START = { source: 'conformance.pcap', format: 'pcap', startedAt: '2024-02-29T00:00:00.000Z' };

function end(over: Partial<CaptureEnd> = {}): CaptureEnd {
  return {
    endedAt: '2024-02-29T00:01:00.000Z',
    status: 'complete',
    error: null,
    firstPacket: '2024-02-28 23:59:59.999999',
    lastPacket: '2024-02-29 00:00:09.000001',
    packets: 7,
    bytes: 1810,
    ipPackets: 5,
    malformed: 1,
    truncated: 2,
    unknownLinkType: 0,
    dropped: 3,
    ifDropped: 4,
    linkTypes: '1,113',
    ...over,
  };
}

/** Real flow records: what the pipeline makes of a few corpus captures (TCP, UDP/DNS, ICMP). */
async function corpusFlows(): Promise<ConnLog[]> {
  const logs: ConnLog[] = [];
  await readCaptures({
    inputs: fileInputs(
      ['http-get-simple.pcap', 'dns-edns-ecs-v4-v6-udp-tcp.pcap', 'icmp-types-variety.pcap'].map((f) =>
        join(PCAPS_DIR, f),
      ),
    ),
    onFlow: (log) => logs.push(log),
  });
  return logs;
}

const FLOW_COLUMNS = sqlColumns(connLog);

function flowAsRow(log: ConnLog): unknown[] {
  const row: unknown[] = [];
  for (const name of Object.keys(connLog) as (keyof ConnLog)[]) {
    const v = log[name];
    if (name === 'ts') {
      const us = v as number;
      const d = new Date(Math.floor(us / 1000));
      const text =
        d.toISOString().replace('T', ' ').slice(0, 19) + '.' + String(us % 1_000_000).padStart(6, '0');
      row.push(text, us);
    } else row.push(v);
  }
  return row;
}

async function assertRefused(db: TestDatabase, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(db.open(), (err: unknown) => {
    assert.ok(err instanceof NtaError, `an NtaError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.match(err.message, pattern);
    assert.doesNotMatch(err.message, /\n/, 'one line');
    return true;
  });
}

export function storeConformance(name: string, adapter: StoreAdapter): void {
  describe(`Store conformance: ${name}`, () => {
    test('traffic rows round-trip: both IP versions, no ports, unknown protocol, no time, two days', async () => {
      const db = await adapter.create();
      const store = await db.open();
      const id = await store.startCapture(START);
      const rec = await store.records(16);
      for (const row of SAMPLE) push(rec, row);
      const next = await store.writeTraffic(rec, id);
      assert.equal(next.count, 0, 'an empty batch comes back');
      assert.equal(next.capacity, 16);
      await store.finishCapture(id, end());
      await store.close();
      const rows = await db.rows<Record<string, unknown>>(
        `SELECT ${TRAFFIC_COLUMNS}, capture_id FROM traffic ORDER BY id`,
      );
      assert.deepEqual(
        rows.map((r) => Object.values(r)),
        EXPECTED_SAMPLE.map((r) => [...r, id]),
      );
    });

    test('traffic_seconds sums traffic per capture, second and protocol, adding up across batches', async () => {
      const db = await adapter.create();
      const store = await db.open();
      const id = await store.startCapture(START);
      // The same seconds twice, in two batches: the second batch's sums are added to the first's.
      const later = SAMPLE.map((r) => ({
        ...r,
        usec: r.usec === null ? null : r.usec === 0 ? 0 : r.usec - 1,
        len: 1,
      }));
      for (const rows of [SAMPLE, later]) {
        const rec = await store.records(16);
        for (const row of rows) push(rec, row);
        await store.writeTraffic(rec, id);
      }
      await store.finishCapture(id, end());
      await store.close();
      const sums = await db.rows<Record<string, unknown>>(
        `SELECT capture_id, second, protocol, packets, bytes, first_ts, last_ts FROM traffic_seconds
         WHERE second IS NOT NULL ORDER BY second`,
      );
      assert.deepEqual(
        sums,
        [
          [MIDNIGHT - 1, 'TCP', 75, '2024-02-28 23:59:59.999998', '2024-02-28 23:59:59.999999'],
          [MIDNIGHT, 'UDP', 121, '2024-02-29 00:00:00.000000', '2024-02-29 00:00:00.000000'],
          [MIDNIGHT + 7, 'IGMP', 61, '2024-02-29 00:00:07.123455', '2024-02-29 00:00:07.123456'],
          [MIDNIGHT + 9, 'ICMPv6', 1515, '2024-02-29 00:00:09.000000', '2024-02-29 00:00:09.000001'],
        ].map(([second, protocol, bytes, first, last]) => ({
          capture_id: id,
          second,
          protocol,
          packets: 2,
          bytes,
          first_ts: first,
          last_ts: last,
        })),
      );
      // Untimed rows (no IP protocol either) are summed under a NULL second, '' protocol; one row per batch.
      const untimed = await db.rows<Record<string, unknown>>(
        `SELECT CAST(SUM(packets) AS bigint) AS packets, CAST(SUM(bytes) AS bigint) AS bytes, MIN(protocol) AS protocol,
           MAX(first_ts) AS first_ts FROM traffic_seconds WHERE second IS NULL`,
      );
      assert.deepEqual(untimed, [{ packets: 2, bytes: 43, protocol: '', first_ts: null }]);
      // Per second and address, per second and service port: added up across the batches as well; the
      // untimed rows are not in them.
      const hostSeconds = await db.rows<Record<string, unknown>>(
        `SELECT capture_id, second, host, sent_packets, sent_bytes, received_packets, received_bytes
         FROM traffic_host_seconds ORDER BY second, host`,
      );
      assert.deepEqual(
        hostSeconds,
        (
          [
            [MIDNIGHT - 1, '10.0.0.1', 2, 75, 0, 0],
            [MIDNIGHT - 1, '10.0.0.2', 0, 0, 2, 75],
            [MIDNIGHT, '2001:db8::1', 2, 121, 0, 0],
            [MIDNIGHT, 'fe80::211:22ff:fe33:4455', 0, 0, 2, 121],
            [MIDNIGHT + 7, '192.168.1.1', 2, 61, 0, 0],
            [MIDNIGHT + 7, '224.0.0.1', 0, 0, 2, 61],
            [MIDNIGHT + 9, '2001:db8::1', 0, 0, 2, 1515],
            [MIDNIGHT + 9, 'fe80::211:22ff:fe33:4455', 2, 1515, 0, 0],
          ] as const
        ).map(([second, host, sp, sb, rp, rb]) => ({
          capture_id: id,
          second,
          host,
          sent_packets: sp,
          sent_bytes: sb,
          received_packets: rp,
          received_bytes: rb,
        })),
      );
      const portSeconds = await db.rows<Record<string, unknown>>(
        'SELECT capture_id, second, protocol, port, packets, bytes FROM traffic_port_seconds ORDER BY second',
      );
      assert.deepEqual(portSeconds, [
        { capture_id: id, second: MIDNIGHT - 1, protocol: 'TCP', port: 443, packets: 2, bytes: 75 },
        { capture_id: id, second: MIDNIGHT, protocol: 'UDP', port: 53, packets: 2, bytes: 121 },
      ]);
    });

    test('the traffic sums equal traffic grouped by second, host and port in SQL (corpus captures)', async () => {
      const db = await adapter.create();
      const store = await db.open();
      await readCaptures({
        inputs: fileInputs(SECONDS_CAPTURES.map((f) => join(PCAPS_DIR, f))),
        store,
      });
      await store.close();
      const fromTraffic = await db.rows<Record<string, unknown>>(
        `SELECT capture_id, substr(timestamp, 1, 19) AS sec, COALESCE(protocol, '') AS protocol,
           COUNT(*) AS packets, CAST(SUM(length) AS bigint) AS bytes, MIN(timestamp) AS first_ts,
           MAX(timestamp) AS last_ts
         FROM traffic GROUP BY capture_id, substr(timestamp, 1, 19), COALESCE(protocol, '') ORDER BY 1, 2, 3`,
      );
      const fromSeconds = await db.rows<Record<string, unknown>>(
        `SELECT capture_id, substr(first_ts, 1, 19) AS sec, protocol, CAST(SUM(packets) AS bigint) AS packets,
           CAST(SUM(bytes) AS bigint) AS bytes, MIN(first_ts) AS first_ts, MAX(last_ts) AS last_ts
         FROM traffic_seconds GROUP BY capture_id, substr(first_ts, 1, 19), protocol ORDER BY 1, 2, 3`,
      );
      assert.ok(fromTraffic.length > 50, `many seconds and protocols, got ${fromTraffic.length}`);
      assert.deepEqual(fromSeconds, fromTraffic);
      const seconds = await db.rows<{ n: number }>(
        `SELECT COUNT(*) AS n FROM traffic_seconds WHERE second IS NOT NULL`,
      );
      assert.equal(seconds[0]!.n, fromTraffic.filter((r) => r['sec'] !== null).length, 'one row per group');
      const hosts = await db.rows<Record<string, unknown>>(
        `SELECT capture_id, host, sent_packets, sent_bytes, received_packets, received_bytes FROM traffic_hosts
         ORDER BY capture_id, host`,
      );
      const hostsFromTraffic = await db.rows<Record<string, unknown>>(
        `SELECT capture_id, host, CAST(SUM(sp) AS bigint) AS sent_packets, CAST(SUM(sb) AS bigint) AS sent_bytes,
           CAST(SUM(rp) AS bigint) AS received_packets, CAST(SUM(rb) AS bigint) AS received_bytes FROM (
             SELECT capture_id, src_ip AS host, 1 AS sp, length AS sb, 0 AS rp, 0 AS rb FROM traffic
             UNION ALL SELECT capture_id, dst_ip, 0, 0, 1, length FROM traffic) AS h
         GROUP BY capture_id, host ORDER BY capture_id, host`,
      );
      assert.ok(hosts.length > 20, `${hosts.length} hosts`);
      assert.deepEqual(hosts, hostsFromTraffic);
      const ports = await db.rows<Record<string, unknown>>(
        'SELECT capture_id, protocol, port, packets, bytes FROM traffic_ports ORDER BY capture_id, protocol, port',
      );
      const portsFromTraffic = await db.rows<Record<string, unknown>>(
        `SELECT capture_id, protocol, port, COUNT(*) AS packets, CAST(SUM(length) AS bigint) AS bytes FROM (
           SELECT capture_id, COALESCE(protocol, '') AS protocol, length,
             CASE WHEN src_port < dst_port THEN src_port ELSE dst_port END AS port
           FROM traffic WHERE src_port IS NOT NULL AND dst_port IS NOT NULL) AS p
         GROUP BY capture_id, protocol, port ORDER BY capture_id, protocol, port`,
      );
      assert.ok(ports.length > 20, `${ports.length} ports`);
      assert.deepEqual(ports, portsFromTraffic);
      // The per-second ones, traffic's seconds as text turned into seconds since 1970 here.
      const epoch = (r: Record<string, unknown>): Record<string, unknown> => ({
        ...r,
        second: Date.parse(`${String(r['second']).replace(' ', 'T')}Z`) / 1000,
      });
      const hostSeconds = await db.rows<Record<string, unknown>>(
        `SELECT capture_id, second, host, sent_packets, sent_bytes, received_packets, received_bytes
         FROM traffic_host_seconds ORDER BY capture_id, second, host`,
      );
      const hostSecondsFromTraffic = await db.rows<Record<string, unknown>>(
        `SELECT capture_id, substr(timestamp, 1, 19) AS second, host, CAST(SUM(sp) AS bigint) AS sent_packets,
           CAST(SUM(sb) AS bigint) AS sent_bytes, CAST(SUM(rp) AS bigint) AS received_packets,
           CAST(SUM(rb) AS bigint) AS received_bytes FROM (
             SELECT capture_id, timestamp, src_ip AS host, 1 AS sp, length AS sb, 0 AS rp, 0 AS rb FROM traffic
             UNION ALL SELECT capture_id, timestamp, dst_ip, 0, 0, 1, length FROM traffic) AS h
         WHERE timestamp IS NOT NULL
         GROUP BY capture_id, substr(timestamp, 1, 19), host ORDER BY 1, 2, 3`,
      );
      assert.ok(hostSeconds.length > hosts.length, `${hostSeconds.length} hosts and seconds`);
      assert.deepEqual(hostSeconds, hostSecondsFromTraffic.map(epoch));
      const portSeconds = await db.rows<Record<string, unknown>>(
        `SELECT capture_id, second, protocol, port, packets, bytes FROM traffic_port_seconds
         ORDER BY capture_id, second, protocol, port`,
      );
      const portSecondsFromTraffic = await db.rows<Record<string, unknown>>(
        `SELECT capture_id, substr(timestamp, 1, 19) AS second, protocol, port, COUNT(*) AS packets,
           CAST(SUM(length) AS bigint) AS bytes FROM (
             SELECT capture_id, timestamp, COALESCE(protocol, '') AS protocol, length,
               CASE WHEN src_port < dst_port THEN src_port ELSE dst_port END AS port
             FROM traffic WHERE timestamp IS NOT NULL AND src_port IS NOT NULL AND dst_port IS NOT NULL) AS p
         GROUP BY capture_id, substr(timestamp, 1, 19), protocol, port ORDER BY 1, 2, 3, 4`,
      );
      assert.ok(portSeconds.length > ports.length, `${portSeconds.length} ports and seconds`);
      assert.deepEqual(portSeconds, portSecondsFromTraffic.map(epoch));
    });

    test('a capture row is created running and finalized with every counter', async () => {
      const db = await adapter.create();
      const store = await db.open();
      const a = await store.startCapture(START);
      const b = await store.startCapture({ ...START, source: 'eth0', format: 'live' });
      assert.notEqual(a, b);
      const running = await db.rows<{ status: string; source: string; ended_at: string | null }>(
        `SELECT status, source, ended_at FROM captures WHERE id = ${b}`,
      );
      assert.deepEqual(running, [{ status: 'running', source: 'eth0', ended_at: null }]);
      await store.finishCapture(a, end({ status: 'truncated', error: 'cut short: 12 bytes missing' }));
      await store.close();
      const rows = await db.rows<Record<string, unknown>>(
        `SELECT id, source, format, link_types, status, error, started_at, ended_at, first_packet, last_packet,
           packets, bytes, ip_packets, malformed, truncated, unknown_link_type, dropped, if_dropped
         FROM captures ORDER BY id`,
      );
      assert.deepEqual(rows[0], {
        id: a,
        source: 'conformance.pcap',
        format: 'pcap',
        link_types: '1,113',
        status: 'truncated',
        error: 'cut short: 12 bytes missing',
        started_at: START.startedAt,
        ended_at: '2024-02-29T00:01:00.000Z',
        first_packet: '2024-02-28 23:59:59.999999',
        last_packet: '2024-02-29 00:00:09.000001',
        packets: 7,
        bytes: 1810,
        ip_packets: 5,
        malformed: 1,
        truncated: 2,
        unknown_link_type: 0,
        dropped: 3,
        if_dropped: 4,
      });
      assert.equal(rows[1]?.['status'], 'running');
    });

    test('batches are stored in order, and finishCapture resolves after every row handed over before it; queueDepth counts the batches on their way', async () => {
      const db = await adapter.create();
      const store = await db.open();
      const id = await store.startCapture(START);
      const batches = 12; // more than any back end keeps in flight, so writers wait on the store
      const perBatch = 500;
      let rec = await store.records(perBatch);
      let frame = 0;
      let deepest = 0;
      assert.equal(store.queueDepth, 0);
      for (let b = 0; b < batches; b++) {
        for (let i = 0; i < perBatch; i++) {
          frame++;
          push(rec, {
            frame,
            sec: MIDNIGHT + frame,
            usec: 0,
            src: [10, 0, b, 1],
            dst: [10, 0, 0, 2],
            proto: 17,
            sp: 1,
            dp: 2,
            len: 60,
          });
        }
        rec = await store.writeTraffic(rec, id);
        // A batch handed over waits at least until the writer's answer, which comes as a later event.
        deepest = Math.max(deepest, store.queueDepth);
      }
      assert.ok(deepest >= 1, `queue depth ${deepest}`);
      await store.finishCapture(id, end({ packets: frame }));
      assert.equal(store.queueDepth, 0);
      // Read before close: finishCapture alone promises that the rows before it are stored.
      const rows = await db.rows<{ frame: number; src_ip: string }>(
        'SELECT frame, src_ip FROM traffic ORDER BY id',
      );
      await store.close();
      assert.equal(rows.length, batches * perBatch);
      rows.forEach((r, i) => {
        assert.equal(r.frame, i + 1);
        assert.equal(r.src_ip, `10.0.${Math.floor(i / perBatch)}.1`);
      });
    });

    test('flow records round-trip with every column (real flows from corpus captures)', async () => {
      const logs = await corpusFlows();
      assert.ok(logs.length >= 5, `flows from the corpus captures, got ${logs.length}`);
      const odd: ConnLog = {
        ...logs[0]!,
        uid: 'Codd',
        service: 'tab\there\\back\nline',
        history: null,
        vlan: 4094,
      };
      const db = await adapter.create();
      const store = await db.open();
      const id = await store.startCapture(START);
      store.writeLogs('flows', [...logs, odd], id);
      await store.finishCapture(id, end());
      await store.close();
      const rows = await db.rows<Record<string, unknown>>(
        `SELECT ${FLOW_COLUMNS.join(', ')}, capture_id FROM flows ORDER BY id`,
      );
      assert.deepEqual(
        rows.map((r) => Object.values(r)),
        [...logs, odd].map((l) => [...flowAsRow(l), id]),
      );
    });

    test('traffic and flows of interleaved captures stay with their capture', async () => {
      const logs = await corpusFlows();
      const db = await adapter.create();
      const store = await db.open();
      const a = await store.startCapture(START);
      const b = await store.startCapture({ ...START, source: 'second.pcap' });
      for (const [captureId, first] of [
        [a, 0],
        [b, 2],
        [a, 3],
      ] as const) {
        const rec = await store.records(8);
        for (const row of SAMPLE.slice(first, first + 2)) push(rec, row);
        await store.writeTraffic(rec, captureId);
        store.writeLogs('flows', logs.slice(first, first + 2), captureId);
      }
      await store.finishCapture(a, end());
      await store.finishCapture(b, end());
      await store.close();
      const traffic = await db.rows<{ capture_id: number; frame: number }>(
        'SELECT capture_id, frame FROM traffic ORDER BY id',
      );
      assert.deepEqual(traffic, [
        { capture_id: a, frame: 1 },
        { capture_id: a, frame: 2 },
        { capture_id: b, frame: 4 },
        { capture_id: b, frame: 5 },
        { capture_id: a, frame: 5 },
        { capture_id: a, frame: 9 },
      ]);
      const flows = await db.rows<{ capture_id: number; uid: string }>(
        'SELECT capture_id, uid FROM flows ORDER BY id',
      );
      assert.deepEqual(flows, [
        ...logs.slice(0, 2).map((l) => ({ capture_id: a, uid: l.uid })),
        ...logs.slice(2, 4).map((l) => ({ capture_id: b, uid: l.uid })),
        ...logs.slice(3, 5).map((l) => ({ capture_id: a, uid: l.uid })),
      ]);
    });

    test('reopening a database keeps its rows and goes on numbering captures', async () => {
      const db = await adapter.create();
      let store = await db.open();
      const first = await store.startCapture(START);
      const rec = await store.records(8);
      push(rec, SAMPLE[0]!);
      await store.writeTraffic(rec, first);
      await store.finishCapture(first, end());
      await store.close();
      store = await db.open();
      const second = await store.startCapture(START);
      assert.ok(second > first, `${second} > ${first}`);
      await store.finishCapture(second, end());
      await store.close();
      const rows = await db.rows<{ n: number }>('SELECT COUNT(*) AS n FROM traffic');
      assert.equal(Number(rows[0]?.n), 1);
    });

    test('learned state round-trips and is replaced by key, across reopening', async () => {
      const db = await adapter.create();
      let store = await db.open();
      assert.deepEqual(await store.loadLearned(), []);
      await store.saveLearned([
        { detector: 'new_device', key: 'learning', value: { seconds: 60 } },
        { detector: 'new_device', key: 'mac 52:54:00:77:00:14', value: { first_seen: 1795622894.383732 } },
        {
          detector: 'traffic_volume_anomaly',
          key: '2001:db8::1',
          value: { mean: 1.5, variance: 0, intervals: 7 },
        },
      ]);
      await store.close();
      store = await db.open();
      await store.saveLearned([{ detector: 'new_device', key: 'learning', value: { seconds: 12.5 } }]);
      const byKey = (await store.loadLearned()).sort((a, b) => a.key.localeCompare(b.key));
      await store.close();
      assert.deepEqual(byKey, [
        {
          detector: 'traffic_volume_anomaly',
          key: '2001:db8::1',
          value: { mean: 1.5, variance: 0, intervals: 7 },
        },
        { detector: 'new_device', key: 'learning', value: { seconds: 12.5 } },
        { detector: 'new_device', key: 'mac 52:54:00:77:00:14', value: { first_seen: 1795622894.383732 } },
      ]);
    });

    test('a database of another program is refused with one clear line, and left as it was', async () => {
      const db = await adapter.createForeign();
      await assertRefused(db, 'NTA_ERR_STORE_SCHEMA', /not an nta database/);
      const rows = await db.rows<{ n: number }>('SELECT COUNT(*) AS n FROM traffic');
      assert.equal(Number(rows[0]?.n), 1);
    });

    test('a database with a newer schema is refused: upgrade nta', async () => {
      await assertRefused(
        await adapter.createNewer(),
        'NTA_ERR_STORE_SCHEMA',
        /newer than this nta supports.*upgrade nta/,
      );
    });
  });
}
