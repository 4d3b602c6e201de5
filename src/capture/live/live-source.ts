import { endianness } from 'node:os';
import { Worker } from 'node:worker_threads';
import { NtaError, NTA_ERROR_CODES, type NtaErrorCode } from '../../core/errors.js';
import {
  DEFAULT_BATCH_CAPACITY,
  PacketBatch,
  type PacketSource,
  type SourceInfo,
  type SourceStats,
} from '../packet-batch.js';
import { LIVE_ERR } from './libpcap.js';
import {
  CTRL_FREED,
  CTRL_SLOT0,
  CTRL_STOP,
  RECORD_HEADER_BYTES,
  SLOT_FREE,
  type CaptureCounters,
  type FromCaptureWorker,
  type WorkerConfig,
} from './worker-protocol.js';

/** tcpdump's default: whole packets on any link nta knows. */
export const DEFAULT_SNAPLEN = 262144;
/**
 * Kernel ring size. It is what absorbs a pause of the decoder (a major garbage collection of a heap of a few
 * hundred MB can stop the main thread for a few tens of ms): 64 MB holds about 1.3 s of 500-byte packets at
 * 100k packets/s, where 16 MB lost packets in a one-hour soak. Zeek's AF_PACKET default is 128 MB.
 */
export const DEFAULT_BUFFER_MB = 64;
/** How long the kernel may sit on packets before handing them over (the latency of the console lines). */
export const DEFAULT_TIMEOUT_MS = 100;
/** Buffers in flight between the capture worker and the decoder: the user-space backlog. */
export const DEFAULT_SLOTS = 8;
const DEFAULT_SLOT_BYTES = 4 << 20;
/** An empty batch at least this often while idle, so the pipeline sees Ctrl-C and time limits. */
const IDLE_BATCH_MS = 100;
const STOP_TIMEOUT_MS = 3000;

export interface LiveCaptureOptions {
  /** Device name as libpcap knows it (see `nta interfaces`). */
  readonly iface: string;
  /** BPF expression in libpcap's syntax, or null/undefined for everything. */
  readonly filter?: string | null | undefined;
  readonly snaplen?: number | undefined;
  readonly promisc?: boolean | undefined;
  /** Kernel capture buffer in MiB (pcap_set_buffer_size, tcpdump's -B in KiB). */
  readonly bufferMB?: number | undefined;
  readonly timeoutMs?: number | undefined;
  /** Deliver each packet as soon as it arrives (pcap_set_immediate_mode); costs CPU at high rates. */
  readonly immediate?: boolean | undefined;
  /** Packets per batch handed to the decoder. */
  readonly batchCapacity?: number | undefined;
  readonly slots?: number | undefined;
  readonly slotBytes?: number | undefined;
}

/** SourceStats plus what only a live capture knows. */
export interface LiveStats extends SourceStats {
  /** ps_recv: packets the kernel passed the filter (may count packets not yet read). */
  received: number;
  /**
   * Packets the worker reported that did not fit their buffer: never expected. A decoder that falls behind
   * makes the worker wait, and what the kernel ring cannot hold meanwhile shows in `dropped`.
   */
  behindDropped: number;
}

export interface LiveInfo extends SourceInfo {
  readonly linkType: number;
  readonly snaplen: number;
  readonly nanoseconds: boolean;
  readonly filter: string | null;
  /** Warning from pcap_activate (e.g. promiscuous mode not supported), or null. */
  readonly warning: string | null;
  /** `dump` (libpcap writes into shared memory) or `copy` (one FFI copy per packet). */
  readonly method: 'dump' | 'copy';
}

type SlotMessage = Extract<FromCaptureWorker, { type: 'slot' }>;

/**
 * Opens a live capture. Everything that can fail before the first packet (no libpcap, no such device, no
 * permission, a bad filter) rejects with a one-line NtaError; nothing is captured until it resolves.
 */
export async function openLiveCapture(opts: LiveCaptureOptions): Promise<LiveSource> {
  const source = new LiveSource(opts);
  await source.ready();
  return source;
}

