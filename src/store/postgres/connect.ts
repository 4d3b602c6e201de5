import pg from 'pg';
import { NtaError } from '../../core/errors.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';
import { NTA_LOCK_KEY } from './partitions.js';
import { redactUrl } from './url.js';

/** Seconds to wait for the server before saying it is unreachable. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Connects and brings the schema up to date. Every failure a user can cause (server down, wrong password,
 * no such database, a database that is not nta's) becomes one NtaError line naming the server.
 */
export async function connectPostgres(url: string): Promise<pg.Client> {
  const shown = redactUrl(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new NtaError('NTA_ERR_USAGE', `${shown}: not a valid PostgreSQL URL`);
  }
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: 'nta',
    // bigint columns (ids, counts) as numbers: they stay far below 2^53.
    types: { getTypeParser: (oid, format) => (oid === 20 ? Number : pg.types.getTypeParser(oid, format)) },
  });
  // Until the store takes over, a dropped connection must not become an uncaught 'error' event.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw new NtaError('NTA_ERR_STORE', `${shown}: ${connectReason(err, parsed)}`, { cause: err });
  }
  try {
    await migrate(client, shown);
  } catch (err) {
    await client.end().catch(() => undefined);
    if (err instanceof NtaError) throw err;
    throw new NtaError('NTA_ERR_STORE', `${shown}: ${pgReason(err)}`, { cause: err });
  }
  return client;
}

function connectReason(err: unknown, url: URL): string {
  const e = err as { code?: string; message?: string };
  const server = `${url.hostname || 'localhost'}:${url.port || '5432'}`;
  const user = decodeURIComponent(url.username) || 'the current user';
  const db = decodeURIComponent(url.pathname.slice(1)) || user;
  switch (e.code) {
    case 'ECONNREFUSED':
      return `cannot connect to PostgreSQL at ${server} (connection refused): is the server running?`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot connect to PostgreSQL: unknown host ${url.hostname}`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `cannot connect to PostgreSQL at ${server} (${e.code})`;
    case '28P01':
      return `authentication failed for user ${user} (wrong password?)`;
    case '28000':
      return `authentication failed: ${e.message ?? 'rejected by pg_hba.conf'}`;
    case '3D000':
      return `database ${db} does not exist on ${server} (create it with: createdb ${db})`;
  }
  if (/timeout/i.test(e.message ?? '')) return `cannot connect to PostgreSQL at ${server} (timed out)`;
  if (/password/i.test(e.message ?? '')) return `authentication failed for user ${user}: ${e.message ?? ''}`;
  return `cannot connect to PostgreSQL at ${server}: ${e.message ?? String(err)}`;
}

export function pgReason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Applies the missing migrations under an advisory lock, so sensors starting at once against a new
 * database migrate it exactly once. `schema_version` holds one row per applied version.
 */
async function migrate(client: pg.Client, shown: string): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [NTA_LOCK_KEY]);
    const has = await client.query<{ versioned: boolean; traffic: boolean }>(
      `SELECT to_regclass('schema_version') IS NOT NULL AS versioned,
              to_regclass('traffic') IS NOT NULL AS traffic`,
    );
    const { versioned, traffic } = has.rows[0]!;
    if (!versioned && traffic)
      throw new NtaError(
        'NTA_ERR_STORE_SCHEMA',
        `${shown}: not an nta database (it has a traffic table but no schema_version); choose another database`,
      );
    if (!versioned)
      await client.query(
        `CREATE TABLE schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
    const res = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_version');
    const version = res.rows[0]?.v ?? 0;
    if (version > SCHEMA_VERSION)
      throw new NtaError(
        'NTA_ERR_STORE_SCHEMA',
        `${shown}: database schema version ${version} is newer than this nta supports (${SCHEMA_VERSION}); upgrade nta`,
      );
    for (let v = version; v < SCHEMA_VERSION; v++) {
      await client.query(MIGRATIONS[v]!);
      await client.query('INSERT INTO schema_version (version) VALUES ($1)', [v + 1]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** Errors that mean the server or the connection went away (as opposed to a rejected statement). */
export function isConnectionLoss(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (code.startsWith('08') || ['57P01', '57P02', '57P03'].includes(code)) return true;
  if (['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH'].includes(code))
    return true;
  const message = typeof e.message === 'string' ? e.message : '';
  return /Connection terminated|not queryable|connection error|Client was closed/i.test(message);
}
