import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { NtaError } from '../../core/errors.js';
import { ALERT_MERGED_COLUMNS, alertLog, type AlertLog } from '../../schema/alert.js';
import type { CaptureEnd, CaptureStart } from '../../schema/captures.js';
import { sqlColumns } from '../../schema/log-schema.js';
import { LOG_STREAMS, type LogOf, type LogStream } from '../../schema/streams.js';
import type { TrafficRecords } from '../../schema/traffic.js';
import type { LearnedEntry } from '../../schema/learned.js';
import { parseLearned } from '../learned-rows.js';
import { RecordPool } from '../record-pool.js';
import type { Store } from '../store.js';
import { connectPostgres, isConnectionLoss, pgReason } from './connect.js';
import { redactUrl } from './url.js';
import {
  LogCopyFormatter,
  logSums,
  SUMS_COPY_COLUMNS,
  TRAFFIC_COPY_COLUMNS,
  TrafficCopyFormatter,
  type CopyBatch,
  type SumsTable,
} from './copy-text.js';
import { PARTITIONED_TABLES, Partitions } from './partitions.js';
import { Spool, type SpoolEntry } from './spool.js';

export interface PostgresOptions {
  /** Written into every row: which sensor saw it. */
  readonly sensor: string;
  /** Daily partitions older than this many days are dropped; null keeps everything. */
  readonly retentionDays: number | null;
  /** Where batches wait while the server is away (default: nta-spool in the temporary folder). */
  readonly spoolDir?: string | undefined;
  /** Bound of the on-disk spool in bytes; when full, the reader waits (default 1 GiB). */
  readonly spoolBytes?: number | undefined;
  /** How long close() waits for an absent server before leaving the spool for the next run (ms). */
  readonly closeGraceMs?: number | undefined;
  /** Outage, recovery and spool messages, one line each. */
  readonly onStatus?: ((message: string) => void) | undefined;
}

export interface SpoolStatus {
  readonly connected: boolean;
  /** Batches and bytes waiting on disk. */
  readonly spooledBatches: number;
  readonly spooledBytes: number;
  /** Batches that went through the spool in this run. */
  readonly replayedBatches: number;
}

/** Record batches alive at once (being filled, queued, being copied): bounds the memory in flight. */
const MAX_RECORD_BATCHES = 4;
/**
 * Capture ids taken from the sequence ahead of use, so this many captures can start while the server is
 * away; the next one waits for it.
 */
const RESERVED_CAPTURE_IDS = 8;
const DEFAULT_SPOOL_BYTES = 1 << 30;
const DEFAULT_CLOSE_GRACE_MS = 5_000;
const RECONNECT_MIN_MS = 200;
const RECONNECT_MAX_MS = 5_000;

interface Pending {
  readonly entry: SpoolEntry;
  readonly bytes: number;
  /** Called once the entry is in the database or in the spool. */
  readonly done: () => void;
  readonly failed: (err: NtaError) => void;
}

const HOST_COLUMNS = [...sqlColumns(LOG_STREAMS.hosts), 'capture_id', 'sensor'];

function sumsUpsert(table: SumsTable, key: readonly string[], merge: Record<string, string>): string {
  const columns = SUMS_COPY_COLUMNS[table].join(', ');
  return `INSERT INTO ${table} (${columns}) SELECT ${columns} FROM upsert_in
    ON CONFLICT (${key.join(', ')}) DO UPDATE SET ${Object.entries(merge)
      .map(([c, v]) => `${c} = ${v}`)
      .join(', ')}`;
}
/**
 * Tables whose rows are replaced rather than appended: a batch is copied into a scratch table and merged,
 * keeping the newest state of each key (a batch may hold a row and its later updates).
 */
