import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import pg from 'pg';

/**
 * The PostgreSQL server the tests use: .ci/postgres.sh creates this role and database. Tests that need
 * it fail (never skip) when it is not there.
 */
export const PG_URL = process.env['NTA_TEST_PG_URL'] ?? 'postgres://nta:nta@127.0.0.1:5432/nta_test';

/** The URL of the same server and role with another database name. */
export function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

async function admin<T>(work: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_URL });
  try {
    await c.connect();
  } catch (err) {
    throw new Error(
      `the test PostgreSQL server is not reachable at ${PG_URL} (run .ci/postgres.sh or set NTA_TEST_PG_URL)`,
      { cause: err },
    );
  }
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}

/** A new empty database for one test (dropped when the test file ends); returns its URL. */
export async function scratchDatabase(): Promise<string> {
  const name = `nta_t_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  // Our connections are closed by then; FORCE would need the right to end other roles' sessions.
  after(() => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name}`)));
  return withDatabase(PG_URL, name);
}

/** Rows of a query, bigint columns as numbers (as SQLite returns them). */
export async function pgRows<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({
    connectionString: url,
    types: { getTypeParser: (oid, format) => (oid === 20 ? Number : pg.types.getTypeParser(oid, format)) },
  });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}
