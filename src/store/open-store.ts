import { hostname } from 'node:os';
import { NtaError } from '../core/errors.js';
import { isPostgresUrl } from './postgres/url.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

export interface StoreOptions {
  /** Sensor name for shared databases; the host name when not given. */
  readonly sensor?: string | undefined;
  /** Days to keep: PostgreSQL drops older daily partitions, SQLite deletes older rows (retention.ts). */
  readonly retentionDays?: number | undefined;
  /** PostgreSQL outage and spool messages (one line each). */
  readonly onStatus?: ((message: string) => void) | undefined;
  /** Capture files are read into it: SQLite builds the secondary indexes of new tables at the end. */
  readonly bulkLoad?: boolean | undefined;
}

/** Opens the store `--db` names: a `postgres://` URL is a PostgreSQL database, anything else a SQLite file. */
export async function openStore(db: string, options: StoreOptions = {}): Promise<Store> {
  if (isPostgresUrl(db)) {
    // Loaded on use: the PostgreSQL client would add to every start of nta otherwise.
    const { PostgresStore } = await import('./postgres/postgres-store.js');
    return PostgresStore.open(db, {
      sensor: options.sensor ?? hostname(),
      retentionDays: options.retentionDays ?? null,
      onStatus: options.onStatus,
    });
  }
  if (options.sensor !== undefined)
    throw new NtaError('NTA_ERR_USAGE', '--sensor needs a PostgreSQL --db (postgres://…)');
  const days = options.retentionDays;
  return SqliteStore.open(db, {
    bulkLoad: options.bulkLoad,
    retention: days === undefined ? undefined : { days, now: null },
  });
}
