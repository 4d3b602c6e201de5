/**
 * One flow's HTTP/1.x state: per direction a small machine (head → body by Content-Length, chunks or
 * until close → next head), requests queued until their responses arrive in order (pipelining), heads
 * buffered across segments up to MAX_HTTP_HEAD bytes. Bodies are counted, never copied. After a gap the
 * direction waits for a segment that starts a new message.
 */
import type { FlowState } from '../../flow/table.js';
import type { AnomalyCounts } from '../anomaly-counts.js';
import type { AppContext, FlowParser } from '../context.js';
import { HttpAnomaly } from './anomalies.js';
import { CR, HttpHead, LF, headEnd, looksLikeRequest, looksLikeResponse, parseHttpHead } from './parser.js';
import { HttpTx, toHttpLog } from './record.js';

/** Bytes of one message head kept across segments. */
export const MAX_HTTP_HEAD = 16 * 1024;
/** Requests awaiting responses per flow; beyond it the oldest is logged without one. */
export const MAX_HTTP_PENDING = 64;

const Mode = {
  Head: 0,
  Body: 1,
  ChunkSize: 2,
  ChunkData: 3,
  ChunkDataEnd: 4,
  Trailer: 5,
  UntilClose: 6,
  Lost: 7,
  Opaque: 8,
} as const;
type Mode = (typeof Mode)[keyof typeof Mode];

/** Shared by all HTTP flows of a pipeline. */
export class HttpShared {
  readonly head = new HttpHead();
  readonly anomalies: AnomalyCounts;
  readonly ctx: AppContext;

  constructor(ctx: AppContext, anomalies: AnomalyCounts) {
    this.ctx = ctx;
    this.anomalies = anomalies;
  }
}

class Direction {
  mode: Mode = Mode.Head;
  remaining = 0;
  /** Length of the current chunk-size or trailer line. */
  line = 0;
  chunkDigits = 0;
  buf: Uint8Array | null = null;
  have = 0;
  /** Time of the last segment with head bytes (for a head finished by `end` or `gap`). */
  tsUs = 0;
}

export class HttpFlow implements FlowParser {
  readonly finished = false;
  readonly #flow: FlowState;
  readonly #s: HttpShared;
  readonly #req = new Direction();
  readonly #res = new Direction();
  readonly #pending: HttpTx[] = [];
  /** The transaction whose response is being read. */
  #current: HttpTx | null = null;
  #depth = 0;

  constructor(flow: FlowState, shared: HttpShared) {
    this.#flow = flow;
    this.#s = shared;
  }

  data(b: Uint8Array, off: number, end: number, isOrig: boolean, tsUs: number): void {
    const d = isOrig ? this.#req : this.#res;
    if (d.mode === Mode.Opaque) return;
    if (d.mode === Mode.Lost) {
      if (!(isOrig ? looksLikeRequest(b, off, end) : looksLikeResponse(b, off, end))) return;
      d.mode = Mode.Head;
      d.have = 0;
    }
    let p = off;
    while (p < end && reading(d)) {
      if (d.mode === Mode.Head) p = this.#head(d, b, p, end, isOrig, tsUs);
      else p = this.#body(d, b, p, end, isOrig);
    }
  }

  gap(isOrig: boolean): void {
    const d = isOrig ? this.#req : this.#res;
    if (d.mode === Mode.Opaque) return;
    this.#s.anomalies.add(HttpAnomaly.StreamGap);
    this.#partialHead(d, isOrig);
    if (!isOrig && d.mode === Mode.UntilClose) {
      this.#responseDone(); // the body's length is unknown now; the transaction is over anyway
    }
    d.mode = Mode.Lost;
    d.have = 0;
    d.buf = null;
  }

