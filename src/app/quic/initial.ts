/**
 * QUIC Initial packets (RFC 9000 §17.2.2, RFC 9001 §5): the long header, the Initial keys every observer
 * can derive from the client's first Destination Connection ID (HKDF-SHA256 with the version's published
 * salt), header protection removal (AES-128-ECB over the sample) and payload decryption (AES-128-GCM).
 * QUIC v1 and draft-29. Never throws: a packet that does not decrypt is reported as such.
 */
import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import { u32be } from '../../core/bytes.js';

export const QUIC_V1 = 0x00000001;
export const QUIC_DRAFT_29 = 0xff00001d;

/** Initial salts: RFC 9001 §5.2 (v1) and draft-ietf-quic-tls-29 §5.2. */
const INITIAL_SALT: ReadonlyMap<number, Buffer> = new Map([
  [QUIC_V1, Buffer.from('38762cf7f55934b34d179ae6a4c80cadccbb7f0a', 'hex')],
  [QUIC_DRAFT_29, Buffer.from('afbfec289993d24c9e9786f19c6111e04390a899', 'hex')],
]);

export const isInitialVersion = (v: number): boolean => INITIAL_SALT.has(v);
export const quicVersionName = (v: number): string =>
  v === QUIC_V1 ? '1' : v === QUIC_DRAFT_29 ? 'draft-29' : `0x${v.toString(16)}`;

/** The largest connection ID QUIC v1 allows (RFC 9000 §17.2). */
const MAX_CID = 20;
const TAG = 16;
const SAMPLE = 16;

/** One direction's Initial keys. */
export interface InitialKeys {
  readonly key: Buffer;
  readonly iv: Buffer;
  readonly hp: Buffer;
}

/** HKDF-Expand-Label (RFC 8446 §7.1) with an empty context, for outputs up to one SHA-256 block. */
function expandLabel(secret: Buffer, label: string, length: number): Buffer {
  const full = Buffer.from(`tls13 ${label}`, 'latin1');
  const info = Buffer.concat([Buffer.from([0, length, full.length]), full, Buffer.from([0, 1])]);
  return createHmac('sha256', secret).update(info).digest().subarray(0, length);
}

/** Client and server Initial keys for `version` from the client's first DCID; null for other versions. */
export function initialKeys(
  version: number,
  dcid: Uint8Array,
): { client: InitialKeys; server: InitialKeys } | null {
  const salt = INITIAL_SALT.get(version);
  if (salt === undefined) return null;
  const initial = createHmac('sha256', salt).update(dcid).digest();
  const side = (label: string): InitialKeys => {
    const secret = expandLabel(initial, label, 32);
    return {
      key: expandLabel(secret, 'quic key', 16),
      iv: expandLabel(secret, 'quic iv', 12),
      hp: expandLabel(secret, 'quic hp', 16),
    };
  };
  return { client: side('client in'), server: side('server in') };
}

/** A QUIC variable-length integer at `p` (RFC 9000 §16); sets `varEnd` to the offset after it, -1 if cut. */
export let varEnd = 0;
export function readVarint(b: Uint8Array, p: number, end: number): number {
  if (p >= end) {
    varEnd = -1;
    return 0;
  }
  const n = 1 << (b[p]! >> 6);
  if (p + n > end) {
    varEnd = -1;
    return 0;
  }
  let v = b[p]! & 0x3f;
  for (let i = 1; i < n; i++) v = v * 256 + b[p + i]!;
  varEnd = p + n;
  return v;
}

/** The fields of an Initial packet's long header. */
export class InitialHeader {
  version = 0;
  dcidOff = 0;
  dcidLen = 0;
  /**
   * Offset of the packet number (still protected), and the end of the packet by its Length field: beyond
   * the captured bytes when the capture cut the datagram (the DCID, and with it the keys, are still known).
   */
  pnOff = 0;
  end = 0;

  /** Parses the long header at `off`; false when it is no Initial of a known version or the header is cut. */
  parse(b: Uint8Array, off: number, end: number): boolean {
    if (end - off < 7) return false;
    const first = b[off]!;
    // Long header, fixed bit, packet type 0 (Initial in v1 and draft-29).
    if ((first & 0xf0) !== 0xc0) return false;
    this.version = u32be(b, off + 1);
    if (!isInitialVersion(this.version)) return false;
    let p = off + 5;
    this.dcidLen = b[p]!;
    if (this.dcidLen > MAX_CID) return false;
    this.dcidOff = p + 1;
    p = this.dcidOff + this.dcidLen;
    if (p >= end) return false;
    const scidLen = b[p]!;
    if (scidLen > MAX_CID) return false;
    p += 1 + scidLen;
    const tokenLen = readVarint(b, p, end);
    if (varEnd < 0) return false;
    p = varEnd + tokenLen;
    const length = readVarint(b, p, end);
    if (varEnd < 0) return false;
    this.pnOff = varEnd;
    this.end = this.pnOff + length;
    return length >= 4 + SAMPLE;
  }
}

/**
 * Removes header protection and decrypts the Initial packet [off, h.end) with `keys`; returns the frames
 * (plaintext) or null when the packet does not authenticate (other keys, damage).
 */
export function decryptInitial(
  b: Uint8Array,
  off: number,
  h: InitialHeader,
  keys: InitialKeys,
): Buffer | null {
  try {
    const sample = b.subarray(h.pnOff + 4, h.pnOff + 4 + SAMPLE);
    const ecb = createCipheriv('aes-128-ecb', keys.hp, null);
    const mask = ecb.update(sample);
    const header = Buffer.from(b.subarray(off, h.pnOff + 4));
    header[0]! ^= mask[0]! & 0x0f;
    const pnLen = (header[0]! & 0x03) + 1;
    const pnAt = h.pnOff - off;
    const nonce = Buffer.from(keys.iv);
    for (let i = 0; i < pnLen; i++) {
      header[pnAt + i]! ^= mask[1 + i]!;
      nonce[12 - pnLen + i]! ^= header[pnAt + i]!;
    }
    const payloadOff = h.pnOff + pnLen;
    if (h.end - payloadOff < TAG) return null;
    const gcm = createDecipheriv('aes-128-gcm', keys.key, nonce);
    gcm.setAAD(header.subarray(0, pnAt + pnLen));
    gcm.setAuthTag(b.subarray(h.end - TAG, h.end));
    const plain = gcm.update(b.subarray(payloadOff, h.end - TAG));
    gcm.final();
    return plain;
  } catch {
    return null; // the tag did not verify
  }
}
