/**
 * One flow's TLS state. Each direction's records are walked from the start of the stream, header by
 * header, until that side switches to encrypted records (ChangeCipherSpec or application data); the
 * handshake messages in between are put together even when they span records and TCP segments. From the
 * client the ClientHello is parsed; from the server the ServerHello, and below TLS 1.3 the Certificate
 * (subject, issuer, validity, fingerprints) and ServerKeyExchange (curve). Handshake bytes are copied only
 * when a message does not fit in one segment, at most MAX_TLS_HANDSHAKE_BYTES per direction; once both
 * sides are encrypted (Zeek's `established`) the flow costs nothing more.
 */
import type { FlowState } from '../../flow/table.js';
import type { AnomalyCounts } from '../anomaly-counts.js';
import type { AppContext, FlowParser } from '../context.js';
import { TlsAnomaly } from './anomalies.js';
import {
  ClientHello,
  ServerHello,
  TLS_CONTENT_APPLICATION_DATA,
  TLS_CONTENT_CHANGE_CIPHER_SPEC,
  TLS_CONTENT_HANDSHAKE,
  TLS_HANDSHAKE_CERTIFICATE,
  TLS_HANDSHAKE_CLIENT_HELLO,
  TLS_HANDSHAKE_SERVER_HELLO,
  TLS_HANDSHAKE_SERVER_HELLO_DONE,
  TLS_HANDSHAKE_SERVER_KEY_EXCHANGE,
  parseCertificateList,
  parseClientHello,
  parseServerHello,
  serverKeyExchangeCurve,
} from './parser.js';
import { TlsHandshake, toTlsLog } from './record.js';
import { CertificateInfo, parseCertificate } from './x509.js';

/**
 * Bytes of one handshake message buffered per direction while it arrives: certificate chains run to
 * ~10 KiB, post-quantum hellos to ~2 KiB.
 */
export const MAX_TLS_HANDSHAKE_BYTES = 64 * 1024;

const TLS_1_2 = 0x0303;

/** Shared by all TLS flows of a pipeline. */
export class TlsShared {
  readonly client = new ClientHello();
  readonly server = new ServerHello();
  readonly certificate = new CertificateInfo();
  /** Bounds of the certificates of one Certificate message; used synchronously only. */
  readonly certOffs: number[] = [];
  readonly certEnds: number[] = [];
  readonly anomalies: AnomalyCounts;
  readonly ctx: AppContext;

  constructor(ctx: AppContext, anomalies: AnomalyCounts) {
    this.ctx = ctx;
    this.anomalies = anomalies;
  }
}

class Direction {
  /** Nothing more to learn from this side (encrypted, not TLS, a gap, or given up). */
  done = false;
  encrypted = false;
  /** Header bytes of the current record read so far (0–5); 5 while inside its body. */
  header = 0;
  recordType = 0;
  /** Body bytes of the current record still to come. */
  left = 0;
  records = 0;
  /** Handshake messages seen; collecting stops once the wanted ones are in. */
  messages = 0;
  collecting = true;
  /** A handshake message begun in an earlier segment. */
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
    let p = off;
    while (p < end && !d.done) {
      if (d.header < 5) {
        const c = b[p++]!;
        switch (d.header++) {
          case 0:
            // The first record of a side must be a handshake; otherwise this is not TLS from here.
            if (d.records++ === 0 && c !== TLS_CONTENT_HANDSHAKE) return this.#stop(d);
            d.recordType = c;
            break;
          case 1:
            if (c !== 3) {
              this.#s.anomalies.add(TlsAnomaly.BadRecordVersion);
              return this.#stop(d);
            }
            break;
          case 3:
            d.left = c << 8;
            break;
          case 4:
            d.left |= c;
            if (!this.#recordStart(d)) return;
            break;
        }
        continue;
      }
      const n = Math.min(d.left, end - p);
      if (d.recordType === TLS_CONTENT_HANDSHAKE && d.collecting)
        this.#handshakeBytes(d, b, p, p + n, isOrig, tsUs);
      p += n;
      d.left -= n;
      if (d.left === 0) d.header = 0;
    }
  }

  gap(isOrig: boolean): void {
    this.#stop(isOrig ? this.#orig : this.#resp);
  }

