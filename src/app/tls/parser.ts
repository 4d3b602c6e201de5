/**
 * TLS ClientHello and ServerHello parsing (RFC 8446 §4.1.2–4.1.3, RFC 5246 §7.4.1), from the handshake
 * message body. Pure and synchronous; never throws; every length is checked against its enclosing one.
 * Lists are kept in reused arrays, bounded, so a hostile hello cannot grow them.
 */
import { u16be } from '../../core/bytes.js';
import { bytesText } from '../text.js';

export const TLS_CONTENT_HANDSHAKE = 22;
export const TLS_HANDSHAKE_CLIENT_HELLO = 1;
export const TLS_HANDSHAKE_SERVER_HELLO = 2;
export const TLS_HANDSHAKE_CERTIFICATE = 11;
export const TLS_HANDSHAKE_SERVER_KEY_EXCHANGE = 12;
export const TLS_HANDSHAKE_SERVER_HELLO_DONE = 14;
export const TLS_CONTENT_CHANGE_CIPHER_SPEC = 20;
export const TLS_CONTENT_ALERT = 21;
export const TLS_CONTENT_APPLICATION_DATA = 23;
/** Longest session id (RFC 5246 §7.4.1.2). */
export const MAX_SESSION_ID = 32;

export const TlsExtension = {
  ServerName: 0x0000,
  SupportedGroups: 0x000a,
  EcPointFormats: 0x000b,
  SignatureAlgorithms: 0x000d,
  Alpn: 0x0010,
  SupportedVersions: 0x002b,
  PreSharedKey: 0x0029,
  KeyShare: 0x0033,
} as const;

/** Entries kept per list (cipher suites, extensions, groups…); a real hello has far fewer. */
export const MAX_TLS_LIST = 256;
/** ALPN protocols kept. */
const MAX_ALPN = 16;

/** RFC 8701 GREASE values: 0x?a?a with both bytes equal. */
export const isGrease = (v: number): boolean => (v & 0x0f0f) === 0x0a0a && v >>> 8 === (v & 0xff);

export class ClientHello {
  version = 0;
  readonly ciphers: number[] = [];
  /** Extension types in the order sent (GREASE included; fingerprints filter it). */
  readonly extensions: number[] = [];
  readonly groups: number[] = [];
  readonly pointFormats: number[] = [];
  readonly sigAlgs: number[] = [];
  readonly versions: number[] = [];
  readonly alpn: string[] = [];
  /** Raw bytes of the first ALPN value (JA4 uses them when they are not alphanumeric). */
  alpnFirst: Uint8Array | null = null;
  hasSni = false;
  sni: string | null = null;
  readonly sessionId = new Uint8Array(MAX_SESSION_ID);
  sessionIdLength = 0;

  reset(): void {
    this.version = 0;
    this.sessionIdLength = 0;
    this.ciphers.length = 0;
    this.extensions.length = 0;
    this.groups.length = 0;
    this.pointFormats.length = 0;
    this.sigAlgs.length = 0;
    this.versions.length = 0;
    this.alpn.length = 0;
    this.alpnFirst = null;
    this.hasSni = false;
    this.sni = null;
  }
}

export class ServerHello {
  version = 0;
  /** supported_versions' selected version; 0 when absent. */
  selectedVersion = 0;
  cipher = 0;
  alpn: string | null = null;
  /** key_share's group (a HelloRetryRequest names only the group); -1 when absent. */
  keyShareGroup = -1;
  /** A pre_shared_key extension: the server accepted a PSK (TLS 1.3 resumption). */
  pskAccepted = false;
  readonly sessionId = new Uint8Array(MAX_SESSION_ID);
  sessionIdLength = 0;

  reset(): void {
    this.version = this.selectedVersion = this.cipher = this.sessionIdLength = 0;
    this.alpn = null;
    this.keyShareGroup = -1;
    this.pskAccepted = false;
  }
}

