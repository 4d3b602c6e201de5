/** Indexes deferred by a bulk load: built at close, rebuilt by the next writer after a kill, never lost. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { dbRows, workDir } from '../../../test/support/cli.js';
import { readCorpusInto } from '../../../test/support/corpus-db.js';
import { openSqlite } from './database.js';
import { deferIndexes } from './deferred-indexes.js';
import { SqliteWriter } from './sqlite-writer.js';

const work = workDir('nta-deferred-indexes-');
let n = 0;
const fresh = (): string => join(work, `db-${++n}.db`);

function indexes(path: string): string[] {
  const db = openSqlite(path, { readonly: true });
  try {
    const rows = db
      .prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name`)
      .all() as { name: string; sql: string | null }[];
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE name = 'deferred_indexes'`).all();
    assert.equal(tables.length, 0, 'no deferred definitions left behind');
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    return rows.map((r) => `${r.name}: ${r.sql ?? '(automatic)'}`);
  } finally {
    db.close();
  }
}

test('a bulk load ends with the same indexes and rows as a row-by-row one', async () => {
  const capture = 'mixed-home-browsing-tls-dns.pcap';
  const plain = fresh();
  const bulk = fresh();
  await readCorpusInto(plain, [capture]);
  await readCorpusInto(bulk, [capture], { bulkLoad: true });
  const expected = indexes(plain);
  assert.ok(expected.some((i) => i.startsWith('dns_uid: CREATE INDEX')));
  assert.deepEqual(indexes(bulk), expected);
  for (const table of ['traffic', 'flows', 'dns', 'tls', 'http', 'hosts']) {
    const rows = (path: string): unknown[] => dbRows(path, `SELECT * FROM ${table} ORDER BY id`);
    const want = rows(plain);
    assert.ok(want.length > 0, table);
    assert.deepEqual(rows(bulk), want, table);
  }
});

test('indexes a killed bulk load left deferred are built by the next writer; full tables keep theirs', () => {
  const path = fresh();
  new SqliteWriter(path).close();
  const all = indexes(path);
  const db = openSqlite(path);
  db.exec(`INSERT INTO captures (source, format, status, started_at) VALUES ('x', 'pcap', 'running', 'now')`);
  db.exec(`INSERT INTO dns (ts, ts_us, uid, orig_h, orig_p, resp_h, resp_p, proto, trans_id, AA, TC, RD, RA,
    rejected, capture_id) VALUES ('t', 1, 'C1', '10.0.0.1', 1, '10.0.0.2', 53, 'udp', 1, 0, 0, 0, 0, 0, 1)`);
  const deferred = deferIndexes(db);
  const left = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index'`).all() as { name: string }[])
    .map((r) => r.name)
    .sort();
  db.close(); // as a kill would: the definitions stay in deferred_indexes
  assert.ok(deferred > 0);
  assert.ok(left.includes('dns_uid') && left.includes('dns_query'), 'a table with rows keeps its indexes');
  assert.ok(!left.includes('flows_uid'), 'an empty table has its indexes deferred');
  new SqliteWriter(path).close();
  assert.deepEqual(indexes(path), all);
});
