import type Database from 'better-sqlite3';
import type { CaptureEnd, CaptureStart } from '../../schema/captures.js';
import type { AlertLog } from '../../schema/alert.js';
import { LOG_STREAMS, SNAPSHOT_STREAMS, type LogStream } from '../../schema/streams.js';
import { AlertsWriter } from './alerts-writer.js';
import { Checkpointer } from './checkpointer.js';
import { LearnedTable } from './learned-table.js';
import type { LearnedEntry } from '../../schema/learned.js';
import type { TrafficRecords } from '../../schema/traffic.js';
import { openSqlite, type SqliteDb } from './database.js';
import { buildDeferredIndexes, deferIndexes } from './deferred-indexes.js';
import { LogWriter } from './log-writer.js';
import { SqliteRetention } from './retention.js';
import { TrafficWriter } from './traffic-writer.js';

/** Synchronous SQLite writing; runs inside the store's worker thread (see sqlite-store.ts). */
export class SqliteWriter {
  readonly #db: SqliteDb;
  readonly #traffic: TrafficWriter;
  readonly #logs: Record<LogStream, LogWriter>;
  readonly #alerts: AlertsWriter;
  readonly #learned: LearnedTable;
  readonly #insertCapture: Database.Statement;
  readonly #finishCapture: Database.Statement;
  readonly #retention: SqliteRetention | null;
  readonly #clock: () => number;
  readonly #checkpointer: Checkpointer;

  /**
   * `bulkLoad`: a file read into the database; indexes of its empty tables are built at close (see
   * deferred-indexes.ts). Any writer first builds the indexes a killed bulk load left deferred.
   * `retention`: rows older than `days` are deleted now, before any write, and again at each new UTC day
   * of `clock` (the wall clock in ms; tests move it).
   */
  constructor(
    path: string,
    bulkLoad = false,
    retention: { days: number; clock: () => number } | null = null,
  ) {
    this.#db = openSqlite(path);
    buildDeferredIndexes(this.#db);
    if (bulkLoad) deferIndexes(this.#db);
    this.#traffic = new TrafficWriter(this.#db);
    const db = this.#db;
    const writer = (s: LogStream): LogWriter => new LogWriter(db, s, LOG_STREAMS[s], SNAPSHOT_STREAMS.has(s));
    this.#logs = {
      flows: writer('flows'),
      dns: writer('dns'),
      tls: writer('tls'),
      http: writer('http'),
      dhcp: writer('dhcp'),
      dhcpv6: writer('dhcpv6'),
      quic: writer('quic'),
      hosts: writer('hosts'),
    };
    this.#alerts = new AlertsWriter(db);
    this.#learned = new LearnedTable(db);
    this.#insertCapture = this.#db.prepare(
      `INSERT INTO captures (source, format, status, started_at, file)
       VALUES (@source, @format, 'running', @startedAt, @file)`,
    );
    this.#finishCapture = this.#db.prepare(`
      UPDATE captures SET ended_at = @endedAt, status = @status, error = @error, first_packet = @firstPacket,
        last_packet = @lastPacket, packets = @packets, bytes = @bytes, ip_packets = @ipPackets,
        malformed = @malformed, truncated = @truncated, unknown_link_type = @unknownLinkType,
        dropped = @dropped, if_dropped = @ifDropped, link_types = @linkTypes
      WHERE id = @id`);
    this.#clock = retention?.clock ?? Date.now;
    this.#retention = retention === null ? null : new SqliteRetention(db, retention.days);
    if (this.#retention?.startIfDue(this.#clock()) === true) this.#retention.finish();
    this.#checkpointer = new Checkpointer(path);
  }

  /**
   * Runs one chunk of retention if a pass is due or under way (a new UTC day starts one); true while more
   * remain, so the worker interleaves the next chunk with the capture's writes.
   */
  retentionStep(): boolean {
    if (this.#retention === null) return false;
    this.#retention.startIfDue(this.#clock());
    return this.#retention.step();
  }

  startCapture(start: CaptureStart): number {
    return Number(this.#insertCapture.run({ ...start, file: start.file ?? null }).lastInsertRowid);
  }

  writeTraffic(records: TrafficRecords, captureId: number): void {
    this.#traffic.write(records, captureId);
  }

  writeLogs(stream: LogStream, logs: readonly object[], captureId: number): void {
    this.#logs[stream].write(logs, captureId);
  }

  writeAlerts(alerts: readonly AlertLog[], captureId: number): void {
    this.#alerts.write(alerts, captureId);
  }

  loadLearned(): LearnedEntry[] {
    return this.#learned.load();
  }

  saveLearned(entries: readonly LearnedEntry[]): void {
    this.#learned.save(entries);
  }

  finishCapture(captureId: number, end: CaptureEnd): void {
    this.#finishCapture.run({ ...end, id: captureId });
  }

  close(): void {
    this.#retention?.finish();
    buildDeferredIndexes(this.#db);
    this.#checkpointer.stop();
    this.#db.pragma('wal_checkpoint(TRUNCATE)');
    this.#db.close();
  }
}
