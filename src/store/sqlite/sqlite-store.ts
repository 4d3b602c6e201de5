import { Worker } from 'node:worker_threads';
import { NtaError } from '../../core/errors.js';
import type { CaptureEnd, CaptureStart } from '../../schema/captures.js';
import type { AlertLog } from '../../schema/alert.js';
import type { LearnedEntry } from '../../schema/learned.js';
import type { LogOf, LogStream } from '../../schema/streams.js';
import { TrafficRecords } from '../../schema/traffic.js';
import { RecordPool } from '../record-pool.js';
import type { Store } from '../store.js';
import type { FromWorker, RetentionSetting, ToWorker } from './worker-protocol.js';

export const DEFAULT_DB_PATH = 'network_traffic.db';
/** Record batches alive at once (being filled, queued, being written): bounds the memory in flight. */
const MAX_RECORD_BATCHES = 4;
const WRITER_YOUNG_GENERATION_MB = 4;

/**
 * The SQLite store as the pipeline sees it: every write goes to a worker thread (writer-worker.ts), so
 * inserting overlaps with decoding. Record batches are transferred, not copied, and come back for reuse.
 */
export class SqliteStore implements Store {
  readonly path: string;
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: NtaError) => void }>();
  readonly #records = new RecordPool(MAX_RECORD_BATCHES);
  #seq = 0;
  #queued = 0;
  #failure: NtaError | undefined;

  private constructor(path: string) {
    this.path = path;
    // A small young generation: the writer's garbage is each batch's short-lived row values, and V8's default
    // semi-spaces kept ~30 MB more resident for no speed (2M-packet traffic load: 164 -> 133-140 MB peak).
    this.#worker = new Worker(new URL('./writer-worker.js', import.meta.url), {
      resourceLimits: { maxYoungGenerationSizeMb: WRITER_YOUNG_GENERATION_MB },
    });
    this.#worker.on('message', (msg: FromWorker) => this.#onMessage(msg));
    this.#worker.on('error', (err) =>
      this.#fail(new NtaError('NTA_ERR_STORE', `database writer crashed: ${err.message}`)),
    );
    this.#worker.on('exit', () => this.#fail(new NtaError('NTA_ERR_STORE', 'database writer exited')));
  }

  /**
   * Opens (creating or migrating) the database; schema and file errors surface here, before any read.
   * `bulkLoad`: capture files are read into it (secondary indexes of empty tables are built at close).
   * `retention`: rows older than it are deleted at the open and at each new UTC day (retention.ts).
   */
  static async open(
    path: string,
    options: { bulkLoad?: boolean | undefined; retention?: RetentionSetting | undefined } = {},
  ): Promise<SqliteStore> {
    const store = new SqliteStore(path);
    try {
      await store.#request({
        op: 'open',
        seq: 0,
        path,
        bulkLoad: options.bulkLoad === true,
        retention: options.retention ?? null,
      });
    } catch (err) {
      await store.#worker.terminate();
      throw err;
    }
    return store;
  }

  get queueDepth(): number {
    return this.#queued;
  }

  /** An empty batch to fill. */
  async records(capacity: number): Promise<TrafficRecords> {
    return this.#records.take(capacity);
  }

  async startCapture(start: CaptureStart): Promise<number> {
    return (await this.#request({ op: 'startCapture', seq: 0, start })) as number;
  }

  /** Hands `records` to the writer (it must not be touched afterwards) and returns an empty batch to fill. */
  async writeTraffic(records: TrafficRecords, captureId: number): Promise<TrafficRecords> {
    if (this.#failure !== undefined) throw this.#failure;
    this.#queued++;
    this.#post(
      { op: 'traffic', buffer: records.buffer, capacity: records.capacity, count: records.count, captureId },
      [records.buffer],
    );
    return this.#records.take(records.capacity);
  }

  /** Posts finished records to the writer (structured clone: they are plain objects). */
  writeLogs<S extends LogStream>(stream: S, logs: LogOf<S>[], captureId: number): void {
    if (this.#failure !== undefined) throw this.#failure;
    if (logs.length === 0) return;
    this.#queued++;
    this.#post({ op: 'logs', stream, logs, captureId });
  }

  /** Posts new and updated alerts (upserted by id, in order with the other writes). */
  writeAlerts(alerts: AlertLog[], captureId: number): void {
    if (this.#failure !== undefined) throw this.#failure;
    if (alerts.length === 0) return;
    this.#queued++;
    this.#post({ op: 'alerts', alerts, captureId });
  }

  async loadLearned(): Promise<LearnedEntry[]> {
    return (await this.#request({ op: 'loadLearned', seq: 0 })) as LearnedEntry[];
  }

  async saveLearned(entries: readonly LearnedEntry[]): Promise<void> {
    await this.#request({ op: 'saveLearned', seq: 0, entries });
  }

  async finishCapture(captureId: number, end: CaptureEnd): Promise<void> {
    await this.#request({ op: 'finishCapture', seq: 0, captureId, end });
  }

  async close(): Promise<void> {
    if (this.#failure === undefined) await this.#request({ op: 'close', seq: 0 });
    await this.#worker.terminate();
  }

  #request(msg: Extract<ToWorker, { seq: number }>): Promise<unknown> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const seq = ++this.#seq;
    return new Promise((resolve, reject) => {
      this.#pending.set(seq, { resolve, reject });
      this.#post({ ...msg, seq });
    });
  }

  #post(msg: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.#worker.postMessage(msg, transfer);
  }

  #onMessage(msg: FromWorker): void {
    switch (msg.op) {
      case 'reply': {
        const p = this.#pending.get(msg.seq);
        this.#pending.delete(msg.seq);
        p?.resolve(msg.value);
        break;
      }
      case 'done':
        this.#queued--;
        break;
      case 'records': {
        this.#queued--;
        this.#records.give(new TrafficRecords(msg.capacity, msg.buffer));
        break;
      }
      case 'error': {
        const err = new NtaError(msg.code, `${this.path}: ${msg.message}`);
        if (msg.seq !== null && this.#pending.has(msg.seq)) {
          const p = this.#pending.get(msg.seq)!;
          this.#pending.delete(msg.seq);
          p.reject(err);
        }
        this.#fail(err);
        break;
      }
    }
  }

  #fail(err: NtaError): void {
    if (this.#failure === undefined) {
      this.#failure = err;
      // The writer is of no more use, and a live worker would keep the process from exiting.
      void this.#worker.terminate();
    }
    for (const p of this.#pending.values()) p.reject(this.#failure);
    this.#pending.clear();
    this.#records.fail(this.#failure);
  }
}
