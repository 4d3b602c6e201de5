/**
 * One flow's TLS state: the first handshake message of each direction (ClientHello from the originator,
 * ServerHello from the responder), put together from the start of the stream even when it spans records
 * and TCP segments. Bytes are copied only when a hello does not fit in one segment, and at most
 * MAX_TLS_HELLO_BYTES per direction; after the hellos the flow costs nothing more.
 */
import type { FlowState } from '../../flow/table.js';
import type { AnomalyCounts } from '../anomaly-counts.js';
import type { AppContext, FlowParser } from '../context.js';
import { TlsAnomaly } from './anomalies.js';
import {
  ClientHello,
  ServerHello,
  TLS_CONTENT_HANDSHAKE,
  TLS_HANDSHAKE_CLIENT_HELLO,
  TLS_HANDSHAKE_SERVER_HELLO,
  parseClientHello,
  parseServerHello,
} from './parser.js';
import { TlsHandshake, toTlsLog } from './record.js';

/** Stream bytes buffered per direction while looking for its hello (post-quantum hellos are ~2 KiB). */
export const MAX_TLS_HELLO_BYTES = 32 * 1024;

const Progress = { Incomplete: 0, Done: 1 } as const;
type Progress = (typeof Progress)[keyof typeof Progress];

/** Shared by all TLS flows of a pipeline. */
export class TlsShared {
  readonly client = new ClientHello();
  readonly server = new ServerHello();
  /** Handshake bytes gathered from several records; used synchronously only. */
  readonly scratch = new Uint8Array(MAX_TLS_HELLO_BYTES);
  readonly anomalies: AnomalyCounts;
  readonly ctx: AppContext;

  constructor(ctx: AppContext, anomalies: AnomalyCounts) {
    this.ctx = ctx;
    this.anomalies = anomalies;
  }
}

class Direction {
  done = false;
  buf: Uint8Array | null = null;
  have = 0;
}

export class TlsFlow implements FlowParser {
  readonly #flow: FlowState;
  readonly #s: TlsShared;
  readonly #orig = new Direction();
  readonly #resp = new Direction();
  readonly #hs = new TlsHandshake();
  finished = false;

  constructor(flow: FlowState, shared: TlsShared) {
    this.#flow = flow;
    this.#s = shared;
  }

  data(b: Uint8Array, off: number, end: number, isOrig: boolean, tsUs: number): void {
    const d = isOrig ? this.#orig : this.#resp;
    if (d.done) return;
    if (d.have === 0) {
      if (this.#extract(b, off, end, isOrig, tsUs) === Progress.Done) this.#finish(d);
      else this.#append(d, b, off, end);
      return;
    }
    if (!this.#append(d, b, off, end)) return;
    if (this.#extract(d.buf!, 0, d.have, isOrig, tsUs) === Progress.Done) this.#finish(d);
  }

  gap(isOrig: boolean): void {
    this.#finish(isOrig ? this.#orig : this.#resp);
  }

  end(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.#hs.tsUs >= 0) {
      const ctx = this.#s.ctx;
      ctx.emit('tls', toTlsLog(this.#flow, ctx.endpoints, this.#hs));
    }
  }

  #finish(d: Direction): void {
    d.done = true;
    d.buf = null;
    d.have = 0;
    // Both hellos seen (or given up on): the record is complete.
    if (this.#orig.done && this.#resp.done) this.end();
  }

  /** Keeps [off, end) for the next segment; false (and the direction given up) beyond the bound. */
  #append(d: Direction, b: Uint8Array, off: number, end: number): boolean {
    const n = end - off;
    if (d.have + n > MAX_TLS_HELLO_BYTES) {
      this.#s.anomalies.add(TlsAnomaly.HelloTooLong);
      this.#finish(d);
      return false;
    }
    if (d.buf === null || d.buf.length < d.have + n) {
      const grown = new Uint8Array(Math.min(MAX_TLS_HELLO_BYTES, Math.max(2 * (d.have + n), 4096)));
      if (d.buf !== null) grown.set(d.buf.subarray(0, d.have));
      d.buf = grown;
    }
    d.buf.set(b.subarray(off, end), d.have);
    d.have += n;
    return true;
  }

  /** Walks the records in [off, end) to the first handshake message and parses it when complete. */
  #extract(b: Uint8Array, off: number, end: number, isOrig: boolean, tsUs: number): Progress {
    const scratch = this.#s.scratch;
    let p = off;
    let have = 0;
    let need = -1;
    while (p + 5 <= end) {
      if (b[p] !== TLS_CONTENT_HANDSHAKE) return Progress.Done; // not a handshake: nothing to find
      if (b[p + 1] !== 3) {
        this.#s.anomalies.add(TlsAnomaly.BadRecordVersion);
        return Progress.Done;
      }
      const len = (b[p + 3]! << 8) | b[p + 4]!;
      const body = p + 5;
      const avail = Math.min(len, end - body);
      if (have === 0 && avail >= 4) {
        const whole = 4 + ((b[body + 1]! << 16) | (b[body + 2]! << 8) | b[body + 3]!);
        if (whole <= avail) return this.#hello(b, body, body + whole, isOrig, tsUs);
      }
      if (have + avail > scratch.length) {
        this.#s.anomalies.add(TlsAnomaly.HelloTooLong);
        return Progress.Done;
      }
      scratch.set(b.subarray(body, body + avail), have);
      have += avail;
      if (need < 0 && have >= 4) need = 4 + ((scratch[1]! << 16) | (scratch[2]! << 8) | scratch[3]!);
      if (need > MAX_TLS_HELLO_BYTES) {
        this.#s.anomalies.add(TlsAnomaly.BadHandshakeLength);
        return Progress.Done;
      }
      if (need >= 0 && have >= need) return this.#hello(scratch, 0, need, isOrig, tsUs);
      if (avail < len) return Progress.Incomplete;
      p = body + len;
    }
    return Progress.Incomplete;
  }

  /** One complete handshake message [off, end) (4-byte header included). */
  #hello(b: Uint8Array, off: number, end: number, isOrig: boolean, tsUs: number): Progress {
    const s = this.#s;
    const type = b[off]!;
    if (isOrig && type === TLS_HANDSHAKE_CLIENT_HELLO) {
      if (parseClientHello(b, off + 4, end, s.client)) {
        this.#hs.client(s.client, tsUs);
        s.ctx.confirm(this.#flow, 'ssl');
      } else s.anomalies.add(TlsAnomaly.MalformedClientHello);
    } else if (!isOrig && type === TLS_HANDSHAKE_SERVER_HELLO) {
      if (parseServerHello(b, off + 4, end, s.server)) {
        this.#hs.server(s.server, tsUs);
        s.ctx.confirm(this.#flow, 'ssl');
      } else s.anomalies.add(TlsAnomaly.MalformedServerHello);
    } else {
      s.anomalies.add(TlsAnomaly.UnexpectedHandshakeType);
    }
    return Progress.Done;
  }
}
