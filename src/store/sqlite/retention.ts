import type Database from 'better-sqlite3';
import { dayOfSeconds } from '../postgres/partitions.js';
import { LOG_SUMS } from '../log-sums.js';
import type { SqliteDb } from './database.js';

const DAY_SECONDS = 86_400;
/** Rows deleted per transaction: a capture's next batch waits for one chunk at most. */
export const RETENTION_CHUNK_ROWS = 50_000;
/** Seconds of traffic_seconds read at a time while a traffic chunk is sized. */
const SECONDS_PAGE = 4096;

/** The log tables with a time (ts_us, indexed), and the day sums kept beside two of them (log-sums.ts). */
const LOG_TABLES = ['flows', 'dns', 'tls', 'http', 'dhcp', 'dhcpv6', 'quic'] as const;

/**
 * The first UTC second kept: the start of the day `days` before today, as PostgreSQL keeps whole daily
 * partitions (partitions.ts), so both stores keep the same rows and the per-day sums stay whole days.
 */
export const firstKeptSecond = (days: number, now: number): number =>
  (dayOfSeconds(now / 1000) - days) * DAY_SECONDS;

/** `YYYY-MM-DD HH:MM:SS` of a UTC second: traffic.timestamp compares as text against it. */
const secondText = (sec: number): string => new Date(sec * 1000).toISOString().slice(0, 19).replace('T', ' ');

/**
 * Deletes what is older than the retention from a SQLite store, in chunks of about RETENTION_CHUNK_ROWS
 * rows, each its own transaction that leaves every sum equal to its rows: traffic by whole seconds (the
 * rowid ranges traffic_seconds keeps, no index on traffic.timestamp), subtracting what the deleted
 * per-second address and port sums held from the per-capture totals; the log tables by ts_us, subtracting
 * from their day sums; alerts by last_seen. Freed pages are reused by later inserts (no VACUUM). The
 * captures and hosts rows stay.
 */
export class SqliteRetention {
  readonly #db: SqliteDb;
  readonly #days: number;
  /** The pass in progress: its first kept second, and the steps still to run. */
  #cutoff = 0;
  #steps: (() => boolean)[] = [];
  /** The wall-clock time (ms) from which the next pass is due: the next UTC day's start. */
  #nextDue = 0;
  readonly #oldSeconds: Database.Statement;
  readonly #rangesUpTo: Database.Statement;

