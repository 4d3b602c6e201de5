/** RowBatch runs every item once, whole statements of 32 rows and the rest one by one, as upserts too. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { workDir } from '../../../test/support/cli.js';
import { openSqlite } from './database.js';
import { RowBatch, valuesList } from './row-batch.js';

const work = workDir('nta-row-batch-');

test('a VALUES list has the rows and widths asked for', () => {
  assert.equal(valuesList(1, 1), '(?)');
  assert.equal(valuesList(2, 3), '(?, ?, ?), (?, ?, ?)');
});

test('every item is inserted once, in order, for counts around the statement size', () => {
  const db = openSqlite(join(work, 'insert.db'));
  try {
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, label TEXT)');
    const batch = new RowBatch<number>(
      db,
      2,
      (list) => `INSERT INTO t (n, label) VALUES ${list}`,
      (v, o, n) => {
        v[o] = n;
        v[o + 1] = `#${n}`;
      },
      4,
    );
    for (const count of [0, 1, 3, 4, 5, 8, 9, 13]) {
      db.exec('DELETE FROM t');
      const items = Array.from({ length: count }, (_, i) => i * 10);
      batch.run(items);
      const rows = db.prepare('SELECT n, label FROM t ORDER BY id').all() as { n: number; label: string }[];
      assert.deepEqual(
        rows,
        items.map((n) => ({ n, label: `#${n}` })),
        `${count} items`,
      );
    }
  } finally {
    db.close();
  }
});

test('an upsert adds to the rows already there, a key twice in one statement included', () => {
  const db = openSqlite(join(work, 'upsert.db'));
  try {
    db.exec('CREATE TABLE sums (key TEXT PRIMARY KEY, total INTEGER NOT NULL)');
    const add = new RowBatch<[string, number]>(
      db,
      2,
      (list) =>
        `INSERT INTO sums (key, total) VALUES ${list} ON CONFLICT (key) DO UPDATE SET total = total + excluded.total`,
      (v, o, [key, n]) => {
        v[o] = key;
        v[o + 1] = n;
      },
      3,
    );
    add.run([
      ['a', 1],
      ['b', 2],
      ['a', 3],
      ['c', 4],
    ]);
    add.run(new Map([['b', 10]]).entries());
    assert.deepEqual(db.prepare('SELECT key, total FROM sums ORDER BY key').all(), [
      { key: 'a', total: 4 },
      { key: 'b', total: 12 },
      { key: 'c', total: 4 },
    ]);
  } finally {
    db.close();
  }
});
