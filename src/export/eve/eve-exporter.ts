/**
 * `--eve FILE`: flows, dns, tls, http and alerts as EVE JSON lines. The pipeline hands over finished records
 * (an array push each, on the packet path); they are shaped, serialised and appended in batches off it:
 * when enough are pending, at least once a second, and at the end. A producer faster than the disk is
 * held back at batch boundaries (afterBatch), never per packet.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { NtaError } from '../../core/errors.js';
import type { AlertLog } from '../../schema/alert.js';
import type { ConnLog } from '../../schema/conn.js';
import type { LogOf, LogStream } from '../../schema/streams.js';
import { eveAlert, eveDns, eveFlow, eveHttp, eveTls, type EveRecord } from './eve-record.js';
import { RotatingFile, type RotationOptions } from './rotating-file.js';

/** Pending records are written at least this often (a quiet live capture still shows up in the file). */
export const EVE_FLUSH_MS = 1000;
/** Pending records that start a write without waiting for the timer. */
const FLUSH_RECORDS = 4096;
/** Records handed to the file and not written yet beyond which afterBatch makes the pipeline wait. */
const MAX_QUEUED_RECORDS = 65_536;

type Pending =
  | { readonly kind: 'flow'; readonly log: ConnLog }
  | { readonly kind: 'dns'; readonly log: LogOf<'dns'> }
  | { readonly kind: 'tls'; readonly log: LogOf<'tls'> }
  | { readonly kind: 'http'; readonly log: LogOf<'http'> }
  | { readonly kind: 'alert'; readonly log: AlertLog };

/** Streams of the pipeline's onAppLog that have an EVE event type. */
const EVE_APP_STREAMS = new Set<string>(['dns', 'tls', 'http']);

export interface EveExportStats {
  readonly path: string;
  /** Lines written (a DNS transaction is a request and a response line). */
  readonly records: number;
  readonly rotations: number;
}

export class EveExporter {
  readonly #file: RotatingFile;
  readonly #timer: NodeJS.Timeout;
  #pending: Pending[] = [];
  #queued = 0;
  #records = 0;
  #writing: Promise<void> = Promise.resolve();
  #error: NtaError | null = null;
  #closed: Promise<EveExportStats> | null = null;

  private constructor(file: RotatingFile) {
    this.#file = file;
    this.#timer = setInterval(() => this.#flush(), EVE_FLUSH_MS);
    this.#timer.unref();
  }

  /** Opens the file at setup: `-` or a path that cannot be written is one clear line. */
  static open(path: string, rotation: RotationOptions): EveExporter {
    if (path === '-')
      throw new NtaError(
        'NTA_ERR_USAGE',
        '--eve -: EVE records go to a file (standard output carries the packet lines); give a path',
      );
    const dir = dirname(path);
    if (!existsSync(dir)) throw new NtaError('NTA_ERR_IO', `--eve ${path}: directory ${dir} does not exist`);
    try {
      return new EveExporter(new RotatingFile(path, rotation));
    } catch (err) {
      throw new NtaError('NTA_ERR_IO', `--eve ${path}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** For the pipeline's onFlow. */
  readonly flow = (log: ConnLog): void => {
    this.#add({ kind: 'flow', log });
  };

  /** For the pipeline's onAppLog: dns, tls and http records (other streams have no EVE type here). */
  readonly app = <S extends LogStream>(stream: S, log: LogOf<S>): void => {
    if (EVE_APP_STREAMS.has(stream)) this.#add({ kind: stream, log } as Pending);
  };

  readonly alert = (log: AlertLog): void => {
    this.#add({ kind: 'alert', log });
  };

  /**
   * Called after each packet batch: a promise (wait for it) when the disk is behind; throws once a write
   * failed, which ends the run as a failing store does.
   */
  afterBatch(): Promise<void> | undefined {
    if (this.#error !== null) throw this.#error;
    if (this.#queued + this.#pending.length <= MAX_QUEUED_RECORDS) return undefined;
    this.#flush();
    return this.#writing;
  }

  /** Writes everything pending and closes the file; once. Rejects when a write failed. */
  close(): Promise<EveExportStats> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<EveExportStats> {
    clearInterval(this.#timer);
    this.#flush();
    await this.#writing;
    this.#file.close();
    if (this.#error !== null) throw this.#error;
    return { path: this.#file.path, records: this.#records, rotations: this.#file.rotations };
  }

  #add(p: Pending): void {
    this.#pending.push(p);
    if (this.#pending.length >= FLUSH_RECORDS) this.#flush();
  }

  /** Queues what is pending for one write after those queued before it. */
  #flush(): void {
    if (this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    this.#queued += batch.length;
    this.#writing = this.#writing.then(async () => {
      try {
        if (this.#error !== null) return;
        const lines = toLines(batch);
        await this.#file.write(lines);
        this.#records += lines.length;
      } catch (err) {
        // Disk full, file removed under a read-only mount…: the run ends at the next batch (afterBatch).
        this.#error ??= new NtaError('NTA_ERR_STORE', `--eve ${this.#file.path}: ${(err as Error).message}`, {
          cause: err,
        });
      } finally {
        this.#queued -= batch.length;
      }
    });
  }
}

function toLines(batch: readonly Pending[]): string[] {
  const records: EveRecord[] = [];
  for (const p of batch) {
    switch (p.kind) {
      case 'flow':
        records.push(eveFlow(p.log));
        break;
      case 'dns':
        eveDns(p.log, records);
        break;
      case 'tls':
        records.push(eveTls(p.log));
        break;
      case 'http':
        records.push(eveHttp(p.log));
        break;
      case 'alert':
        records.push(eveAlert(p.log));
        break;
    }
  }
  return records.map((r) => JSON.stringify(r) + '\n');
}
