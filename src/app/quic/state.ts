/**
 * One QUIC flow's Initial packets: the keys come from the client's first Destination Connection ID, each
 * direction's CRYPTO frames are put together by offset (bounded, in any order: Chrome scatters its
 * ClientHello over several frames and packets), and the ClientHello and ServerHello they carry are parsed by
 * the TLS parser. The flow costs nothing after both hellos or MAX_QUIC_INITIALS Initial packets.
 */
import type { FlowState } from '../../flow/table.js';
import type { QuicLog } from '../../schema/quic.js';
import type { AnomalyCounts } from '../anomaly-counts.js';
import type { AppContext, FlowParser } from '../context.js';
import { ja4 } from '../tls/fingerprint.js';
import { cipherName } from '../tls/names.js';
import {
  ClientHello,
  ServerHello,
  TLS_HANDSHAKE_CLIENT_HELLO,
  TLS_HANDSHAKE_SERVER_HELLO,
  parseClientHello,
  parseServerHello,
} from '../tls/parser.js';
import { QuicAnomaly } from './anomalies.js';
import {
  InitialHeader,
  decryptInitial,
  initialKeys,
  quicVersionName,
  readVarint,
  varEnd,
  type InitialKeys,
} from './initial.js';

/** Handshake bytes kept per direction (a post-quantum ClientHello is under 2 KiB). */
export const MAX_QUIC_CRYPTO = 16 * 1024;
/** Initial packets looked at per direction before giving up. */
export const MAX_QUIC_INITIALS = 8;
/** CRYPTO frame ranges remembered per direction. */
const MAX_RANGES = 64;

const Frame = {
  Padding: 0x00,
  Ping: 0x01,
  Ack: 0x02,
  AckEcn: 0x03,
  Crypto: 0x06,
  Close: 0x1c,
  AppClose: 0x1d,
} as const;

/** Shared by all QUIC flows of a pipeline. */
export class QuicShared {
  readonly header = new InitialHeader();
  readonly client = new ClientHello();
  readonly server = new ServerHello();
  readonly anomalies: AnomalyCounts;
  readonly ctx: AppContext;

  constructor(ctx: AppContext, anomalies: AnomalyCounts) {
    this.ctx = ctx;
    this.anomalies = anomalies;
  }
}

/** One direction's CRYPTO stream, as [start, end) ranges over a growing buffer. */
class CryptoStream {
  buf: Uint8Array | null = null;
  readonly ranges: number[] = [];
  packets = 0;
  done = false;

  /** Adds data at `offset`; false when it is beyond the bound. */
  add(data: Uint8Array, off: number, end: number, offset: number): boolean {
    const n = end - off;
    if (offset + n > MAX_QUIC_CRYPTO || this.ranges.length >= 2 * MAX_RANGES) return false;
    if (this.buf === null || this.buf.length < offset + n) {
      const grown = new Uint8Array(Math.min(MAX_QUIC_CRYPTO, Math.max(offset + n, 4096)));
      if (this.buf !== null) grown.set(this.buf);
      this.buf = grown;
    }
    this.buf.set(data.subarray(off, end), offset);
    this.ranges.push(offset, offset + n);
    return true;
  }

  /** Bytes available from offset 0 without a hole. */
  prefix(): number {
    let have = 0;
    let grew = true;
    while (grew) {
      grew = false;
      for (let i = 0; i < this.ranges.length; i += 2)
        if (this.ranges[i]! <= have && this.ranges[i + 1]! > have) {
          have = this.ranges[i + 1]!;
          grew = true;
        }
    }
    return have;
  }
}

export class QuicFlow implements FlowParser {
  readonly #flow: FlowState;
  readonly #s: QuicShared;
  readonly #client = new CryptoStream();
  readonly #server = new CryptoStream();
  #keys: { client: InitialKeys; server: InitialKeys } | null = null;
  #tsUs = -1;
  #version = 0;
  #dcid = '';
  #serverName: string | null = null;
  #alpn: string[] | null = null;
  #ja4: string | null = null;
  #cipher: string | null = null;
  finished = false;

  constructor(flow: FlowState, shared: QuicShared) {
    this.#flow = flow;
    this.#s = shared;
  }