  end(): void {
    this.#partialHead(this.#req, true);
    this.#partialHead(this.#res, false);
    if (this.#current !== null) this.#responseDone();
    for (const tx of this.#pending) this.#emit(tx);
    this.#pending.length = 0;
  }

  /**
   * A head whose end never came (its last segments were not captured): what it holds is still logged, as
   * tshark does for a single segment.
   */
  #partialHead(d: Direction, isOrig: boolean): void {
    if (d.mode !== Mode.Head || d.have === 0) return;
    const have = d.have;
    d.have = 0;
    this.#s.anomalies.add(HttpAnomaly.IncompleteHead);
    this.#parsed(d, d.buf!, 0, have, isOrig, d.tsUs);
    d.mode = Mode.Lost;
  }

  /** Reads head bytes from p; returns where the head ended in b (end if it did not). */
  #head(d: Direction, b: Uint8Array, p: number, end: number, isOrig: boolean, tsUs: number): number {
    d.tsUs = tsUs;
    if (d.have === 0) {
      // Skip the empty lines some clients send between messages (RFC 9112 §2.2).
      while (p < end && (b[p] === CR || b[p] === LF)) p++;
      if (p === end) return end;
      const e = headEnd(b, p, end);
      if (e >= 0) {
        this.#parsed(d, b, p, e, isOrig, tsUs);
        return e;
      }
    }
    const n = end - p;
    if (d.have + n > MAX_HTTP_HEAD) {
      this.#s.anomalies.add(HttpAnomaly.HeaderTooLong);
      d.mode = Mode.Lost;
      d.have = 0;
      d.buf = null;
      return end;
    }
    if (d.buf === null || d.buf.length < d.have + n)
      d.buf = grow(d.buf, d.have, Math.min(MAX_HTTP_HEAD, Math.max(1024, 2 * (d.have + n))));
    const before = d.have;
    d.buf.set(b.subarray(p, end), before);
    d.have += n;
    const e = headEnd(d.buf, 0, d.have, Math.max(1, before - 3));
    if (e < 0) return end;
    d.have = 0;
    this.#parsed(d, d.buf, 0, e, isOrig, tsUs);
    return p + (e - before);
  }

  /** A complete head: start its transaction (or fill in the response) and decide how the body ends. */
  #parsed(d: Direction, b: Uint8Array, off: number, end: number, isOrig: boolean, tsUs: number): void {
    // A response with no request waiting answers the one whose head is still incomplete: its end was never
    // captured (snaplen). Done first, as it parses into the same shared head.
    if (!isOrig && this.#pending.length === 0) this.#partialHead(this.#req, true);
    const h = this.#s.head;
    if (!parseHttpHead(b, off, end, isOrig, h)) {
      this.#s.anomalies.add(isOrig ? HttpAnomaly.BadRequestLine : HttpAnomaly.BadStatusLine);
      d.mode = Mode.Lost;
      return;
    }
    this.#s.ctx.confirm(this.#flow, 'http');
    if (h.contentLength === -2) this.#s.anomalies.add(HttpAnomaly.BadContentLength);
    if (isOrig) {
      if (this.#pending.length >= MAX_HTTP_PENDING) {
        this.#s.anomalies.add(HttpAnomaly.TooManyPending);
        this.#emit(this.#pending.shift()!);
      }
      const tx = new HttpTx(tsUs, ++this.#depth);
      tx.request(h);
      this.#pending.push(tx);
      this.#bodyMode(d, h, false);
      return;
    }
    if (h.status >= 100 && h.status < 200 && h.status !== 101) return; // interim: the real one follows
    const tx = this.#pending.shift() ?? new HttpTx(tsUs, ++this.#depth);
    tx.response(h);
    this.#current = tx;
    const method = tx.method;
    if (h.status === 101 || (method === 'CONNECT' && h.status >= 200 && h.status < 300)) {
      // The connection is no longer HTTP (an upgrade or a tunnel).
      this.#responseDone();
      d.mode = Mode.Opaque;
      this.#req.mode = Mode.Opaque;
      return;
    }
    if (method === 'HEAD' || h.status === 204 || h.status === 304) {
      this.#responseDone();
      d.mode = Mode.Head;
      return;
    }
    this.#bodyMode(d, h, true);
  }

  #bodyMode(d: Direction, h: HttpHead, isResponse: boolean): void {
    d.line = d.chunkDigits = 0;
    if (h.chunked) {
      d.mode = Mode.ChunkSize;
      d.remaining = 0;
    } else if (h.contentLength > 0) {
      d.mode = Mode.Body;
      d.remaining = h.contentLength;
    } else if (isResponse && h.contentLength !== 0) {
      d.mode = Mode.UntilClose;
    } else {
      if (isResponse) this.#responseDone();
      d.mode = Mode.Head;
    }
  }

