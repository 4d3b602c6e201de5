/**
 * TCP stream reassembly, one reassembler per TCP flow that has (or may get) an application parser: each
 * direction's bytes reach a sink in sequence order, the job of Zeek's TCP_Reassembler and Suricata's stream
 * engine (STYLE.md E7: the flow layer owns buffering, parsers never concatenate chunks).
 *
 * - In order (nearly every segment): delivered in place from the packet; nothing is copied or allocated.
 * - Early segments (a hole before them) are copied and held, sorted and disjoint, until the hole fills.
 * - Overlaps: the bytes seen first for a sequence position win (Zeek's policy); held bytes that a later
 *   segment contradicts count `tcp.overlap_mismatch`. Delivered bytes are not kept (that would cost a copy
 *   of every in-order segment), so a retransmission of them is dropped unchecked.
 * - A hole is given up and the sink told of a gap when the peer acknowledged bytes beyond its start (they
 *   were sent, the capture missed them: Zeek's content gap); when a cap is exceeded (bytes per flow, bytes
 *   across all flows, segments per direction; `tcp.reassembly_overflow` counts each hole given up so); and
 *   when the caller flushes (RST, both sides closed, flow end or eviction).
 * - Sequence numbers are compared as signed 32-bit distances from the next expected one, so wrap-around at
 *   2^32 needs nothing special; the caps keep held bytes far closer to it than 2^31.
 */

/** Receives one flow's bytes, each direction in sequence order. */
export interface StreamSink {
  /** b[off, end) continues direction `isOrig`; valid only during the call (STYLE.md E5). */
  data(b: Uint8Array, off: number, end: number, isOrig: boolean, tsUs: number): void;
  /** Bytes are missing in direction `isOrig` before what comes next. */
  gap(isOrig: boolean): void;
}

export interface ReassemblyLimits {
  /** Bytes held per flow (both directions); beyond it the flow's first hole is given up. */
  readonly flowBytes: number;
  /** Bytes held across all flows of a pipeline; beyond it the growing flow's holes are given up. */
  readonly totalBytes: number;
  /** Held segments per direction (bounds the cost of keeping them sorted). */
  readonly segments: number;
}

/**
 * Defaults: 256 KiB per flow covers a lost segment in a window of a few hundred kilobytes until the
 * receiver's ack gives the hole up; 64 MiB bounds the whole table (Suricata's stream memcap plays that role).
 */
export const REASSEMBLY_LIMITS: ReassemblyLimits = {
  flowBytes: 256 * 1024,
  totalBytes: 64 * 1024 * 1024,
  segments: 256,
};

/** Anomaly names (STYLE.md E6); they never change once shipped. */
export const TCP_OVERLAP_MISMATCH = 'tcp.overlap_mismatch';
export const TCP_REASSEMBLY_OVERFLOW = 'tcp.reassembly_overflow';

/** What the reassemblers of one pipeline share: limits, bytes held across flows, anomaly counters. */
export class ReassemblyPool {
  readonly limits: ReassemblyLimits;
  /** Bytes held by all reassemblers of this pool. */
  held = 0;
  overlapMismatch = 0;
  overflow = 0;

  constructor(limits: ReassemblyLimits = REASSEMBLY_LIMITS) {
    this.limits = limits;
  }

  /** Non-zero anomaly counters by name. */
  addAnomalies(out: Record<string, number>): void {
    if (this.overlapMismatch > 0) out[TCP_OVERLAP_MISMATCH] = this.overlapMismatch;
    if (this.overflow > 0) out[TCP_REASSEMBLY_OVERFLOW] = this.overflow;
  }
}

/** An early segment's bytes (a copy), its sequence number and packet time. */
interface HeldSegment {
  readonly seq: number;
  readonly bytes: Uint8Array;
  readonly tsUs: number;
}

class Direction {
  readonly isOrig: boolean;
  /** Sequence number of the next byte to deliver; -1 before the direction's first segment. */
  next = -1;
  /** Bytes in `segs`. */
  held = 0;
  /** Early segments, sorted by sequence number, never overlapping; made at the first one. */
  segs: HeldSegment[] | null = null;

  constructor(isOrig: boolean) {
    this.isOrig = isOrig;
  }
}

export class TcpReassembler {
  readonly #sink: StreamSink;
  readonly #pool: ReassemblyPool;
  readonly #orig = new Direction(true);
  readonly #resp = new Direction(false);

  constructor(sink: StreamSink, pool: ReassemblyPool) {
    this.#sink = sink;
    this.#pool = pool;
  }

  /** Bytes held for both directions. */
  get held(): number {
    return this.#orig.held + this.#resp.held;
  }

