/** The `learned` table (schema/learned.ts) in SQLite: read whole at the start of a run, upserted at its end. */
import type Database from 'better-sqlite3';
import type { LearnedEntry } from '../../schema/learned.js';
import { parseLearned } from '../learned-rows.js';
import type { SqliteDb } from './database.js';

export class LearnedTable {
  readonly #db: SqliteDb;
  readonly #select: Database.Statement;
  readonly #upsert: Database.Statement;

  constructor(db: SqliteDb) {
    this.#db = db;
    this.#select = db.prepare('SELECT detector, key, value FROM learned');
    this.#upsert = db.prepare(
      `INSERT INTO learned (detector, key, value, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (detector, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    );
  }

  load(): LearnedEntry[] {
    return parseLearned(this.#select.iterate() as Iterable<{ detector: string; key: string; value: string }>);
  }

  save(entries: readonly LearnedEntry[]): void {
    const now = new Date().toISOString();
    this.#db.transaction(() => {
      for (const e of entries) this.#upsert.run(e.detector, e.key, JSON.stringify(e.value), now);
    })();
  }
}