/** Copies the session id at `p` (length byte first) into `out`; its length, or -1 when it overruns. */
function sessionId(b: Uint8Array, p: number, end: number, out: Uint8Array): number {
  const n = b[p]!;
  if (n > MAX_SESSION_ID || p + 1 + n > end) return -1;
  for (let i = 0; i < n; i++) out[i] = b[p + 1 + i]!;
  return n;
}

/** Reads a list of 16-bit values (`len` bytes at `off`) into `out`; false if `len` is odd or overruns. */
function u16List(b: Uint8Array, off: number, len: number, end: number, out: number[]): boolean {
  if ((len & 1) !== 0 || off + len > end) return false;
  for (let p = off; p < off + len && out.length < MAX_TLS_LIST; p += 2) out.push(u16be(b, p));
  return true;
}

/** Parses a ClientHello body [off, end); false when malformed (fields read before the fault are kept). */
export function parseClientHello(b: Uint8Array, off: number, end: number, out: ClientHello): boolean {
  out.reset();
  let p = off;
  if (end - p < 2 + 32 + 1) return false;
  out.version = u16be(b, p);
  p += 34; // version, random
  out.sessionIdLength = Math.max(0, sessionId(b, p, end, out.sessionId));
  p += 1 + b[p]!; // session id
  if (p + 2 > end) return false;
  const cipherLen = u16be(b, p);
  if (!u16List(b, p + 2, cipherLen, end, out.ciphers)) return false;
  p += 2 + cipherLen;
  if (p + 1 > end) return false;
  p += 1 + b[p]!; // compression methods
  if (p === end) return true; // no extensions (SSLv3-era hellos)
  if (p + 2 > end) return false;
  const extEnd = p + 2 + u16be(b, p);
  if (extEnd > end) return false;
  p += 2;
  while (p + 4 <= extEnd) {
    const type = u16be(b, p);
    const len = u16be(b, p + 2);
    const d = p + 4;
    const dEnd = d + len;
    if (dEnd > extEnd) return false;
    if (out.extensions.length < MAX_TLS_LIST) out.extensions.push(type);
    if (!clientExtension(b, type, d, dEnd, out)) return false;
    p = dEnd;
  }
  return p === extEnd;
}

function clientExtension(b: Uint8Array, type: number, d: number, end: number, out: ClientHello): boolean {
  switch (type) {
    case TlsExtension.ServerName: {
      out.hasSni = true;
      if (end - d < 2) return end === d; // an empty server_name (a server's echo) is allowed
      const listEnd = d + 2 + u16be(b, d);
      if (listEnd > end) return false;
      for (let p = d + 2; p + 3 <= listEnd;) {
        const nameLen = u16be(b, p + 1);
        if (p + 3 + nameLen > listEnd) return false;
        if (b[p] === 0 && out.sni === null) out.sni = bytesText(b, p + 3, p + 3 + nameLen);
        p += 3 + nameLen;
      }
      return true;
    }
    case TlsExtension.SupportedGroups:
      return end - d >= 2 && u16List(b, d + 2, u16be(b, d), end, out.groups);
    case TlsExtension.EcPointFormats: {
      if (end - d < 1 || d + 1 + b[d]! > end) return false;
      for (let p = d + 1; p < d + 1 + b[d]! && out.pointFormats.length < MAX_TLS_LIST; p++)
        out.pointFormats.push(b[p]!);
      return true;
    }
    case TlsExtension.SignatureAlgorithms:
      return end - d >= 2 && u16List(b, d + 2, u16be(b, d), end, out.sigAlgs);
    case TlsExtension.SupportedVersions:
      if (end - d < 1 || d + 1 + b[d]! > end || (b[d]! & 1) !== 0) return false;
      for (let p = d + 1; p < d + 1 + b[d]! && out.versions.length < MAX_TLS_LIST; p += 2)
        out.versions.push(u16be(b, p));
      return true;
    case TlsExtension.Alpn: {
      if (end - d < 2) return false;
      const listEnd = d + 2 + u16be(b, d);
      if (listEnd > end) return false;
      for (let p = d + 2; p < listEnd;) {
        const n = b[p]!;
        if (p + 1 + n > listEnd) return false;
        if (out.alpn.length === 0) out.alpnFirst = new Uint8Array(b.subarray(p + 1, p + 1 + n)); // a copy: b may be a Buffer
        if (out.alpn.length < MAX_ALPN) out.alpn.push(bytesText(b, p + 1, p + 1 + n));
        p += 1 + n;
      }
      return true;
    }
    default:
      return true;
  }
}

