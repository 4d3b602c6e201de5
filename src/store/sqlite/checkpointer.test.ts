/** The checkpointer thread copies a writer's WAL into the database file while the writer keeps it open. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { workDir } from '../../../test/support/cli.js';
import { Checkpointer } from './checkpointer.js';
import { openSqlite } from './database.js';

const work = workDir('nta-checkpointer-');

test('frames a writer commits reach the database file before the writer closes', async () => {
  const path = join(work, 'wal.db');
  const writer = openSqlite(path);
  // No automatic checkpoint on the writer: only the checkpointer can copy frames.
  writer.pragma('wal_autocheckpoint = 0');
  writer.exec('CREATE TABLE filler (id INTEGER PRIMARY KEY, text TEXT)');
  const insert = writer.prepare('INSERT INTO filler (text) VALUES (?)');
  writer.transaction(() => {
    for (let i = 0; i < 20_000; i++) insert.run(`row ${i} `.repeat(8));
  })();
  const pages = writer.pragma('page_count', { simple: true }) as number;
  const pageSize = writer.pragma('page_size', { simple: true }) as number;
  const inFile = (): number => statSync(path).size;
  assert.ok(inFile() + 1_000_000 < pages * pageSize, 'over a megabyte of pages only in the WAL');
  const checkpointer = new Checkpointer(path);
  try {
    // Polled, not timed: the thread copies within a few of its 200 ms rounds on any machine.
    for (let i = 0; i < 300 && inFile() < pages * pageSize; i++) await sleep(50);
    assert.equal(inFile(), pages * pageSize, 'every page is in the database file');
  } finally {
    checkpointer.stop();
  }
  // Closing leaves a whole database.
  writer.close();
  const reader = openSqlite(path, { readonly: true });
  try {
    assert.equal(reader.prepare('SELECT count(*) FROM filler').pluck().get(), 20_000);
  } finally {
    reader.close();
  }
});

test('a checkpointer whose database cannot be opened stops at once and leaves nothing behind', () => {
  const missing = join(work, 'missing', 'nowhere.db');
  const checkpointer = new Checkpointer(missing);
  checkpointer.stop();
  assert.throws(() => statSync(missing), /ENOENT/);
});