export class LiveSource implements PacketSource {
  info: LiveInfo;
  readonly stats: LiveStats = {
    bytesRead: 0,
    frames: 0,
    dropped: 0,
    ifDropped: 0,
    received: 0,
    behindDropped: 0,
  };
  readonly #worker: Worker;
  readonly #ctrl: Int32Array;
  readonly #batches: PacketBatch[];
  readonly #views: DataView[];
  readonly #empty = new PacketBatch(1);
  readonly #queue: SlotMessage[] = [];
  readonly #le = endianness() === 'LE';
  #wake: (() => void) | null = null;
  #ready: Promise<void>;
  #stopped: Promise<void>;
  #ended = false;
  #error: string | null = null;
  #nanoseconds = false;
  #linkType = 1;

  constructor(opts: LiveCaptureOptions) {
    const snaplen = opts.snaplen ?? DEFAULT_SNAPLEN;
    const capacity = opts.batchCapacity ?? DEFAULT_BATCH_CAPACITY;
    const slotCount = opts.slots ?? DEFAULT_SLOTS;
    const slotBytes = Math.max(opts.slotBytes ?? DEFAULT_SLOT_BYTES, 2 * (RECORD_HEADER_BYTES + snaplen));
    const slots = Array.from({ length: slotCount }, () => new SharedArrayBuffer(slotBytes));
    const ctrl = new SharedArrayBuffer(4 * (CTRL_SLOT0 + slotCount));
    this.#ctrl = new Int32Array(ctrl);
    this.#views = slots.map((s) => new DataView(s));
    this.#batches = slots.map((s) => {
      const b = new PacketBatch(capacity);
      b.data = new Uint8Array(s);
      return b;
    });
    const filter =
      opts.filter === undefined || opts.filter === null || opts.filter.trim() === '' ? null : opts.filter;
    this.info = {
      name: opts.iface,
      format: 'live',
      linkType: 1,
      snaplen,
      nanoseconds: false,
      filter,
      warning: null,
      method: 'dump',
    };
    const config: WorkerConfig = {
      iface: opts.iface,
      filter,
      snaplen,
      promisc: opts.promisc ?? true,
      bufferBytes: Math.round((opts.bufferMB ?? DEFAULT_BUFFER_MB) * 1024 * 1024),
      timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      immediate: opts.immediate ?? false,
      ctrl,
      slots,
      maxPacketsPerSlot: capacity,
    };
    this.#worker = new Worker(new URL('./capture-worker.js', import.meta.url), { workerData: config });
    let readyResolve!: () => void;
    let readyReject!: (err: Error) => void;
    this.#ready = new Promise<void>((resolve, reject) => {
      readyResolve = resolve;
      readyReject = reject;
    });
    let stoppedResolve!: () => void;
    this.#stopped = new Promise<void>((resolve) => (stoppedResolve = resolve));
    const end = (error: string | null): void => {
      if (!this.#ended) {
        this.#ended = true;
        this.#error = error;
      }
      stoppedResolve();
      this.#notify();
    };
    this.#worker.on('message', (msg: FromCaptureWorker) => {
      switch (msg.type) {
        case 'ready':
          this.#linkType = msg.linkType;
          this.#nanoseconds = msg.nanoseconds;
          this.info = {
            ...this.info,
            linkType: msg.linkType,
            snaplen: msg.snaplen,
            nanoseconds: msg.nanoseconds,
            warning: msg.warning,
            method: msg.method,
          };
          readyResolve();
          break;
        case 'error':
          readyReject(new NtaError(asCode(msg.code), msg.message));
          end(msg.message);
          break;
        case 'slot':
          this.#counters(msg.counters);
          this.#queue.push(msg);
          this.#notify();
          break;
        case 'stopped':
          this.#counters(msg.counters);
          end(msg.error);
          break;
      }
    });
    this.#worker.on('error', (err) => {
      const e = new NtaError(LIVE_ERR.capture, `${opts.iface}: capture thread failed: ${err.message}`, {
        cause: err,
      });
      readyReject(e);
      end(e.message);
    });
    this.#worker.on('exit', () => {
      readyReject(new NtaError(LIVE_ERR.capture, `${opts.iface}: capture thread exited`));
      end(this.#error);
    });
  }

  /** Resolves once the device is open and filtering; rejects with the opening error. */
  ready(): Promise<void> {
    return this.#ready;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<PacketBatch> {
    let held = -1;
    try {
      for (;;) {
        if (held >= 0) {
          this.#release(held);
          held = -1;
        }
        const msg = this.#queue.shift() ?? (await this.#next());
        if (msg === undefined) {
          if (this.#ended) {
            if (this.#error !== null) throw new NtaError(LIVE_ERR.capture, this.#error);
            return;
          }
          yield this.#empty; // idle: lets the pipeline check for Ctrl-C and time limits
          continue;
        }
        held = msg.slot;
        yield this.#fill(msg);
      }
    } finally {
      if (held >= 0) this.#release(held);
    }
  }

  /** Stops the worker, waits for its final pcap_stats, and ends any iteration in progress. */
  async close(): Promise<void> {
    Atomics.store(this.#ctrl, CTRL_STOP, 1);
    Atomics.notify(this.#ctrl, CTRL_STOP);
    Atomics.notify(this.#ctrl, CTRL_FREED);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_TIMEOUT_MS)));
    await Promise.race([this.#stopped, timeout]);
    clearTimeout(timer);
    this.#ended = true;
    await this.#worker.terminate();
    this.#notify();
  }

  /** Waits for the next slot, or returns undefined after IDLE_BATCH_MS or at the end. */
  #next(): Promise<SlotMessage | undefined> {
    if (this.#ended) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = null;
        resolve(undefined);
      }, IDLE_BATCH_MS);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = null;
        resolve(this.#queue.shift());
      };
    });
  }

  #notify(): void {
    this.#wake?.();
  }

  #release(slot: number): void {
    Atomics.store(this.#ctrl, CTRL_SLOT0 + slot, SLOT_FREE);
    Atomics.add(this.#ctrl, CTRL_FREED, 1);
    Atomics.notify(this.#ctrl, CTRL_FREED);
  }

  #counters(c: CaptureCounters): void {
    this.stats.received = c.recv;
    this.stats.dropped = c.drop;
    this.stats.ifDropped = c.ifDrop;
  }

  /** Turns the pcap records libpcap wrote into the slot into a PacketBatch over the same memory. */
  #fill(msg: SlotMessage): PacketBatch {
    const batch = this.#batches[msg.slot]!;
    const dv = this.#views[msg.slot]!;
    const le = this.#le;
    const nsMul = this.#nanoseconds ? 1 : 1000;
    const linkType = this.#linkType;
    const end = Math.min(msg.bytes, dv.byteLength);
    batch.count = 0;
    let off = 0;
    let frame = this.stats.frames;
    while (off + RECORD_HEADER_BYTES <= end && batch.count < batch.capacity) {
      const sec = dv.getUint32(off, le);
      const frac = dv.getUint32(off + 4, le);
      const caplen = dv.getUint32(off + 8, le);
      const wireLen = dv.getUint32(off + 12, le);
      const data = off + RECORD_HEADER_BYTES;
      if (data + caplen > end) break; // cannot happen unless the slot overflowed; counted below
      batch.push(data, caplen, wireLen, sec, frac * nsMul, true, linkType, ++frame);
      off = data + caplen;
    }
    if (batch.count < msg.packets) {
      this.stats.behindDropped += msg.packets - batch.count;
    }
    this.stats.frames = frame;
    this.stats.bytesRead += off;
    return batch;
  }
}

function asCode(code: string): NtaErrorCode {
  return (NTA_ERROR_CODES as readonly string[]).includes(code) ? (code as NtaErrorCode) : 'NTA_ERR_IO';
}
