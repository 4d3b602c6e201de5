import { existsSync } from 'node:fs';
import { NtaError } from '../../core/errors.js';
import { openSqlite, type SqliteDb } from '../sqlite/database.js';
import { sqlOf, type Params, type QueryDb, type Sql } from './query-db.js';

/**
 * QueryDb over an nta SQLite file. better-sqlite3 is synchronous: each call runs to completion before its
 * promise resolves, which is fine off the packet path. Reads use a query_only connection; the first write
 * opens a writable one beside it.
 */
export class SqliteQueryDb implements QueryDb {
  readonly dialect = 'sqlite';
  readonly name: string;
  readonly sensor = undefined;
  readonly #reader: SqliteDb;
  #writer: SqliteDb | undefined;

  private constructor(path: string, reader: SqliteDb) {
    this.name = path;
    this.#reader = reader;
  }

  static open(path: string, writable: boolean): SqliteQueryDb {
    if (!existsSync(path))
      throw new NtaError('NTA_ERR_IO', `${path}: no such database (create one with nta read or nta capture)`);
    const db = new SqliteQueryDb(path, openSqlite(path, { readonly: true }));
    if (writable) db.#writable();
    return db;
  }

  all<T>(sql: Sql, params: Params = {}): Promise<T[]> {
    return Promise.resolve(this.#reader.prepare(sqlOf(sql, 'sqlite')).all(params) as T[]);
  }

  get<T>(sql: Sql, params: Params = {}): Promise<T | undefined> {
    return Promise.resolve(this.#reader.prepare(sqlOf(sql, 'sqlite')).get(params) as T | undefined);
  }

  run<T = never>(sql: Sql, params: Params = {}): Promise<{ changes: number; rows: T[] }> {
    const stmt = this.#writable().prepare(sqlOf(sql, 'sqlite'));
    if (!stmt.reader) return Promise.resolve({ changes: stmt.run(params).changes, rows: [] });
    const rows = stmt.all(params) as T[];
    return Promise.resolve({ changes: rows.length, rows });
  }

  tables(): Promise<Set<string>> {
    const names = this.#reader
      .prepare(`SELECT name FROM sqlite_master WHERE type IN ('table', 'view')`)
      .pluck()
      .all() as string[];
    return Promise.resolve(new Set(names));
  }

  columns(table: string): Promise<Set<string>> {
    const names = this.#reader
      .prepare('SELECT name FROM pragma_table_info(?)')
      .pluck()
      .all(table) as string[];
    return Promise.resolve(new Set(names));
  }

  close(): Promise<void> {
    this.#reader.close();
    this.#writer?.close();
    return Promise.resolve();
  }

  #writable(): SqliteDb {
    this.#writer ??= openSqlite(this.name);
    return this.#writer;
  }
}
