/**
 * Messages and shared memory between a live source (main thread) and its capture worker.
 *
 * Packets travel in `slots`: SharedArrayBuffers into which the worker has libpcap write pcap records (16-byte
 * record header in host byte order, then the captured bytes). The control array says who owns each slot, so
 * the main thread never needs to message the worker, and the worker never waits for its event loop.
 */

/** Int32 indexes in the control SharedArrayBuffer. */
export const CTRL_STOP = 0;
/** Bumped by the main thread whenever it frees a slot (the worker may Atomics.wait on it). */
export const CTRL_FREED = 1;
/** CTRL_SLOT0 + i: 0 = the worker may fill slot i, 1 = posted to the main thread. */
export const CTRL_SLOT0 = 2;

export const SLOT_FREE = 0;
export const SLOT_POSTED = 1;

/** Bytes of the pcap record header libpcap's pcap_dump writes before each packet. */
export const RECORD_HEADER_BYTES = 16;

export interface WorkerConfig {
  readonly iface: string;
  readonly filter: string | null;
  readonly snaplen: number;
  readonly promisc: boolean;
  readonly bufferBytes: number;
  readonly timeoutMs: number;
  readonly immediate: boolean;
  readonly ctrl: SharedArrayBuffer;
  readonly slots: readonly SharedArrayBuffer[];
  /** At most this many packets per slot (the PacketBatch capacity on the main side). */
  readonly maxPacketsPerSlot: number;
}

export interface CaptureCounters {
  /** pcap_stats ps_recv, ps_drop, ps_ifdrop. */
  recv: number;
  drop: number;
  ifDrop: number;
}

export type FromCaptureWorker =
  | {
      readonly type: 'ready';
      readonly linkType: number;
      readonly snaplen: number;
      readonly nanoseconds: boolean;
      readonly warning: string | null;
      readonly method: 'dump' | 'copy';
    }
  | { readonly type: 'error'; readonly code: string; readonly message: string }
  | {
      readonly type: 'slot';
      readonly slot: number;
      readonly bytes: number;
      readonly packets: number;
      readonly counters: CaptureCounters;
    }
  | { readonly type: 'stopped'; readonly counters: CaptureCounters; readonly error: string | null };