const UPSERTS: Partial<Record<string, string>> = {
  alerts: `INSERT INTO alerts SELECT DISTINCT ON (id) * FROM upsert_in ORDER BY id, count DESC, last_seen_us DESC
    ON CONFLICT (id) DO UPDATE SET ${ALERT_MERGED_COLUMNS.map((c) => `${c} = excluded.${c}`).join(', ')}`,
  // A traffic batch's sums, added to those of earlier batches.
  traffic_seconds: sumsUpsert('traffic_seconds', ['second', 'protocol', 'capture_id', 'sensor'], {
    packets: 'traffic_seconds.packets + excluded.packets',
    bytes: 'traffic_seconds.bytes + excluded.bytes',
    first_ts: 'LEAST(traffic_seconds.first_ts, excluded.first_ts)',
    last_ts: 'GREATEST(traffic_seconds.last_ts, excluded.last_ts)',
  }),
  traffic_hosts: sumsUpsert('traffic_hosts', ['host', 'capture_id', 'sensor'], {
    sent_packets: 'traffic_hosts.sent_packets + excluded.sent_packets',
    sent_bytes: 'traffic_hosts.sent_bytes + excluded.sent_bytes',
    received_packets: 'traffic_hosts.received_packets + excluded.received_packets',
    received_bytes: 'traffic_hosts.received_bytes + excluded.received_bytes',
  }),
  traffic_ports: sumsUpsert('traffic_ports', ['protocol', 'port', 'capture_id', 'sensor'], {
    packets: 'traffic_ports.packets + excluded.packets',
    bytes: 'traffic_ports.bytes + excluded.bytes',
  }),
  // A flows or dns batch's sums, likewise.
  flow_destinations: sumsUpsert('flow_destinations', ['resp_h', 'day', 'capture_id', 'sensor'], {
    flows: 'flow_destinations.flows + excluded.flows',
    bytes: 'flow_destinations.bytes + excluded.bytes',
  }),
  dns_queries: sumsUpsert('dns_queries', ['query', 'day', 'capture_id', 'sensor'], {
    queries: 'dns_queries.queries + excluded.queries',
  }),
  traffic_host_seconds: sumsUpsert('traffic_host_seconds', ['second', 'host', 'capture_id', 'sensor'], {
    sent_packets: 'traffic_host_seconds.sent_packets + excluded.sent_packets',
    sent_bytes: 'traffic_host_seconds.sent_bytes + excluded.sent_bytes',
    received_packets: 'traffic_host_seconds.received_packets + excluded.received_packets',
    received_bytes: 'traffic_host_seconds.received_bytes + excluded.received_bytes',
  }),
  traffic_port_seconds: sumsUpsert(
    'traffic_port_seconds',
    ['second', 'protocol', 'port', 'capture_id', 'sensor'],
    {
      packets: 'traffic_port_seconds.packets + excluded.packets',
      bytes: 'traffic_port_seconds.bytes + excluded.bytes',
    },
  ),
  hosts: `INSERT INTO hosts (${HOST_COLUMNS.join(', ')})
    SELECT DISTINCT ON (sensor, capture_id, mac) ${HOST_COLUMNS.join(', ')} FROM upsert_in
    ORDER BY sensor, capture_id, mac, last_seen_us DESC, pkts_out + pkts_in DESC
    ON CONFLICT (sensor, capture_id, mac) DO UPDATE SET ${HOST_COLUMNS.map((c) => `${c} = excluded.${c}`).join(', ')}`,
};

/** One COPY inside the caller's transaction: straight into `table`, or through a scratch table and its upsert. */
async function copyInto(
  client: pg.Client,
  table: string,
  columns: readonly string[],
  text: string,
): Promise<void> {
  const upsert = UPSERTS[table];
  if (upsert !== undefined)
    await client.query(
      `CREATE TEMP TABLE upsert_in (LIKE ${table} INCLUDING DEFAULTS INCLUDING IDENTITY) ON COMMIT DROP`,
    );
  const target = upsert === undefined ? table : 'upsert_in';
  const stream = client.query(copyFrom(`COPY ${target} (${columns.join(', ')}) FROM STDIN`));
  stream.end(text);
  await finished(stream);
  // Dropped at once rather than at COMMIT: a traffic batch upserts into several sums tables.
  if (upsert !== undefined) await client.query(`${upsert}; DROP TABLE upsert_in`);
}

/**
 * The PostgreSQL store. Writes are COPYs run one after another by an async pump on the main thread: the
 * `pg` client does its network I/O without blocking, so the packet path pays only for turning a batch
 * into COPY text (about what SQLite's worker pays for binding), and a worker thread would add a second
 * message protocol for little gain. At most MAX_RECORD_BATCHES record batches exist; a batch comes back
 * for reuse once it is in the database or in the spool, so when all are queued, records()/writeTraffic()
 * wait: that is the backpressure on the reader.
 *
 * When the server goes away, the pump writes entries to a bounded on-disk spool instead, reconnects with
 * backoff, and replays the spool in order before anything newer. Copies are marked in `ingest_batches`
 * in their own transaction, so a replay stores each batch exactly once.
 */
