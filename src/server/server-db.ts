import { existsSync } from 'node:fs';
import { NtaError } from '../core/errors.js';
import { openSqlite, type SqliteDb } from '../store/sqlite/database.js';
import type { Features } from './api-types.js';

/** Tables other parts of nta may add; the API answers "not available" while they are missing. */
const OPTIONAL_TABLES = ['flows', 'dns', 'tls', 'http', 'alerts', 'hosts'] as const;

/**
 * The database as the server sees it: one read connection (query_only, so a bug can never write), and a
 * writable one opened on first use for the few writes the API allows (acknowledging alerts). Tables are
 * looked up in sqlite_master on each call, so a table created by a capture or an upgrade shows up without
 * a restart.
 */
export class ServerDb {
  readonly path: string;
  readonly reader: SqliteDb;
  #writer: SqliteDb | undefined;

  constructor(path: string) {
    if (!existsSync(path))
      throw new NtaError('NTA_ERR_IO', `${path}: no such database (create one with nta read or nta capture)`);
    this.path = path;
    this.reader = openSqlite(path, { readonly: true });
  }

  hasTable(name: string): boolean {
    return (
      this.reader
        .prepare(`SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?`)
        .get(name) !== undefined
    );
  }

  columns(table: string): Set<string> {
    const rows = this.reader.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(table) as string[];
    return new Set(rows);
  }

  features(): Features {
    const present = new Set(
      this.reader
        .prepare(`SELECT name FROM sqlite_master WHERE type IN ('table', 'view')`)
        .pluck()
        .all() as string[],
    );
    const f = {} as Features;
    for (const t of OPTIONAL_TABLES) f[t] = present.has(t);
    return f;
  }

  writer(): SqliteDb {
    this.#writer ??= openSqlite(this.path);
    return this.#writer;
  }

  close(): void {
    this.reader.close();
    this.#writer?.close();
  }
}

/** `traffic.timestamp` text (UTC `YYYY-MM-DD HH:MM:SS.ffffff`) to milliseconds since 1970. */
export function dbTimeToMs(text: string): number {
  return Date.parse(`${text.slice(0, 10)}T${text.slice(11, 23)}Z`);
}

/** Milliseconds since 1970 to the database's timestamp text, for comparisons with `traffic.timestamp`. */
export function msToDbTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23).replace('T', ' ')}000`;
}