  data(b: Uint8Array, off: number, end: number, isOrig: boolean, tsUs: number): void {
    const stream = isOrig ? this.#client : this.#server;
    const h = this.#s.header;
    // A datagram may carry several coalesced packets; Initial packets come first.
    while (off < end && !stream.done && h.parse(b, off, end)) {
      if (this.#keys === null) {
        if (!isOrig) return; // the server's Initial needs the client's DCID first
        this.#keys = initialKeys(h.version, b.subarray(h.dcidOff, h.dcidOff + h.dcidLen));
        if (this.#keys === null) return;
        this.#version = h.version;
        this.#dcid = Buffer.from(b.subarray(h.dcidOff, h.dcidOff + h.dcidLen)).toString('hex');
        this.#tsUs = tsUs;
      }
      if (++stream.packets > MAX_QUIC_INITIALS) stream.done = true;
      if (h.end > end) return; // cut by the capture's snap length: nothing to decrypt
      const plain = decryptInitial(b, off, h, isOrig ? this.#keys.client : this.#keys.server);
      const next = h.end;
      if (plain === null) this.#s.anomalies.add(QuicAnomaly.DecryptFailed);
      else {
        this.#s.ctx.confirm(this.#flow, 'quic');
        this.#frames(plain, stream);
        this.#hello(stream, isOrig);
      }
      off = next;
    }
    if (this.#client.done && this.#server.done) this.end();
  }

  gap(): void {}

  end(): void {
    if (this.finished) return;
    this.finished = true;
    this.#client.buf = this.#server.buf = null;
    if (this.#keys === null) return;
    const { ctx } = this.#s;
    const f = this.#flow;
    const log: QuicLog = {
      ts: this.#tsUs,
      uid: f.uid,
      orig_h: ctx.endpoints.orig(f),
      orig_p: f.origPort,
      resp_h: ctx.endpoints.resp(f),
      resp_p: f.respPort,
      version: quicVersionName(this.#version),
      client_initial_dcid: this.#dcid,
      server_name: this.#serverName,
      client_protocol: this.#alpn?.[0] ?? null,
      client_alpn: this.#alpn,
      ja4: this.#ja4,
      cipher: this.#cipher,
    };
    ctx.emit('quic', log);
  }

  /** Walks the frames of a decrypted Initial, keeping CRYPTO data. */
  #frames(p: Buffer, stream: CryptoStream): void {
    let i = 0;
    const end = p.length;
    while (i < end) {
      const type = p[i]!;
      if (type === Frame.Padding || type === Frame.Ping) {
        i++;
        continue;
      }
      i++;
      if (type === Frame.Crypto) {
        const offset = readVarint(p, i, end);
        if (varEnd < 0) break;
        const len = readVarint(p, varEnd, end);
        if (varEnd < 0 || varEnd + len > end) break;
        if (!stream.add(p, varEnd, varEnd + len, offset)) {
          this.#s.anomalies.add(QuicAnomaly.CryptoTooLong);
          stream.done = true;
          return;
        }
        i = varEnd + len;
      } else if (type === Frame.Ack || type === Frame.AckEcn) {
        readVarint(p, i, end); // largest acknowledged
        readVarint(p, varEnd, end); // delay
        const ranges = readVarint(p, varEnd, end);
        let q = varEnd;
        const fields = 1 + 2 * ranges + (type === Frame.AckEcn ? 3 : 0);
        for (let k = 0; k < fields && q >= 0; k++) {
          readVarint(p, q, end);
          q = varEnd;
        }
        if (q < 0) break;
        i = q;
      } else if (type === Frame.Close || type === Frame.AppClose) {
        readVarint(p, i, end); // error code
        if (type === Frame.Close && varEnd >= 0) readVarint(p, varEnd, end); // frame type
        const len = varEnd < 0 ? 0 : readVarint(p, varEnd, end);
        if (varEnd < 0) break;
        i = varEnd + len;
      } else {
        this.#s.anomalies.add(QuicAnomaly.BadFrame); // no other frame may appear in an Initial
        return;
      }
    }
  }

  /** Parses the direction's hello once its CRYPTO bytes are whole. */
  #hello(stream: CryptoStream, isOrig: boolean): void {
    const have = stream.prefix();
    const b = stream.buf;
    if (b === null || have < 4) return;
    const need = 4 + ((b[1]! << 16) | (b[2]! << 8) | b[3]!);
    if (need > MAX_QUIC_CRYPTO) {
      stream.done = true;
      return;
    }
    if (have < need) return;
    stream.done = true;
    const s = this.#s;
    if (isOrig && b[0] === TLS_HANDSHAKE_CLIENT_HELLO) {
      if (parseClientHello(b, 4, need, s.client)) {
        this.#serverName = s.client.sni;
        this.#alpn = s.client.alpn.length > 0 ? [...s.client.alpn] : null;
        this.#ja4 = ja4(s.client, 'q');
      } else s.anomalies.add(QuicAnomaly.MalformedClientHello);
    } else if (!isOrig && b[0] === TLS_HANDSHAKE_SERVER_HELLO) {
      if (parseServerHello(b, 4, need, s.server)) this.#cipher = cipherName(s.server.cipher);
      else s.anomalies.add(QuicAnomaly.MalformedServerHello);
    }
  }
}
