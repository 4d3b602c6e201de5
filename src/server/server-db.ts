import { sensorTerm, type QueryDb } from '../store/query/query-db.js';
import type { Features } from './api-types.js';

/** Tables other parts of nta may add; the API answers "not available" while they are missing. */
const OPTIONAL_TABLES = ['flows', 'dns', 'tls', 'http', 'alerts', 'hosts'] as const;

/**
 * Which optional tables the database holds now: looked up on each call, so a table created by a capture or
 * an upgrade shows up without a restart.
 */
export async function features(db: QueryDb): Promise<Features> {
  const present = await db.tables();
  const f = {} as Features;
  for (const t of OPTIONAL_TABLES) f[t] = present.has(t);
  return f;
}

export async function hasTable(db: QueryDb, name: string): Promise<boolean> {
  return (await db.tables()).has(name);
}

/**
 * The flows stored (of the sensor served): summed from `flow_destinations`, a row per day, capture and
 * responder (store/log-sums.ts), instead of counting millions of rows.
 */
export async function storedFlows(db: QueryDb): Promise<number> {
  const terms: string[] = [];
  const params: Record<string, string> = {};
  sensorTerm(db, terms, params);
  const where = terms.length === 0 ? '' : `WHERE ${terms.join(' AND ')}`;
  const sql = `SELECT COALESCE(SUM(flows), 0) AS n FROM flow_destinations ${where}`;
  return Number((await db.get<{ n: number }>(sql, params))!.n);
}

/** `traffic.timestamp` text (UTC `YYYY-MM-DD HH:MM:SS.ffffff`) to milliseconds since 1970. */
export function dbTimeToMs(text: string): number {
  return Date.parse(`${text.slice(0, 10)}T${text.slice(11, 23)}Z`);
}

/** Milliseconds since 1970 to the database's timestamp text, for comparisons with `traffic.timestamp`. */
export function msToDbTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23).replace('T', ' ')}000`;
}
