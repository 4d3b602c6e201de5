/**
 * The per-capture traffic totals (`traffic_hosts`, `traffic_ports`) as a store keeps them, and as counted
 * again from the traffic rows: the same SQL for SQLite and PostgreSQL (there also per sensor), each pair
 * listing its rows in one order, so a test compares kept with counted.
 */
import assert from 'node:assert/strict';
import { pgRows } from './postgres.js';

export type Dialect = 'sqlite' | 'postgres';

/** [table, kept, counted] for each totals table of a store in `dialect`. */
export function trafficTotalsSql(
  dialect: Dialect,
): (readonly [table: string, kept: string, counted: string])[] {
  const owner = dialect === 'postgres' ? 'sensor, capture_id' : 'capture_id';
  // Sums come back as numbers in both (PostgreSQL's sum of bigint is numeric).
  const n = (sum: string): string => `CAST(${sum} AS bigint)`;
  const lowerPort = dialect === 'postgres' ? 'LEAST(src_port, dst_port)' : 'MIN(src_port, dst_port)';
  return [
    [
      'traffic_hosts',
      `SELECT ${owner}, host, sent_packets, sent_bytes, received_packets, received_bytes FROM traffic_hosts
       ORDER BY ${owner}, host`,
      `SELECT ${owner}, host, ${n('SUM(sp)')} AS sent_packets, ${n('SUM(sb)')} AS sent_bytes,
              ${n('SUM(rp)')} AS received_packets, ${n('SUM(rb)')} AS received_bytes FROM (
         SELECT ${owner}, src_ip AS host, 1 AS sp, COALESCE(length, 0) AS sb, 0 AS rp, 0 AS rb
         FROM traffic WHERE src_ip IS NOT NULL
         UNION ALL
         SELECT ${owner}, dst_ip, 0, 0, 1, COALESCE(length, 0) FROM traffic WHERE dst_ip IS NOT NULL) AS h
       GROUP BY ${owner}, host ORDER BY ${owner}, host`,
    ],
    [
      'traffic_ports',
      `SELECT ${owner}, protocol, port, packets, bytes FROM traffic_ports ORDER BY ${owner}, protocol, port`,
      `SELECT ${owner}, COALESCE(protocol, '') AS protocol, ${lowerPort} AS port, ${n('COUNT(*)')} AS packets,
              ${n('COALESCE(SUM(length), 0)')} AS bytes
       FROM traffic WHERE src_port IS NOT NULL AND dst_port IS NOT NULL
       GROUP BY ${owner}, COALESCE(protocol, ''), ${lowerPort} ORDER BY ${owner}, protocol, port`,
    ],
  ];
}

/** Asserts that each PostgreSQL traffic total at `url` equals its sensor's and capture's traffic rows. */
export async function assertPgTotalsEqualRows(url: string): Promise<void> {
  for (const [table, kept, counted] of trafficTotalsSql('postgres'))
    assert.deepEqual(await pgRows(url, kept), await pgRows(url, counted), table);
}
