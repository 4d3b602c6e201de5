/**
 * A hang never returns to the fuzz loop, so a worker thread watches it: the loop copies each input into
 * shared memory and bumps a counter; when the counter stands still past the budget, the worker saves the
 * input as a crash and kills the process.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker, isMainThread, workerData } from 'node:worker_threads';
import { MAX_INPUT, crashFileName } from './engine.js';

interface WatchdogData {
  readonly shared: SharedArrayBuffer;
  readonly budgetMs: number;
  readonly dir: string;
}

/** Header words: [iteration counter, input length]. */
const HEADER = 8;

export class Watchdog {
  readonly #worker: Worker;
  readonly #header: Int32Array;
  readonly #bytes: Uint8Array;

  constructor(budgetMs: number, dir: string) {
    const shared = new SharedArrayBuffer(HEADER + MAX_INPUT);
    this.#header = new Int32Array(shared, 0, 2);
    this.#bytes = new Uint8Array(shared, HEADER);
    const data: WatchdogData = { shared, budgetMs, dir };
    this.#worker = new Worker(new URL(import.meta.url), { workerData: data });
    this.#worker.unref();
  }

  beforeRun(input: Uint8Array): void {
    this.#bytes.set(input);
    Atomics.store(this.#header, 1, input.length);
    Atomics.add(this.#header, 0, 1);
  }

  close(): Promise<number> {
    return this.#worker.terminate();
  }
}

if (!isMainThread) {
  const { shared, budgetMs, dir } = workerData as WatchdogData;
  const header = new Int32Array(shared, 0, 2);
  const bytes = new Uint8Array(shared, HEADER);
  let last = -1;
  let since = Date.now();
  setInterval(
    () => {
      const now = Date.now();
      const counter = Atomics.load(header, 0);
      if (counter !== last) {
        last = counter;
        since = now;
        return;
      }
      if (counter === 0 || now - since < budgetMs) return;
      const input = bytes.slice(0, Atomics.load(header, 1));
      mkdirSync(dir, { recursive: true });
      const file = join(dir, crashFileName(input));
      writeFileSync(file, input);
      process.stderr.write(`fuzz: hang (no progress for ${now - since} ms); input written to ${file}\n`);
      process.kill(process.pid, 'SIGKILL');
    },
    Math.max(50, budgetMs / 10),
  );
}