/** Parses a ServerHello body [off, end); false when malformed. */
export function parseServerHello(b: Uint8Array, off: number, end: number, out: ServerHello): boolean {
  out.reset();
  let p = off;
  if (end - p < 2 + 32 + 1) return false;
  out.version = u16be(b, p);
  p += 34;
  out.sessionIdLength = Math.max(0, sessionId(b, p, end, out.sessionId));
  p += 1 + b[p]!;
  if (p + 3 > end) return false;
  out.cipher = u16be(b, p);
  p += 3; // cipher, compression method
  if (p === end) return true;
  if (p + 2 > end) return false;
  const extEnd = p + 2 + u16be(b, p);
  if (extEnd > end) return false;
  p += 2;
  while (p + 4 <= extEnd) {
    const type = u16be(b, p);
    const d = p + 4;
    const dEnd = d + u16be(b, p + 2);
    if (dEnd > extEnd) return false;
    if (type === TlsExtension.SupportedVersions && dEnd - d === 2) out.selectedVersion = u16be(b, d);
    else if (type === TlsExtension.Alpn && dEnd - d >= 3) {
      const n = b[d + 2]!;
      if (d + 3 + n <= dEnd) out.alpn = bytesText(b, d + 3, d + 3 + n);
    } else if (type === TlsExtension.KeyShare && dEnd - d >= 2) out.keyShareGroup = u16be(b, d);
    else if (type === TlsExtension.PreSharedKey && dEnd - d === 2) out.pskAccepted = true;
    p = dEnd;
  }
  return p === extEnd;
}

/** Certificates of one Certificate message looked at; the rest of a longer chain is ignored. */
export const MAX_TLS_CERTIFICATES = 16;

/**
 * Splits a TLS ≤ 1.2 Certificate body [off, end) (RFC 5246 §7.4.2: a 24-bit list of 24-bit-length DER
 * certificates) into `offs`/`ends`, at most MAX_TLS_CERTIFICATES; false when a length overruns.
 */
export function parseCertificateList(
  b: Uint8Array,
  off: number,
  end: number,
  offs: number[],
  ends: number[],
): boolean {
  offs.length = ends.length = 0;
  if (end - off < 3) return false;
  const listEnd = off + 3 + ((b[off]! << 16) | u16be(b, off + 1));
  if (listEnd > end) return false;
  for (let p = off + 3; p < listEnd;) {
    if (p + 3 > listEnd) return false;
    const certEnd = p + 3 + ((b[p]! << 16) | u16be(b, p + 1));
    if (certEnd > listEnd) return false;
    if (offs.length < MAX_TLS_CERTIFICATES) {
      offs.push(p + 3);
      ends.push(certEnd);
    }
    p = certEnd;
  }
  return true;
}

/** ECParameters' curve_type for a named curve (RFC 8422 §5.4). */
const EC_NAMED_CURVE = 3;

/** The named curve of an ECDHE ServerKeyExchange body [off, end); -1 when it names none. */
export function serverKeyExchangeCurve(b: Uint8Array, off: number, end: number): number {
  return end - off >= 3 && b[off] === EC_NAMED_CURVE ? u16be(b, off + 1) : -1;
}
