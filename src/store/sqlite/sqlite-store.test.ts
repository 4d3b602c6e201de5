/** The SQLite store against the shared Store conformance suite (test/conformance/store.ts). */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { storeConformance, type TestDatabase } from '../../../test/conformance/store.js';
import { dbRows, workDir } from '../../../test/support/cli.js';
import { SqliteStore } from './sqlite-store.js';

const work = workDir('nta-sqlite-conformance-');
let n = 0;

function database(setup?: (db: Database.Database) => void): TestDatabase {
  const path = join(work, `db-${++n}.db`);
  if (setup !== undefined) {
    const db = new Database(path);
    setup(db);
    db.close();
  }
  return {
    open: () => SqliteStore.open(path),
    rows: <T>(sql: string) => Promise.resolve(dbRows<T>(path, sql)),
  };
}

storeConformance('SQLite', {
  create: () => Promise.resolve(database()),
  createForeign: () =>
    Promise.resolve(
      database((db) => db.exec("CREATE TABLE traffic (packet BLOB); INSERT INTO traffic VALUES (x'00');")),
    ),
  createNewer: async () => {
    const db = database();
    await (await db.open()).close();
    const path = join(work, `db-${n}.db`);
    const conn = new Database(path);
    conn.pragma('user_version = 99');
    conn.close();
    return db;
  },
});
