import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { dbRows, resumTraffic } from './cli.js';
import { trafficTotalsSql } from './traffic-totals.js';

/** The traffic sums tables the SQLite writer keeps, each with an order that lists its rows by key. */
export const TRAFFIC_SUM_TABLES = [
  ['traffic_seconds', 'second IS NULL, second, protocol, capture_id'],
  ['traffic_hosts', 'host, capture_id'],
  ['traffic_ports', 'protocol, port, capture_id'],
  ['traffic_host_seconds', 'second, host, capture_id'],
  ['traffic_port_seconds', 'second, protocol, port, capture_id'],
] as const;

/** The flow and DNS day sums of a SQLite database as kept, and as counted from their rows. */
export function sqliteLogSums(db: string): { kept: unknown[][]; counted: unknown[][] } {
  return {
    kept: [
      dbRows(db, 'SELECT capture_id, day, resp_h, flows, bytes FROM flow_destinations ORDER BY 1, 2, 3'),
      dbRows(db, 'SELECT capture_id, day, query, queries FROM dns_queries ORDER BY 1, 2, 3'),
    ],
    counted: [
      dbRows(
        db,
        `SELECT capture_id, ts_us / 86400000000 AS day, resp_h, COUNT(*) AS flows,
                SUM(orig_ip_bytes + resp_ip_bytes) AS bytes FROM flows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      ),
      dbRows(
        db,
        `SELECT capture_id, ts_us / 86400000000 AS day, query, COUNT(*) AS queries FROM dns
         WHERE query IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      ),
    ],
  };
}

/**
 * Asserts that every sum a SQLite database keeps equals its rows: the traffic sums against those summed
 * again from the traffic rows (in the copy `scratch`), and the address and port totals against them in the
 * SQL the PostgreSQL tests use too (traffic-totals.ts); the flow and DNS day sums against their rows.
 */
export function assertSqliteSumsEqualRows(db: string, scratch: string): void {
  const { kept, counted } = sqliteLogSums(db);
  assert.deepEqual(kept, counted, 'flow and DNS sums');
  for (const [table, keptTotals, countedTotals] of trafficTotalsSql('sqlite'))
    assert.deepEqual(dbRows(db, keptTotals), dbRows(db, countedTotals), `${table} against the traffic rows`);
  copyFileSync(db, scratch);
  const conn = new Database(scratch);
  try {
    resumTraffic(conn);
  } finally {
    conn.close();
  }
  for (const [table, order] of TRAFFIC_SUM_TABLES) {
    const sql = `SELECT * FROM ${table} ORDER BY ${order}`;
    assert.deepEqual(dbRows(db, sql), dbRows(scratch, sql), table);
  }
}