  /** Body bytes from p; returns where this call stopped. */
  #body(d: Direction, b: Uint8Array, p: number, end: number, isOrig: boolean): number {
    switch (d.mode) {
      case Mode.Body: {
        const n = Math.min(end - p, d.remaining);
        this.#count(isOrig, n);
        d.remaining -= n;
        if (d.remaining === 0) this.#messageDone(d, isOrig);
        return p + n;
      }
      case Mode.UntilClose:
        this.#count(isOrig, end - p);
        return end;
      case Mode.ChunkData: {
        const n = Math.min(end - p, d.remaining);
        this.#count(isOrig, n);
        d.remaining -= n;
        if (d.remaining === 0) {
          d.mode = Mode.ChunkDataEnd;
          d.line = 0;
        }
        return p + n;
      }
      default:
        return this.#chunkLine(d, b, p, end, isOrig);
    }
  }

  /** Chunk-size lines, the CRLF after chunk data, and trailer lines, byte by byte (they are short). */
  #chunkLine(d: Direction, b: Uint8Array, p: number, end: number, isOrig: boolean): number {
    while (p < end) {
      const c = b[p++]!;
      if (c !== LF) {
        if (c === CR) continue;
        if (d.mode === Mode.ChunkSize && d.line === 0) {
          const v =
            c >= 0x30 && c <= 0x39
              ? c - 0x30
              : (c | 0x20) >= 0x61 && (c | 0x20) <= 0x66
                ? (c | 0x20) - 87
                : -1;
          if (v >= 0 && d.chunkDigits < 12) {
            d.remaining = d.remaining * 16 + v;
            d.chunkDigits++;
            continue;
          }
          if (v >= 0 || d.chunkDigits === 0) {
            this.#s.anomalies.add(HttpAnomaly.BadChunkSize);
            d.mode = Mode.Lost;
            return end;
          }
        }
        d.line++; // chunk extensions, trailer text, stray bytes before a CRLF
        if (d.line > MAX_HTTP_HEAD) {
          this.#s.anomalies.add(HttpAnomaly.HeaderTooLong);
          d.mode = Mode.Lost;
          return end;
        }
        continue;
      }
      // LF: the line ends.
      if (d.mode === Mode.ChunkDataEnd) {
        d.mode = Mode.ChunkSize;
        d.line = d.chunkDigits = 0;
        d.remaining = 0;
      } else if (d.mode === Mode.ChunkSize) {
        if (d.chunkDigits === 0) {
          this.#s.anomalies.add(HttpAnomaly.BadChunkSize);
          d.mode = Mode.Lost;
          return end;
        }
        d.line = 0;
        if (d.remaining === 0) d.mode = Mode.Trailer;
        else {
          d.mode = Mode.ChunkData;
          return p;
        }
      } else {
        // Trailer: an empty line ends the message.
        if (d.line === 0) {
          this.#messageDone(d, isOrig);
          return p;
        }
        d.line = 0;
      }
    }
    return p;
  }

  #count(isOrig: boolean, n: number): void {
    if (isOrig) {
      const tx = this.#pending[this.#pending.length - 1];
      if (tx !== undefined) tx.requestBodyLen += n;
    } else if (this.#current !== null) this.#current.responseBodyLen += n;
  }

  #messageDone(d: Direction, isOrig: boolean): void {
    d.mode = Mode.Head;
    d.have = 0;
    if (!isOrig) this.#responseDone();
  }

  #responseDone(): void {
    const tx = this.#current;
    this.#current = null;
    if (tx !== null) this.#emit(tx);
  }

  #emit(tx: HttpTx): void {
    const ctx = this.#s.ctx;
    ctx.emit('http', toHttpLog(this.#flow, ctx.endpoints, tx));
  }
}

/** Lost and Opaque are the two modes that read nothing (the methods above change `mode`). */
const reading = (d: Direction): boolean => d.mode < Mode.Lost;

function grow(buf: Uint8Array | null, have: number, size: number): Uint8Array {
  const next = new Uint8Array(size);
  if (buf !== null) next.set(buf.subarray(0, have));
  return next;
}