  constructor(db: SqliteDb, days: number) {
    this.#db = db;
    this.#days = days;
    this.#oldSeconds = db.prepare(`SELECT second, SUM(packets) AS packets FROM traffic_seconds
      WHERE second < ? GROUP BY second ORDER BY second LIMIT ${SECONDS_PAGE}`);
    this.#rangesUpTo = db.prepare(
      'SELECT first_id AS lo, last_id AS hi FROM traffic_seconds WHERE second <= ? ORDER BY first_id',
    );
  }

  /** Whether a pass is under way (more steps to run). */
  get running(): boolean {
    return this.#steps.length > 0;
  }

  /** Starts a pass if none is running and a new UTC day has begun since the last one (or none ran yet). */
  startIfDue(now = Date.now()): boolean {
    if (this.running || now < this.#nextDue) return false;
    this.#cutoff = firstKeptSecond(this.#days, now);
    this.#nextDue = (dayOfSeconds(now / 1000) + 1) * DAY_SECONDS * 1000;
    this.#steps = [
      () => this.#trafficChunk(),
      ...LOG_TABLES.map((t) => () => this.#logChunk(t)),
      () => this.#alertsChunk(),
    ];
    return true;
  }

  /** Runs one chunk of the pass; false once the pass is over. */
  step(): boolean {
    const step = this.#steps[0];
    if (step === undefined) return false;
    if (!this.#db.transaction(step)()) this.#steps.shift();
    return this.running;
  }

  /** Runs the pass in progress to its end. */
  finish(): void {
    while (this.step());
  }

  /** Deletes the next whole seconds before the cutoff, about a chunk of rows; true if older ones remain. */
  #trafficChunk(): boolean {
    const seconds = this.#oldSeconds.all(this.#cutoff) as { second: number; packets: number }[];
    if (seconds.length === 0) return false;
    let last = seconds[0]!.second;
    let rows = 0;
    for (const s of seconds) {
      if (rows > 0 && rows + s.packets > RETENTION_CHUNK_ROWS) break;
      rows += s.packets;
      last = s.second;
    }
    // Every row of a second lies within its groups' rowid ranges; rows of later seconds inside a range
    // (time going backwards) stay by their timestamp. Earlier seconds went in earlier chunks.
    const end = secondText(last + 1);
    const del = this.#db.prepare('DELETE FROM traffic WHERE id BETWEEN ? AND ? AND timestamp < ?');
    let lo = -1;
    let hi = -2;
    for (const r of this.#rangesUpTo.all(last) as { lo: number; hi: number }[]) {
      if (r.lo <= hi + 1) hi = Math.max(hi, r.hi);
      else {
        if (hi >= lo) del.run(lo, hi, end);
        lo = r.lo;
        hi = r.hi;
      }
    }
    if (hi >= lo) del.run(lo, hi, end);
    this.#db.exec(`
      UPDATE traffic_hosts SET sent_packets = sent_packets - d.sp, sent_bytes = sent_bytes - d.sb,
        received_packets = received_packets - d.rp, received_bytes = received_bytes - d.rb
      FROM (SELECT capture_id, host, SUM(sent_packets) AS sp, SUM(sent_bytes) AS sb,
              SUM(received_packets) AS rp, SUM(received_bytes) AS rb
            FROM traffic_host_seconds WHERE second <= ${last} GROUP BY capture_id, host) AS d
      WHERE traffic_hosts.host = d.host AND traffic_hosts.capture_id IS d.capture_id;
      UPDATE traffic_ports SET packets = packets - d.p, bytes = bytes - d.b
      FROM (SELECT capture_id, protocol, port, SUM(packets) AS p, SUM(bytes) AS b
            FROM traffic_port_seconds WHERE second <= ${last} GROUP BY capture_id, protocol, port) AS d
      WHERE traffic_ports.protocol = d.protocol AND traffic_ports.port = d.port
        AND traffic_ports.capture_id IS d.capture_id;
      DELETE FROM traffic_hosts WHERE sent_packets = 0 AND received_packets = 0 AND (host, capture_id) IN
        (SELECT host, capture_id FROM traffic_host_seconds WHERE second <= ${last});
      DELETE FROM traffic_ports WHERE packets = 0 AND (protocol, port, capture_id) IN
        (SELECT protocol, port, capture_id FROM traffic_port_seconds WHERE second <= ${last});
      DELETE FROM traffic_host_seconds WHERE second <= ${last};
      DELETE FROM traffic_port_seconds WHERE second <= ${last};
      DELETE FROM traffic_seconds WHERE second <= ${last};`);
    return true;
  }

  /** Deletes about a chunk of the oldest rows before the cutoff, and their part of the day sums. */
  #logChunk(table: (typeof LOG_TABLES)[number]): boolean {
    const cutoffUs = this.#cutoff * 1_000_000;
    const bound = this.#db
      .prepare(`SELECT ts_us FROM ${table} WHERE ts_us < ? ORDER BY ts_us LIMIT 1 OFFSET ?`)
      .pluck()
      .get(cutoffUs, RETENTION_CHUNK_ROWS - 1) as number | undefined;
    // Rows up to and with the chunk's last time (ties go together), or all that are left before the cutoff.
    const upTo = bound ?? cutoffUs - 1;
    if (table === 'flows' || table === 'dns') {
      const sums = LOG_SUMS[table];
      const values =
        table === 'flows' ? 'COUNT(*) AS v0, SUM(orig_ip_bytes + resp_ip_bytes) AS v1' : 'COUNT(*) AS v0';
      const where = table === 'dns' ? 'AND query IS NOT NULL' : '';
      const set = sums.values.map((v, i) => `${v} = ${v} - d.v${i}`).join(', ');
      const day = 'ts_us / 86400000000';
      this.#db.exec(`
        UPDATE ${sums.table} SET ${set}
        FROM (SELECT ${day} AS day, capture_id, ${sums.key} AS k, ${values} FROM ${table}
              WHERE ts_us <= ${upTo} ${where} GROUP BY 1, 2, 3) AS d
        WHERE ${sums.table}.day = d.day AND ${sums.table}.capture_id IS d.capture_id
          AND ${sums.table}.${sums.key} = d.k;
        DELETE FROM ${sums.table} WHERE ${sums.values[0]} = 0 AND (${sums.key}, day, capture_id) IN
          (SELECT ${sums.key}, ${day}, capture_id FROM ${table} WHERE ts_us <= ${upTo} ${where});`);
    }
    this.#db.prepare(`DELETE FROM ${table} WHERE ts_us <= ?`).run(upTo);
    return bound !== undefined;
  }

  #alertsChunk(): boolean {
    const deleted = this.#db
      .prepare(
        `DELETE FROM alerts WHERE rowid IN (SELECT rowid FROM alerts WHERE last_seen_us < ? LIMIT ${RETENTION_CHUNK_ROWS})`,
      )
      .run(this.#cutoff * 1_000_000).changes;
    return deleted === RETENTION_CHUNK_ROWS;
  }
}