  /** Whether direction `isOrig` has its starting point. */
  started(isOrig: boolean): boolean {
    return (isOrig ? this.#orig : this.#resp).next >= 0;
  }

  /**
   * Sets where direction `isOrig` starts, before its first segment (`seq`, `len` bytes). `base` is the
   * sequence number its first byte has: the one after the SYN, or, without a SYN, the first one seen or
   * acknowledged (how the flow table numbers a partial connection, as Zeek does). So a first segment that
   * arrives after the second is held, not taken for the start. A first segment wholly before `base`, or
   * beyond what could ever be held, means `base` is not to be trusted: the stream starts at that segment.
   */
  begin(isOrig: boolean, base: number, seq: number, len: number): void {
    const rel = (seq - base) | 0;
    const trusted = (rel >= 0 || -rel < len) && rel < this.#pool.limits.flowBytes;
    (isOrig ? this.#orig : this.#resp).next = trusted ? base >>> 0 : seq >>> 0;
  }

  /** One segment's payload b[off, end) with sequence number `seq`, of a direction that has begun. */
  segment(isOrig: boolean, seq: number, b: Uint8Array, off: number, end: number, tsUs: number): void {
    const d = isOrig ? this.#orig : this.#resp;
    const rel = (seq - d.next) | 0;
    if (rel > 0) {
      this.#hold(d, seq, b, off, end, tsUs);
      this.#enforceLimits(d);
      return;
    }
    if (-rel >= end - off) return; // a retransmission of delivered bytes
    off -= rel;
    const segs = d.segs;
    if (segs === null || segs.length === 0) {
      d.next = (d.next + (end - off)) >>> 0;
      this.#sink.data(b, off, end, isOrig, tsUs);
      return;
    }
    // Bytes up to the first held segment go in place; the rest only fill holes between held ones.
    const first = (segs[0]!.seq - d.next) | 0;
    const upto = end - off > first ? off + first : end;
    d.next = (d.next + (upto - off)) >>> 0;
    this.#sink.data(b, off, upto, isOrig, tsUs);
    if (upto < end) this.#hold(d, d.next, b, upto, end, tsUs);
    this.#drain(d);
    this.#enforceLimits(d);
  }

  /**
   * The peer acknowledged direction `isOrig` up to `ack`: holes before it will not fill (the capture missed
   * those bytes), so they are given up. Only holes with bytes held after them are looked at.
   */
  acked(isOrig: boolean, ack: number): void {
    const d = isOrig ? this.#orig : this.#resp;
    const segs = d.segs;
    while (segs !== null && segs.length > 0) {
      const a = (ack - d.next) | 0;
      if (a <= 0) return;
      this.#sink.gap(isOrig);
      const head = segs[0]!;
      if (a < ((head.seq - d.next) | 0)) {
        d.next = ack >>> 0;
        return;
      }
      d.next = head.seq;
      this.#drain(d);
    }
  }

  /** Gives up every hole: held bytes are delivered after gaps (RST, both sides closed, flow end). */
  flush(): void {
    this.#flush(this.#orig);
    this.#flush(this.#resp);
  }

  /** Drops held bytes undelivered (the flow's parser is gone) and returns them to the pool. */
  release(): void {
    this.#release(this.#orig);
    this.#release(this.#resp);
  }

  #flush(d: Direction): void {
    while (d.segs !== null && d.segs.length > 0) this.#giveUpHole(d);
  }

  #release(d: Direction): void {
    this.#pool.held -= d.held;
    d.held = 0;
    d.segs = null;
  }

  /**
   * Copies the bytes of b[off, end) (sequence number `seq`, after d.next) that no held segment has; a
   * segment contradicting held bytes counts one mismatch.
   */
  #hold(d: Direction, seq: number, b: Uint8Array, off: number, end: number, tsUs: number): void {
    const segs = (d.segs ??= []);
    const next = d.next;
    const start = (seq - next) | 0;
    const stop = start + (end - off);
    let mismatch = false;
    let r = start;
    let i = 0;
    while (r < stop) {
      const s = segs[i];
      if (s === undefined) {
        this.#insert(d, i, b, off + (r - start), end, next + r, tsUs);
        break;
      }
      const a = (s.seq - next) | 0;
      const z = a + s.bytes.length;
      if (z <= r) {
        i++;
        continue;
      }
      if (a > r) {
        const e = a < stop ? a : stop;
        this.#insert(d, i, b, off + (r - start), off + (e - start), next + r, tsUs);
        i++; // s again, now after the piece
        r = e;
        continue;
      }
      // [r, e) is held already: the first bytes stay.
      const e = z < stop ? z : stop;
      if (!mismatch) mismatch = differ(b, off + (r - start), s.bytes, r - a, e - r);
      i++;
      r = e;
    }
    if (mismatch) this.#pool.overlapMismatch++;
  }

  #insert(d: Direction, i: number, b: Uint8Array, from: number, to: number, seq: number, tsUs: number): void {
    const bytes = new Uint8Array(to - from);
    bytes.set(b.subarray(from, to)); // a copy: b is the capture's buffer
    d.segs!.splice(i, 0, { seq: seq >>> 0, bytes, tsUs });
    d.held += bytes.length;
    this.#pool.held += bytes.length;
  }

  /** Delivers held segments that the stream has reached. */
  #drain(d: Direction): void {
    const segs = d.segs;
    if (segs === null) return;
    while (segs.length > 0) {
      const s = segs[0]!;
      const rel = (s.seq - d.next) | 0;
      if (rel > 0) return;
      segs.shift();
      const n = s.bytes.length;
      d.held -= n;
      this.#pool.held -= n;
      if (-rel < n) {
        d.next = (s.seq + n) >>> 0;
        this.#sink.data(s.bytes, -rel, n, d.isOrig, s.tsUs);
      }
    }
  }

  #giveUpHole(d: Direction): void {
    this.#sink.gap(d.isOrig);
    d.next = d.segs![0]!.seq;
    this.#drain(d);
  }

  #enforceLimits(d: Direction): void {
    const lim = this.#pool.limits;
    for (;;) {
      const segs = d.segs;
      if (segs === null || segs.length === 0) return;
      const over =
        segs.length > lim.segments ||
        this.#orig.held + this.#resp.held > lim.flowBytes ||
        this.#pool.held > lim.totalBytes;
      if (!over) return;
      this.#pool.overflow++;
      this.#giveUpHole(d);
    }
  }
}

/** Whether a[ao, ao + n) and b[bo, bo + n) differ. */
function differ(a: Uint8Array, ao: number, b: Uint8Array, bo: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (a[ao + k] !== b[bo + k]) return true;
  return false;
}
