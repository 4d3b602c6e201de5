import pg from 'pg';
import { connectPostgres, pgReason } from '../postgres/connect.js';
import { redactUrl } from '../postgres/url.js';
import { NtaError } from '../../core/errors.js';
import { sqlOf, type Params, type QueryDb, type Sql } from './query-db.js';

/** `@name` parameters (outside quoted text and identifiers) as `$n` positions, and the values in order. */
export function positional(text: string, params: Params): { text: string; values: unknown[] } {
  const index = new Map<string, number>();
  const values: unknown[] = [];
  const out = text.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|@([A-Za-z_][A-Za-z0-9_]*)/g, (m, name?: string) => {
    if (name === undefined) return m;
    let n = index.get(name);
    if (n === undefined) {
      if (!(name in params)) throw new Error(`SQL parameter @${name} has no value`);
      values.push(params[name]);
      index.set(name, (n = values.length));
    }
    return `$${n}`;
  });
  return { text: out, values };
}

/** numeric (SUM of bigint, AVG) as a number, as SQLite gives it. */
const NUMERIC_OID = 1700;

/**
 * QueryDb over an nta PostgreSQL database: one connection, opened (and migrated, as a store would) up front.
 * With a sensor name, queries add `sensor = @sensor` to what they read.
 */
export class PostgresQueryDb implements QueryDb {
  readonly dialect = 'postgres';
  readonly name: string;
  readonly sensor: string | undefined;
  readonly #client: pg.Client;

  private constructor(name: string, client: pg.Client, sensor: string | undefined) {
    this.name = name;
    this.#client = client;
    this.sensor = sensor;
  }

  static async open(url: string, sensor: string | undefined): Promise<PostgresQueryDb> {
    const client = await connectPostgres(url);
    const numeric = pg.types.getTypeParser(NUMERIC_OID);
    client.setTypeParser(NUMERIC_OID, (v: string) => {
      const n = Number(v);
      return Number.isFinite(n) ? n : numeric(v);
    });
    // Times in filters are UTC text (as `traffic.timestamp`); casts to timestamptz read them as UTC.
    await client.query(`SET TimeZone = 'UTC'`);
    return new PostgresQueryDb(redactUrl(url), client, sensor);
  }

  async all<T>(sql: Sql, params: Params = {}): Promise<T[]> {
    return (await this.#query(sql, params)).rows as T[];
  }

  async get<T>(sql: Sql, params: Params = {}): Promise<T | undefined> {
    return (await this.#query(sql, params)).rows[0] as T | undefined;
  }

  async run<T = never>(sql: Sql, params: Params = {}): Promise<{ changes: number; rows: T[] }> {
    const r = await this.#query(sql, params);
    return { changes: r.rowCount ?? 0, rows: r.rows as T[] };
  }

  async tables(): Promise<Set<string>> {
    const r = await this.#client.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()`,
    );
    return new Set(r.rows.map((row) => row.name));
  }

  async columns(table: string): Promise<Set<string>> {
    const r = await this.#client.query<{ name: string }>(
      `SELECT column_name AS name FROM information_schema.columns
       WHERE table_schema = current_schema() AND table_name = $1`,
      [table],
    );
    return new Set(r.rows.map((row) => row.name));
  }

  async close(): Promise<void> {
    await this.#client.end();
  }

  async #query(sql: Sql, params: Params): Promise<pg.QueryResult> {
    const { text, values } = positional(sqlOf(sql, 'postgres'), params);
    try {
      return await this.#client.query(text, values);
    } catch (err) {
      throw new NtaError('NTA_ERR_STORE', `${this.name}: ${pgReason(err)}`, { cause: err });
    }
  }
}
