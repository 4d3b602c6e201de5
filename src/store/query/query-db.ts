import { NtaError } from '../../core/errors.js';
import { isPostgresUrl } from '../postgres/url.js';

export type Dialect = 'sqlite' | 'postgres';

/**
 * One statement: the same text for both databases, or both versions side by side where the dialects differ.
 * Parameters are named `@name` in either; the PostgreSQL side turns them into `$1…` positions.
 */
export type Sql = string | { readonly sqlite: string; readonly postgres: string };

export type Params = Readonly<Record<string, string | number | null>>;

/**
 * The read side of an nta database, as charts, reports, `nta alerts` and `nta serve` use it: SQLite or
 * PostgreSQL behind one async interface. Integers come back as numbers from both (counts stay far below
 * 2^53). A handful of writes (acknowledge, mute) go through `run`.
 */
export interface QueryDb {
  readonly dialect: Dialect;
  /** What messages show: the SQLite path, or the PostgreSQL URL without its password. */
  readonly name: string;
  /** PostgreSQL: only this sensor's rows (`sensor` column); undefined reads every sensor's. */
  readonly sensor: string | undefined;
  all<T>(sql: Sql, params?: Params): Promise<T[]>;
  get<T>(sql: Sql, params?: Params): Promise<T | undefined>;
  /** A write; `changes` counts the rows it changed, `rows` are what a RETURNING clause gave back. */
  run<T = never>(sql: Sql, params?: Params): Promise<{ changes: number; rows: T[] }>;
  /** Tables and views present now (a capture may add some while a server runs). */
  tables(): Promise<Set<string>>;
  columns(table: string): Promise<Set<string>>;
  close(): Promise<void>;
}

export interface QueryDbOptions {
  /** PostgreSQL: read only this sensor's rows. */
  readonly sensor?: string | undefined;
  /** Open for writes too (SQLite: otherwise query_only). */
  readonly writable?: boolean;
}

/** The statement text for a dialect. */
export function sqlOf(sql: Sql, dialect: Dialect): string {
  return typeof sql === 'string' ? sql : sql[dialect];
}

/**
 * Opens the database `--db` names for reading: a `postgres://` URL or a SQLite file (which must exist).
 * The PostgreSQL client loads only when a URL asks for it.
 */
export async function openQueryDb(db: string, options: QueryDbOptions = {}): Promise<QueryDb> {
  if (isPostgresUrl(db)) {
    const { PostgresQueryDb } = await import('./postgres-query-db.js');
    return PostgresQueryDb.open(db, options.sensor);
  }
  if (options.sensor !== undefined)
    throw new NtaError('NTA_ERR_USAGE', '--sensor needs a PostgreSQL --db (postgres://…)');
  const { SqliteQueryDb } = await import('./sqlite-query-db.js');
  return SqliteQueryDb.open(db, options.writable === true);
}

/**
 * `sensor = @sensor` when the database is scoped to one sensor (PostgreSQL), for a WHERE built from terms;
 * `column` names it when the table is aliased.
 */
export function sensorTerm(
  db: Pick<QueryDb, 'sensor'>,
  terms: string[],
  params: Record<string, unknown>,
  column = 'sensor',
): void {
  if (db.sensor === undefined) return;
  terms.push(`${column} = @sensor`);
  params['sensor'] = db.sensor;
}

/** A statement written once with its dialect-specific parts filled in per dialect. */
export function perDialect(build: (d: Dialect) => string): Sql {
  return { sqlite: build('sqlite'), postgres: build('postgres') };
}

/**
 * `column` for ORDER BY, MIN/MAX and comparisons of text: SQLite compares bytes; PostgreSQL would use the
 * database's collation (en_US sorts '10.0.0.2' and 'fe80::1' differently), so it is told to compare bytes.
 */
export function byteOrder(column: string, d: Dialect): string {
  return d === 'postgres' ? `${column} COLLATE "C"` : column;
}
