import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { sqlColumns } from '../../schema/log-schema.js';
import { LOG_STREAMS, SNAPSHOT_STREAMS, type DnsLog, type HostsLog } from '../../schema/streams.js';
import { openSqlite } from './database.js';
import { LogWriter } from './log-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'nta-log-writer-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the frozen migrations create exactly the columns each log schema defines', () => {
  const db = openSqlite(join(dir, 'schema.db'));
  try {
    for (const [stream, schema] of Object.entries(LOG_STREAMS)) {
      const cols = db.prepare(`SELECT name, "notnull" AS nn FROM pragma_table_info('${stream}')`).all() as {
        name: string;
        nn: number;
      }[];
      // Order aside: later migrations append columns after capture_id, and the writers name every column.
      assert.equal(cols[0]?.name, 'id', stream);
      assert.deepEqual(
        cols.map((c) => c.name).sort(),
        ['id', ...sqlColumns(schema), 'capture_id'].sort(),
        stream,
      );
      for (const [name, field] of Object.entries(schema))
        assert.equal(cols.find((c) => c.name === name)!.nn, 'optional' in field ? 0 : 1, `${stream}.${name}`);
    }
  } finally {
    db.close();
  }
});

test('a record round-trips: time as text and µs, booleans as 0/1, vectors as JSON arrays', () => {
  const db = openSqlite(join(dir, 'rows.db'));
  try {
    const log: DnsLog = {
      ts: 1_700_000_000_123_456,
      uid: 'Cabc',
      orig_h: '192.0.2.1',
      orig_p: 40000,
      resp_h: '198.51.100.2',
      resp_p: 53,
      proto: 'udp',
      trans_id: 7,
      rtt: 0.25,
      query: 'example.com',
      qclass: 1,
      qtype: 1,
      qtype_name: 'A',
      rcode: 0,
      rcode_name: 'NOERROR',
      AA: false,
      TC: false,
      RD: true,
      RA: true,
      answers: ['192.0.2.7', 'TXT 3'],
      TTLs: [60, 61],
      rejected: false,
    };
    const capture = db
      .prepare(`INSERT INTO captures (source, status, started_at) VALUES ('t', 'complete', 'now')`)
      .run().lastInsertRowid;
    // 17 rows: one multi-row statement and one single-row insert.
    new LogWriter(db, 'dns', LOG_STREAMS.dns).write(Array<DnsLog>(17).fill(log), Number(capture));
    const rows = db.prepare(`SELECT ts, ts_us, RD, AA, answers, TTLs, rtt FROM dns`).all();
    assert.equal(rows.length, 17);
    assert.deepEqual(rows[16], {
      ts: '2023-11-14 22:13:20.123456',
      ts_us: 1_700_000_000_123_456,
      RD: 1,
      AA: 0,
      answers: '["192.0.2.7","TXT 3"]',
      TTLs: '[60,61]',
      rtt: 0.25,
    });
  } finally {
    db.close();
  }
});

test('a snapshot stream (hosts) replaces the row of the same capture and MAC', () => {
  const db = openSqlite(join(dir, 'hosts.db'));
  try {
    const capture = Number(
      db.prepare(`INSERT INTO captures (source, status, started_at) VALUES ('t', 'running', 'now')`).run()
        .lastInsertRowid,
    );
    const host = (pkts: number): HostsLog => ({
      mac: '00:0c:29:40:0e:ef',
      ips: ['10.0.0.1'],
      router: false,
      vendor: 'VMware, Inc.',
      host_name: null,
      name_source: null,
      dhcp_vendor_class: null,
      dhcp_fingerprint: null,
      first_seen: 1_700_000_000_000_000,
      last_seen: 1_700_000_000_000_000 + pkts,
      pkts_out: pkts,
      bytes_out: 60 * pkts,
      pkts_in: 0,
      bytes_in: 0,
    });
    const writer = new LogWriter(db, 'hosts', LOG_STREAMS.hosts, SNAPSHOT_STREAMS.has('hosts'));
    writer.write([host(1)], capture);
    writer.write([host(5)], capture);
    assert.deepEqual(db.prepare(`SELECT pkts_out, ips FROM hosts`).all(), [
      { pkts_out: 5, ips: '["10.0.0.1"]' },
    ]);
  } finally {
    db.close();
  }
});