export class PostgresStore implements Store {
  readonly path: string;
  readonly #url: string;
  readonly #options: PostgresOptions;
  readonly #writer = randomUUID();
  readonly #partitions: Partitions;
  readonly #traffic: TrafficCopyFormatter;
  readonly #logs: { readonly [S in LogStream]: LogCopyFormatter<LogOf<S>> };
  readonly #alerts: LogCopyFormatter<AlertLog>;
  readonly #spool: Spool;
  readonly #pending: Pending[] = [];
  readonly #records = new RecordPool(MAX_RECORD_BATCHES);
  readonly #captureIds: number[] = [];
  #client: pg.Client | null;
  #seq = 0;
  #replayed = 0;
  #pumping = false;
  #closing = false;
  #reconnecting: Promise<void> | null = null;
  #wakeUp: (() => void) | null = null;
  #closed = false;
  readonly #drainWaiters: (() => void)[] = [];
  #failure: NtaError | undefined;

  private constructor(url: string, client: pg.Client, options: PostgresOptions) {
    this.path = redactUrl(url);
    this.#url = url;
    this.#options = options;
    this.#partitions = new Partitions(() => this.#client!, options.retentionDays);
    this.#traffic = new TrafficCopyFormatter(options.sensor);
    this.#logs = {
      flows: new LogCopyFormatter(LOG_STREAMS.flows, options.sensor),
      dns: new LogCopyFormatter(LOG_STREAMS.dns, options.sensor),
      tls: new LogCopyFormatter(LOG_STREAMS.tls, options.sensor),
      http: new LogCopyFormatter(LOG_STREAMS.http, options.sensor),
      dhcp: new LogCopyFormatter(LOG_STREAMS.dhcp, options.sensor),
      dhcpv6: new LogCopyFormatter(LOG_STREAMS.dhcpv6, options.sensor),
      quic: new LogCopyFormatter(LOG_STREAMS.quic, options.sensor),
      hosts: new LogCopyFormatter(LOG_STREAMS.hosts, options.sensor),
    };
    this.#alerts = new LogCopyFormatter(alertLog, options.sensor);
    this.#spool = new Spool(
      PostgresStore.spoolRoot(options),
      this.path,
      options.spoolBytes ?? DEFAULT_SPOOL_BYTES,
    );
    this.#client = null;
    this.#adopt(client);
  }

  static spoolRoot(options: Pick<PostgresOptions, 'spoolDir'>): string {
    return options.spoolDir ?? join(tmpdir(), 'nta-spool');
  }

  /**
   * Connects and migrates; unreachable servers, bad credentials and missing databases fail here. Batches an
   * earlier run on this database left in the spool are replayed first.
   */
  static async open(url: string, options: PostgresOptions): Promise<PostgresStore> {
    const client = await connectPostgres(url);
    const store = new PostgresStore(url, client, options);
    try {
      await store.#partitions.applyRetention();
      await store.#replayLeftovers();
      await store.#reserveCaptureIds();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw store.#storeError(err);
    }
    return store;
  }

  /** Entries queued in memory plus those waiting in the spool: none of them is in the database yet. */
  get queueDepth(): number {
    return this.#pending.length + this.#spool.entries;
  }

  /** Whether the server is there and how much waits in the spool (for status lines). */
  get spoolStatus(): SpoolStatus {
    return {
      connected: this.#client !== null,
      spooledBatches: this.#spool.entries,
      spooledBytes: this.#spool.bytes,
      replayedBatches: this.#replayed,
    };
  }

  records(capacity: number): Promise<TrafficRecords> {
    return this.#records.take(capacity);
  }

  async startCapture(start: CaptureStart): Promise<number> {
    if (this.#captureIds.length === 0) await this.#whenConnected(() => this.#reserveCaptureIds());
    const id = this.#captureIds.shift()!;
    // Top up while the server is there, so captures can go on starting through an outage.
    if (this.#client !== null) this.#reserveCaptureIds().catch(() => undefined);
    await this.#submit({ kind: 'start', id, sensor: this.#options.sensor, start });
    return id;
  }

  /** Queues `records` (not to be touched afterwards) and returns an empty batch to fill. */
  writeTraffic(records: TrafficRecords, captureId: number): Promise<TrafficRecords> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const batch = this.#traffic.format(records, captureId);
    this.#submit({ ...this.#copyEntry('traffic', TRAFFIC_COPY_COLUMNS, batch), sums: batch.sums }, () =>
      this.#records.give(records),
    ).catch(
      () => undefined, // the failure is kept and reported by the next call
    );
    return this.#records.take(records.capacity);
  }

  writeLogs<S extends LogStream>(stream: S, logs: LogOf<S>[], captureId: number): void {
    if (this.#failure !== undefined) throw this.#failure;
    if (logs.length === 0) return;
    const formatter = this.#logs[stream] as LogCopyFormatter<LogOf<S>>;
    const entry = this.#copyEntry(stream, formatter.columns, formatter.format(logs, captureId));
    const sums = logSums(stream, logs, captureId, this.#options.sensor);
    this.#submit(sums.length === 0 ? entry : { ...entry, sums }).catch(() => undefined);
  }

  /** Alerts go through the queue like logs; a merged duplicate updates its row (see #write). */
  writeAlerts(alerts: AlertLog[], captureId: number): void {
    if (this.#failure !== undefined) throw this.#failure;
    if (alerts.length === 0) return;
    const batch = this.#alerts.format(alerts, captureId);
    this.#submit(this.#copyEntry('alerts', this.#alerts.columns, batch)).catch(() => undefined);
  }

  async loadLearned(): Promise<LearnedEntry[]> {
    let rows: { detector: string; key: string; value: string }[] = [];
    await this.#whenConnected(async () => {
      const res = await this.#client!.query<{ detector: string; key: string; value: string }>(
        'SELECT detector, key, value FROM learned WHERE sensor = $1',
        [this.#options.sensor],
      );
      rows = res.rows;
    });
    return parseLearned(rows);
  }

  /** Queued like the other writes (spooled through an outage); an upsert, so a replay does no harm. */
  async saveLearned(entries: readonly LearnedEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.#submit({
      kind: 'learned',
      sensor: this.#options.sensor,
      updatedAt: new Date().toISOString(),
      rows: entries.map((e) => [e.detector, e.key, JSON.stringify(e.value)] as const),
    });
  }

  /** Resolves once the capture row and everything before it are in the database or in the spool. */
  async finishCapture(captureId: number, end: CaptureEnd): Promise<void> {
    await this.#submit({ kind: 'finish', id: captureId, end });
  }

  /**
   * Waits for the queue to drain; if the server is still away after the grace period, the spool stays on
   * disk for the next run on this database, which replays it.
   */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true; // from now on the pump spools past the bound rather than wait: nothing is dropped
    this.#wakeUp?.();
    await this.#drained();
    if (this.#failure === undefined && this.#spool.entries > 0) {
      const deadline = Date.now() + (this.#options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS);
      while (
        this.#failure === undefined &&
        (this.#spool.entries > 0 || this.#pumping) &&
        Date.now() < deadline
      )
        await new Promise((r) => setTimeout(r, 50));
      await this.#drained();
    }
    this.#closed = true;
    const left = this.#spool.entries;
    if (left > 0 && this.#failure === undefined)
      this.#status(
        `PostgreSQL still unreachable: ${left} batches (${mib(this.#spool.bytes)}) kept in ${this.#spool.dir}; ` +
          `the next run on this database sends them`,
      );
    else this.#spool.removeIfEmpty();
    await this.#client?.end().catch(() => undefined);
    this.#client = null;
    if (this.#failure !== undefined) throw this.#failure;
  }

  #copyEntry(
    table: 'traffic' | LogStream | 'alerts',
    columns: readonly string[],
    batch: CopyBatch,
  ): Extract<SpoolEntry, { kind: 'copy' }> {
    return {
      kind: 'copy',
      writer: this.#writer,
      seq: ++this.#seq,
      table,
      columns,
      text: batch.text,
      rows: batch.rows,
      days: [...batch.days],
    };
  }

  #submit(entry: SpoolEntry, done?: () => void): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#pending.push({
        entry,
        bytes:
          entry.kind === 'copy'
            ? entry.text.length + 512
            : entry.kind === 'learned'
              ? entry.rows.length * 96
              : 1024,
        done: () => {
          done?.();
          resolve();
        },
        failed: reject,
      });
      void this.#pump();
    });
  }

  /**
   * The only writer: spooled entries first, then the queue, each to the database while it is there and to
   * the spool while it is not. A full spool makes the pump wait for the server, and so the reader.
   */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#failure === undefined) {
        if (this.#client !== null && this.#spool.entries > 0) {
          const entry = await this.#spool.peek();
          if (entry !== undefined && !(await this.#write(entry))) continue;
          await this.#spool.shift();
          this.#replayed++;
          if (this.#spool.entries === 0)
            this.#status(`PostgreSQL is back: ${this.#replayed} spooled batches sent`);
          continue;
        }
        const next = this.#pending[0];
        if (next === undefined) break;
        if (this.#client !== null) {
          if (!(await this.#write(next.entry))) continue;
        } else if (this.#spool.fits(next.bytes) || this.#closing) {
          await this.#spool.append(next.entry, next.bytes);
        } else {
          await new Promise<void>((resolve) => (this.#wakeUp = resolve));
          continue;
        }
        this.#pending.shift();
        next.done();
      }
    } catch (err) {
      this.#fail(err);
    } finally {
      this.#pumping = false;
      this.#wakeUp = null;
      const drained = this.#drainWaiters.splice(0);
      for (const w of drained) w();
    }
    if (this.#failure !== undefined) {
      for (const p of this.#pending.splice(0)) p.failed(this.#failure);
    }
  }

  /** Resolves when the pump has done all it can now: the queue is empty, or waits for the server. */
  async #drained(): Promise<void> {
    while (this.#failure === undefined) {
      const work = this.#pending.length > 0 || (this.#client !== null && this.#spool.entries > 0);
      if (!work && !this.#pumping) return;
      const stopped = new Promise<void>((r) => this.#drainWaiters.push(r));
      void this.#pump();
      await stopped;
      if (this.#client === null && !this.#closing) return;
    }
  }

  /** Writes one entry; false when the connection was lost (the entry stays where it was). */
  async #write(entry: SpoolEntry): Promise<boolean> {
    const client = this.#client!;
    try {
      if (entry.kind === 'start') {
        await client.query(
          `INSERT INTO captures (id, sensor, source, format, status, started_at)
           VALUES ($1, $2, $3, $4, 'running', $5) ON CONFLICT (id) DO NOTHING`,
          [entry.id, entry.sensor, entry.start.source, entry.start.format, entry.start.startedAt],
        );
      } else if (entry.kind === 'learned') {
        await client.query(
          `INSERT INTO learned (sensor, detector, key, value, updated_at)
           SELECT $1, d, k, v, $5 FROM unnest($2::text[], $3::text[], $4::text[]) AS t(d, k, v)
           ON CONFLICT (sensor, detector, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
          [
            entry.sensor,
            entry.rows.map((r) => r[0]),
            entry.rows.map((r) => r[1]),
            entry.rows.map((r) => r[2]),
            entry.updatedAt,
          ],
        );
      } else if (entry.kind === 'finish') {
        const e = entry.end;
        await client.query(
          `UPDATE captures SET ended_at = $2, status = $3, error = $4, first_packet = $5, last_packet = $6,
             packets = $7, bytes = $8, ip_packets = $9, malformed = $10, truncated = $11,
             unknown_link_type = $12, dropped = $13, if_dropped = $14, link_types = $15
           WHERE id = $1`,
          [
            entry.id,
            e.endedAt,
            e.status,
            e.error,
            e.firstPacket,
            e.lastPacket,
            e.packets,
            e.bytes,
            e.ipPackets,
            e.malformed,
            e.truncated,
            e.unknownLinkType,
            e.dropped,
            e.ifDropped,
            e.linkTypes,
          ],
        );
      } else if (entry.rows > 0) {
        const upsert = UPSERTS[entry.table];
        if (upsert === undefined)
          await this.#partitions.ensure(
            PARTITIONED_TABLES[entry.table as keyof typeof PARTITIONED_TABLES],
            entry.days,
          );
        await client.query('BEGIN');
        try {
          const mark = await client.query(
            'INSERT INTO ingest_batches (writer, seq, rows) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
            [entry.writer, entry.seq, entry.rows],
          );
          if (mark.rowCount === 1) {
            await copyInto(client, entry.table, entry.columns, entry.text);
            for (const [table, text] of entry.sums ?? [])
              if (text !== '') await copyInto(client, table, SUMS_COPY_COLUMNS[table], text);
          }
          await client.query('COMMIT');
        } catch (err) {
          if (!isConnectionLoss(err)) await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
      }
      return true;
    } catch (err) {
      if (!isConnectionLoss(err) || this.#client !== client) {
        if (this.#client !== client) return false;
        throw err;
      }
      this.#lost(client, err);
      return false;
    }
  }

  #adopt(client: pg.Client): void {
    client.removeAllListeners('error');
    client.on('error', (err) => {
      if (isConnectionLoss(err)) this.#lost(client, err);
      else this.#fail(err);
    });
    this.#client = client;
  }

  /** The connection is gone: spool from now on and reconnect in the background. */
  #lost(client: pg.Client, err: unknown): void {
    if (this.#client !== client) return;
    this.#client = null;
    void client.end().catch(() => undefined);
    this.#status(`PostgreSQL unreachable (${pgReason(err)}); spooling to ${this.#spool.dir}`);
    this.#reconnecting ??= this.#reconnect().finally(() => (this.#reconnecting = null));
  }

  async #reconnect(): Promise<void> {
    let delay = RECONNECT_MIN_MS;
    while (this.#failure === undefined && !this.#closed) {
      await new Promise((r) => setTimeout(r, delay));
      try {
        const client = await connectPostgres(this.#url);
        if (this.#closed) return void (await client.end());
        this.#adopt(client);
        this.#wakeUp?.();
        void this.#pump();
        return;
      } catch (err) {
        if (err instanceof NtaError && err.code === 'NTA_ERR_STORE_SCHEMA') return void this.#fail(err);
        delay = Math.min(delay * 2, RECONNECT_MAX_MS);
      }
    }
  }

  /** Runs `work` once the server is there (waiting through an outage). */
  async #whenConnected(work: () => Promise<void>): Promise<void> {
    for (;;) {
      if (this.#failure !== undefined) throw this.#failure;
      if (this.#client !== null) {
        try {
          return await work();
        } catch (err) {
          if (!isConnectionLoss(err)) throw this.#fail(err);
          this.#lost(this.#client!, err);
        }
      }
      await (this.#reconnecting ?? new Promise((r) => setTimeout(r, RECONNECT_MIN_MS)));
    }
  }

  async #reserveCaptureIds(): Promise<void> {
    const missing = RESERVED_CAPTURE_IDS - this.#captureIds.length;
    if (missing <= 0) return;
    const res = await this.#client!.query<{ id: number }>(
      `SELECT nextval(pg_get_serial_sequence('captures', 'id')) AS id FROM generate_series(1, $1)`,
      [missing],
    );
    this.#captureIds.push(...res.rows.map((r) => r.id));
  }

  /** Replays what earlier runs on this database left in the spool, oldest run first. */
  async #replayLeftovers(): Promise<void> {
    for (const { dir, files } of Spool.leftovers(PostgresStore.spoolRoot(this.#options), this.path)) {
      for (const file of files) {
        const entry = JSON.parse(readFileSync(file, 'utf8')) as SpoolEntry;
        if (!(await this.#write(entry))) throw new NtaError('NTA_ERR_STORE', `${this.path}: connection lost`);
        rmSync(file, { force: true });
      }
      rmSync(dir, { recursive: true, force: true });
      this.#status(`sent ${files.length} batches an earlier run left in ${dir}`);
    }
  }

  #status(message: string): void {
    this.#options.onStatus?.(message);
  }

  #storeError(err: unknown): NtaError {
    if (err instanceof NtaError) return err;
    return new NtaError('NTA_ERR_STORE', `${this.path}: database write failed: ${pgReason(err)}`, {
      cause: err,
    });
  }

  #fail(err: unknown): NtaError {
    this.#failure ??= this.#storeError(err);
    this.#records.fail(this.#failure);
    this.#wakeUp?.();
    return this.#failure;
  }
}

function mib(bytes: number): string {
  return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}