  end(): void {
    if (this.finished) return;
    this.finished = true;
    this.#orig.buf = this.#resp.buf = null;
    if (this.#hs.tsUs >= 0) {
      const ctx = this.#s.ctx;
      ctx.emit('tls', toTlsLog(this.#flow, ctx.endpoints, this.#hs));
    }
  }

  /** A record header is complete; false when the side is done. */
  #recordStart(d: Direction): boolean {
    if (d.left === 0) d.header = 0;
    const type = d.recordType;
    if (type !== TLS_CONTENT_CHANGE_CIPHER_SPEC && type !== TLS_CONTENT_APPLICATION_DATA) return true;
    d.encrypted = true;
    if (this.#orig.encrypted && this.#resp.encrypted) this.#hs.established = true;
    this.#stop(d);
    return false;
  }

  #stop(d: Direction): void {
    d.done = true;
    d.buf = null;
    d.have = 0;
    // Both sides encrypted or given up on: the record is complete.
    if (this.#orig.done && this.#resp.done) this.end();
  }

  /** Handshake-protocol bytes [off, end): whole messages are parsed in place, a partial one is kept. */
  #handshakeBytes(
    d: Direction,
    b: Uint8Array,
    off: number,
    end: number,
    isOrig: boolean,
    tsUs: number,
  ): void {
    let p = off;
    if (d.have === 0) {
      while (end - p >= 4 && d.collecting && !d.done) {
        const whole = 4 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
        if (whole > end - p) break;
        this.#message(d, b, p, p + whole, isOrig, tsUs);
        p += whole;
      }
      if (p === end || !d.collecting || d.done) return;
    }
    if (!this.#append(d, b, p, end)) return;
    let q = 0;
    while (d.have - q >= 4 && d.collecting && !d.done) {
      const buf = d.buf!;
      const whole = 4 + ((buf[q + 1]! << 16) | (buf[q + 2]! << 8) | buf[q + 3]!);
      if (whole > MAX_TLS_HANDSHAKE_BYTES) {
        this.#s.anomalies.add(TlsAnomaly.BadHandshakeLength);
        return this.#giveUp(d);
      }
      if (whole > d.have - q) break;
      this.#message(d, buf, q, q + whole, isOrig, tsUs);
      q += whole;
    }
    if (d.buf === null) return;
    d.buf.copyWithin(0, q, d.have);
    d.have -= q;
  }

  /** Keeps [off, end) for the next segment; false (and collecting given up) beyond the bound. */
  #append(d: Direction, b: Uint8Array, off: number, end: number): boolean {
    const n = end - off;
    if (d.have + n > MAX_TLS_HANDSHAKE_BYTES) {
      this.#s.anomalies.add(TlsAnomaly.HelloTooLong);
      this.#giveUp(d);
      return false;
    }
    if (d.buf === null || d.buf.length < d.have + n) {
      const grown = new Uint8Array(Math.min(MAX_TLS_HANDSHAKE_BYTES, Math.max(2 * (d.have + n), 4096)));
      if (d.buf !== null) grown.set(d.buf.subarray(0, d.have));
      d.buf = grown;
    }
    d.buf.set(b.subarray(off, end), d.have);
    d.have += n;
    return true;
  }

  /** Stops collecting handshake messages; without its hello a side has nothing more to give. */
  #giveUp(d: Direction): void {
    d.collecting = false;
    d.buf = null;
    d.have = 0;
    if (d.messages <= 1 && (d === this.#orig ? this.#hs.ja4 === null : this.#hs.version === null))
      this.#stop(d);
  }

  /** One complete handshake message [off, end) (4-byte header included). */
  #message(d: Direction, b: Uint8Array, off: number, end: number, isOrig: boolean, tsUs: number): void {
    const s = this.#s;
    const type = b[off]!;
    const first = d.messages++ === 0;
    const hello = isOrig ? TLS_HANDSHAKE_CLIENT_HELLO : TLS_HANDSHAKE_SERVER_HELLO;
    if (first && type !== hello) {
      s.anomalies.add(TlsAnomaly.UnexpectedHandshakeType);
      return this.#stop(d);
    }
    if (isOrig) {
      // Later client messages (key exchange, a second hello after HelloRetryRequest) are not looked at.
      d.collecting = false;
      if (parseClientHello(b, off + 4, end, s.client)) {
        this.#hs.client(s.client, tsUs);
        s.ctx.confirm(this.#flow, 'ssl');
      } else {
        s.anomalies.add(TlsAnomaly.MalformedClientHello);
        this.#stop(d);
      }
      return;
    }
    switch (type) {
      case TLS_HANDSHAKE_SERVER_HELLO:
        if (parseServerHello(b, off + 4, end, s.server)) {
          this.#hs.server(s.server, tsUs);
          s.ctx.confirm(this.#flow, 'ssl');
          // From TLS 1.3 on everything after the ServerHello is encrypted.
          if (this.#hs.versionNumber > TLS_1_2) d.collecting = false;
        } else {
          s.anomalies.add(TlsAnomaly.MalformedServerHello);
          if (first) this.#stop(d);
        }
        break;
      case TLS_HANDSHAKE_CERTIFICATE:
        this.#certificates(b, off + 4, end);
        break;
      case TLS_HANDSHAKE_SERVER_KEY_EXCHANGE:
        if (this.#hs.cipher?.includes('_ECDHE_') === true) {
          const group = serverKeyExchangeCurve(b, off + 4, end);
          if (group >= 0) this.#hs.serverCurve(group);
        }
        break;
      case TLS_HANDSHAKE_SERVER_HELLO_DONE:
        d.collecting = false;
        break;
    }
  }

  #certificates(b: Uint8Array, off: number, end: number): void {
    const s = this.#s;
    if (!parseCertificateList(b, off, end, s.certOffs, s.certEnds)) {
      s.anomalies.add(TlsAnomaly.MalformedCertificate);
      return;
    }
    let first: CertificateInfo | null = null;
    if (s.certOffs.length > 0) {
      if (parseCertificate(b, s.certOffs[0]!, s.certEnds[0]!, s.certificate)) first = s.certificate;
      else s.anomalies.add(TlsAnomaly.MalformedCertificate);
    }
    this.#hs.certificates(b, s.certOffs, s.certEnds, first);
  }
}
