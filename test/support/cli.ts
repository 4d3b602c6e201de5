import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import Database from 'better-sqlite3';
import { SECOND_SUMS_FROM_TRAFFIC, TRAFFIC_SUMS_FROM_TRAFFIC } from '../../src/store/sqlite/migrations.js';
import { REPO_ROOT } from './corpus.js';

/** The built CLI, run as users run it: `node dist/src/cli/main.js`. */
export const NTA = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

/** A scratch folder for one test file, removed when its tests end. */
export function workDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Rows of a query on a database nta wrote, opened read-only. */
export function dbRows<T>(db: string, sql: string): T[] {
  const conn = new Database(db, { readonly: true });
  try {
    return conn.prepare(sql).all() as T[];
  } finally {
    conn.close();
  }
}

/** After a test edits traffic rows directly, sums them again as the writer would have. */
export function resumTraffic(conn: Database.Database): void {
  conn.exec(`DELETE FROM traffic_seconds; DELETE FROM traffic_hosts; DELETE FROM traffic_ports;
    DELETE FROM traffic_host_seconds; DELETE FROM traffic_port_seconds`);
  conn.exec(TRAFFIC_SUMS_FROM_TRAFFIC);
  conn.exec(SECOND_SUMS_FROM_TRAFFIC);
}
