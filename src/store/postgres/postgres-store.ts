import { finished } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { NtaError } from '../../core/errors.js';
import type { CaptureEnd, CaptureStart } from '../../schema/captures.js';
import { connLog, type ConnLog } from '../../schema/conn.js';
import { TrafficRecords } from '../../schema/traffic.js';
import type { Store } from '../store.js';
import { connectPostgres, pgReason, redactUrl } from './connect.js';
import { LogCopyFormatter, TRAFFIC_COPY_COLUMNS, TrafficCopyFormatter, type CopyBatch } from './copy-text.js';
import { PARTITIONED_TABLES, Partitions, type PartitionedTable } from './partitions.js';

export interface PostgresOptions {
  /** Written into every row: which sensor saw it. */
  readonly sensor: string;
  /** Daily partitions older than this many days are dropped; null keeps everything. */
  readonly retentionDays: number | null;
}

/** Record batches alive at once (being filled, queued, being copied): bounds the memory in flight. */
const MAX_RECORD_BATCHES = 4;

/**
 * The PostgreSQL store. Writes are COPYs run one after another from an async queue on the main thread:
 * the `pg` client does its network I/O without blocking, so the packet path only pays for turning a
 * batch into COPY text (about as much as SQLite's worker pays for binding), and a worker thread would
 * add a second connection protocol for little gain. At most MAX_RECORD_BATCHES record batches exist; when
 * all are queued, records()/writeTraffic() wait, which is the backpressure on the reader. One connection
 * and one queue keep the order: a capture is finalized only after all of its rows are stored.
 */
export class PostgresStore implements Store {
  readonly path: string;
  readonly #client: pg.Client;
  readonly #partitions: Partitions;
  readonly #traffic: TrafficCopyFormatter;
  readonly #flows: LogCopyFormatter<ConnLog>;
  readonly #sensor: string;
  readonly #spare: TrafficRecords[] = [];
  readonly #waiting: { resolve: (r: TrafficRecords) => void; reject: (e: NtaError) => void }[] = [];
  #allocated = 0;
  #tail: Promise<unknown> = Promise.resolve();
  #failure: NtaError | undefined;
  #closed = false;

  private constructor(url: string, client: pg.Client, options: PostgresOptions) {
    this.path = redactUrl(url);
    this.#client = client;
    this.#sensor = options.sensor;
    this.#partitions = new Partitions(client, options.retentionDays);
    this.#traffic = new TrafficCopyFormatter(options.sensor);
    this.#flows = new LogCopyFormatter<ConnLog>(connLog, options.sensor);
    client.removeAllListeners('error');
    client.on('error', (err) => this.#fail(err));
  }

  /** Connects and migrates; unreachable servers, bad credentials and missing databases fail here. */
  static async open(url: string, options: PostgresOptions): Promise<PostgresStore> {
    const client = await connectPostgres(url);
    const store = new PostgresStore(url, client, options);
    try {
      await store.#partitions.applyRetention();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw store.#storeError(err);
    }
    return store;
  }

  records(capacity: number): Promise<TrafficRecords> {
    return this.#take(capacity);
  }

  startCapture(start: CaptureStart): Promise<number> {
    return this.#enqueue(async () => {
      const res = await this.#client.query<{ id: number }>(
        `INSERT INTO captures (sensor, source, format, status, started_at)
         VALUES ($1, $2, $3, 'running', $4) RETURNING id`,
        [this.#sensor, start.source, start.format, start.startedAt],
      );
      return res.rows[0]!.id;
    });
  }

  /** Queues `records` (not to be touched afterwards) and returns an empty batch to fill. */
  writeTraffic(records: TrafficRecords, captureId: number): Promise<TrafficRecords> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    void this.#enqueue(async () => {
      let batch: CopyBatch;
      try {
        batch = this.#traffic.format(records, captureId);
      } finally {
        this.#release(records);
      }
      await this.#copy(PARTITIONED_TABLES.traffic, TRAFFIC_COPY_COLUMNS, batch);
    }).catch(() => undefined); // the failure is kept and reported by the next call
    return this.#take(records.capacity);
  }

  writeFlows(logs: ConnLog[], captureId: number): void {
    if (this.#failure !== undefined) throw this.#failure;
    if (logs.length === 0) return;
    void this.#enqueue(() =>
      this.#copy(PARTITIONED_TABLES.flows, this.#flows.columns, this.#flows.format(logs, captureId)),
    ).catch(() => undefined);
  }

  finishCapture(captureId: number, end: CaptureEnd): Promise<void> {
    return this.#enqueue(async () => {
      await this.#client.query(
        `UPDATE captures SET ended_at = $2, status = $3, error = $4, first_packet = $5, last_packet = $6,
           packets = $7, bytes = $8, ip_packets = $9, malformed = $10, truncated = $11,
           unknown_link_type = $12, dropped = $13, if_dropped = $14, link_types = $15
         WHERE id = $1`,
        [
          captureId,
          end.endedAt,
          end.status,
          end.error,
          end.firstPacket,
          end.lastPacket,
          end.packets,
          end.bytes,
          end.ipPackets,
          end.malformed,
          end.truncated,
          end.unknownLinkType,
          end.dropped,
          end.ifDropped,
          end.linkTypes,
        ],
      );
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#tail.catch(() => undefined);
    await this.#client.end().catch(() => undefined);
    if (this.#failure !== undefined) throw this.#failure;
  }

  async #copy(table: PartitionedTable, columns: readonly string[], batch: CopyBatch): Promise<void> {
    if (batch.rows === 0) return;
    await this.#partitions.ensure(table, batch.days);
    const stream = this.#client.query(copyFrom(`COPY ${table.name} (${columns.join(', ')}) FROM STDIN`));
    stream.end(batch.text);
    await finished(stream);
  }

  /** Runs `task` after every task queued before it; after a failure, nothing more runs. */
  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(async () => {
      if (this.#failure !== undefined) throw this.#failure;
      try {
        return await task();
      } catch (err) {
        throw this.#fail(err);
      }
    });
    this.#tail = run.catch(() => undefined);
    return run;
  }

  #take(capacity: number): Promise<TrafficRecords> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const spare = this.#spare.pop();
    if (spare !== undefined) {
      spare.count = 0;
      return Promise.resolve(spare);
    }
    if (this.#allocated < MAX_RECORD_BATCHES) {
      this.#allocated++;
      return Promise.resolve(new TrafficRecords(capacity));
    }
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  #release(records: TrafficRecords): void {
    records.count = 0;
    const waiter = this.#waiting.shift();
    if (waiter !== undefined) waiter.resolve(records);
    else this.#spare.push(records);
  }

  #storeError(err: unknown): NtaError {
    if (err instanceof NtaError) return err;
    return new NtaError('NTA_ERR_STORE', `${this.path}: database write failed: ${pgReason(err)}`, {
      cause: err,
    });
  }

  #fail(err: unknown): NtaError {
    this.#failure ??= this.#storeError(err);
    for (const w of this.#waiting) w.reject(this.#failure);
    this.#waiting.length = 0;
    return this.#failure;
  }
}
