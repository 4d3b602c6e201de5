/**
 * The PostgreSQL store against the shared Store conformance suite, on the real server .ci/postgres.sh
 * sets up (NTA_TEST_PG_URL); each test gets a scratch database. Without the server these tests fail.
 */
import { storeConformance, type TestDatabase } from '../../../test/conformance/store.js';
import { pgRows, scratchDatabase } from '../../../test/support/postgres.js';
import { PostgresStore } from './postgres-store.js';

const OPTIONS = { sensor: 'conformance', retentionDays: null };

async function database(setup?: string): Promise<TestDatabase> {
  const url = await scratchDatabase();
  if (setup !== undefined) await pgRows(url, setup);
  return {
    open: () => PostgresStore.open(url, OPTIONS),
    rows: <T>(sql: string) => pgRows<T>(url, sql),
  };
}

storeConformance('PostgreSQL', {
  create: () => database(),
  createForeign: () => database(`CREATE TABLE traffic (packet bytea); INSERT INTO traffic VALUES ('\\x00')`),
  createNewer: async () => {
    const db = await database();
    await (await db.open()).close();
    await db.rows('INSERT INTO schema_version (version) VALUES (99)');
    return db;
  },
});
