/**
 * One bounded, asynchronous queue per alert destination (webhook, syslog): `push` never waits, so the
 * packet path never blocks on a slow or absent receiver. Messages leave in order, one at a time; a failed
 * one is retried with exponential back-off, then given up. When the queue is full the oldest waiting
 * message is dropped. Each outcome is counted for the end summary.
 */

/** Delivers one message, or rejects; `signal` aborts it when the queue gives up at close. */
export interface Transport {
  /** The destination as the user wrote it (summary lines, warnings). */
  readonly target: string;
  send(message: string, signal: AbortSignal): Promise<void>;
  close(): void;
}

/** A failure that retrying cannot cure (an HTTP 4xx): the message is given up at once. */
export class PermanentDeliveryError extends Error {
  override readonly name = 'PermanentDeliveryError';
}

export interface DeliveryStats {
  readonly output: 'webhook' | 'syslog';
  readonly target: string;
  /** Messages the receiver accepted (HTTP 2xx; syslog: handed to the socket). */
  readonly sent: number;
  /** Messages given up after the last retry, refused for good, or still unsent when the drain time ran out. */
  readonly failed: number;
  /** Messages dropped unsent because the queue was full (the oldest go first). */
  readonly dropped: number;
}

export interface DeliveryQueueOptions {
  /** Messages waiting at most (the one being sent not included). */
  readonly capacity?: number;
  /** Attempts per message, the first included. */
  readonly attempts?: number;
  /** Delay before the first retry; it doubles with each retry, up to maxRetryMs. */
  readonly firstRetryMs?: number;
  readonly maxRetryMs?: number;
  /** One line when delivery starts failing (not for each retry), and when it works again. */
  readonly warn?: (line: string) => void;
}

export const DELIVERY_DEFAULTS = {
  capacity: 1000,
  attempts: 8,
  firstRetryMs: 250,
  maxRetryMs: 10_000,
} as const;

/** How long a run that ends waits for waiting messages to leave, at most. */
export const DRAIN_MS = 10_000;

export class DeliveryQueue {
  readonly #output: DeliveryStats['output'];
  readonly #transport: Transport;
  readonly #capacity: number;
  readonly #attempts: number;
  readonly #firstRetryMs: number;
  readonly #maxRetryMs: number;
  readonly #warn: (line: string) => void;
  readonly #waiting: string[] = [];
  readonly #abort = new AbortController();
  #running: Promise<void> = Promise.resolve();
  /** Set while #run works through the queue: cleared in the same step that finds the queue empty. */
  #busy = false;
  #retryTimer: NodeJS.Timeout | null = null;
  #wakeRetry: (() => void) | null = null;
  #failing = false;
  #closed = false;
  #sent = 0;
  #failed = 0;
  #dropped = 0;

  constructor(output: DeliveryStats['output'], transport: Transport, opts: DeliveryQueueOptions = {}) {
    this.#output = output;
    this.#transport = transport;
    this.#capacity = opts.capacity ?? DELIVERY_DEFAULTS.capacity;
    this.#attempts = opts.attempts ?? DELIVERY_DEFAULTS.attempts;
    this.#firstRetryMs = opts.firstRetryMs ?? DELIVERY_DEFAULTS.firstRetryMs;
    this.#maxRetryMs = opts.maxRetryMs ?? DELIVERY_DEFAULTS.maxRetryMs;
    this.#warn = opts.warn ?? (() => {});
  }

  get stats(): DeliveryStats {
    return {
      output: this.#output,
      target: this.#transport.target,
      sent: this.#sent,
      failed: this.#failed,
      dropped: this.#dropped,
    };
  }

  /** Queues a message and returns at once. */
  push(message: string): void {
    if (this.#closed) return;
    if (this.#waiting.length >= this.#capacity) {
      this.#waiting.shift();
      this.#dropped++;
    }
    this.#waiting.push(message);
    if (!this.#busy) {
      this.#busy = true;
      this.#running = this.#run();
    }
  }

  /**
   * Waits up to `drainMs` for the waiting messages to leave (retries included), then gives up on the rest
   * (counted as failed) and closes the transport.
   */
  async close(drainMs = DRAIN_MS): Promise<DeliveryStats> {
    if (!this.#closed) {
      this.#closed = true;
      if (this.#busy) {
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, drainMs);
        });
        await Promise.race([this.#running, deadline]);
        clearTimeout(timer);
        // Out of time: abandon what is still waiting, cut the back-off short and abort the attempt.
        this.#failed += this.#waiting.length;
        this.#waiting.length = 0;
        this.#abort.abort();
        if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
        this.#wakeRetry?.();
        await this.#running;
      }
      this.#transport.close();
    }
    return this.stats;
  }

  async #run(): Promise<void> {
    try {
      for (let m = this.#waiting.shift(); m !== undefined; m = this.#waiting.shift()) await this.#deliver(m);
    } finally {
      this.#busy = false;
    }
  }

  async #deliver(message: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (this.#abort.signal.aborted) {
        this.#failed++;
        return;
      }
      try {
        await this.#transport.send(message, this.#abort.signal);
        this.#sent++;
        if (this.#failing) {
          this.#failing = false;
          this.#warn(`${this.#output} ${this.#transport.target}: delivering again`);
        }
        return;
      } catch (err) {
        const permanent = err instanceof PermanentDeliveryError;
        if (!this.#failing && !this.#abort.signal.aborted) {
          this.#failing = true;
          const what = permanent ? 'refused an alert' : 'retrying';
          this.#warn(`${this.#output} ${this.#transport.target}: ${errorText(err)}; ${what}`);
        }
        if (permanent || attempt >= this.#attempts || this.#abort.signal.aborted) {
          this.#failed++;
          return;
        }
      }
      await this.#backOff(Math.min(this.#maxRetryMs, this.#firstRetryMs * 2 ** (attempt - 1)));
    }
  }

  #backOff(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wakeRetry = resolve;
      this.#retryTimer = setTimeout(() => {
        this.#retryTimer = null;
        this.#wakeRetry = null;
        resolve();
      }, ms);
    });
  }
}

/** The innermost reason: fetch reports `fetch failed` with the socket error (ECONNREFUSED…) as its cause. */
export function errorText(err: unknown): string {
  let e = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    return code !== undefined && !e.message.includes(code) ? `${code} ${e.message}` : e.message;
  }
  return String(e);
}
