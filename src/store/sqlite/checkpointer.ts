import { Worker } from 'node:worker_threads';

/** How often the checkpointer copies the WAL's new frames into the database file. */
export const CHECKPOINT_EVERY_MS = 200;
/** How long closing waits for a checkpoint under way to end (its thread is stopped after that anyway). */
const STOP_WAIT_MS = 5_000;
/** Slots of the shared state: the writer sets STOP, the checkpointer thread sets DONE when it has ended. */
export const STOP = 0;
export const DONE = 1;

export interface CheckpointerData {
  readonly path: string;
  readonly state: SharedArrayBuffer;
}

/**
 * Checkpoints a WAL database from a thread of its own while one writer fills it. Copying the WAL into the
 * database file (and its fsync) otherwise runs on the writer at every automatic checkpoint and at close:
 * 0.4 s of the writer's 3 s for the 2M-packet capture's traffic table, most of it waiting on the disk.
 * The writer keeps its automatic checkpoint as the bound on the WAL's size: PASSIVE checkpoints from here
 * leave it only the frames written since the last one.
 */
export class Checkpointer {
  readonly #flags = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
  readonly #thread: Worker;

  constructor(path: string) {
    const data: CheckpointerData = { path, state: this.#flags.buffer as SharedArrayBuffer };
    this.#thread = new Worker(new URL('./checkpointer-thread.js', import.meta.url), { workerData: data });
    this.#thread.unref();
    // A thread that fails has already marked itself done; the writer's own checkpoints take over.
    this.#thread.on('error', () => undefined);
  }

  /** Stops the thread and waits (synchronously: the writer is closing) for its last checkpoint to end. */
  stop(): void {
    Atomics.store(this.#flags, STOP, 1);
    Atomics.notify(this.#flags, STOP);
    Atomics.wait(this.#flags, DONE, 0, STOP_WAIT_MS);
    void this.#thread.terminate();
  }
}
