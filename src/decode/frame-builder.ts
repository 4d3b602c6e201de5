/**
 * Hand-built frames for the decoder's unit tests: small byte-array builders, one per header, that produce
 * valid headers by default and let a test override any field to make them truncated or malformed.
 */
import { PacketDecoder } from './decoder.js';
import { DecodedPacket } from './packet.js';

export type Bytes = Uint8Array | readonly number[];

export function hex(s: string): Uint8Array {
  const clean = s.replace(/[^0-9a-fA-F]/g, '');
  const out = new Uint8Array(clean.length >>> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function cat(...parts: Bytes[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export const be16 = (v: number): number[] => [(v >>> 8) & 0xff, v & 0xff];
export const be32 = (v: number): number[] => [
  (v >>> 24) & 0xff,
  (v >>> 16) & 0xff,
  (v >>> 8) & 0xff,
  v & 0xff,
];
export const le16 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff];
export const le32 = (v: number): number[] => [
  v & 0xff,
  (v >>> 8) & 0xff,
  (v >>> 16) & 0xff,
  (v >>> 24) & 0xff,
];

export const MAC_A = [0x02, 0x00, 0x00, 0x00, 0x00, 0x0a];
export const MAC_B = [0x02, 0x00, 0x00, 0x00, 0x00, 0x0b];

/** Ethernet II header + payload. */
export function eth(type: number, payload: Bytes): Uint8Array {
  return cat(MAC_A, MAC_B, be16(type), payload);
}

/** One 802.1Q-style tag (TCI + next type) to put between an Ethernet header and its payload. */
export function vlanTag(vid: number, nextType: number, priority = 0): number[] {
  return [...be16(((priority & 7) << 13) | (vid & 0xfff)), ...be16(nextType)];
}

export interface Ipv4Options {
  proto: number;
  payload?: Bytes;
  src?: readonly number[];
  dst?: readonly number[];
  options?: readonly number[];
  /** Header length field in 32-bit words; default from the options. */
  ihl?: number;
  /** Total length field; default header + payload. */
  totalLength?: number;
  /** Fragment offset in bytes (multiple of 8) and the MF flag. */
  fragOffset?: number;
  moreFragments?: boolean;
  version?: number;
}

export const IP_A = [192, 0, 2, 1];
export const IP_B = [198, 51, 100, 2];

export function ipv4(o: Ipv4Options): Uint8Array {
  const opts = o.options ?? [];
  const hdrLen = 20 + opts.length;
  const payload = o.payload ?? [];
  const ihl = o.ihl ?? hdrLen / 4;
  const total = o.totalLength ?? hdrLen + payload.length;
  const frag = ((o.fragOffset ?? 0) >>> 3) | (o.moreFragments === true ? 0x2000 : 0);
  return cat(
    [((o.version ?? 4) << 4) | (ihl & 0x0f), 0, ...be16(total), 0x12, 0x34, ...be16(frag), 64, o.proto, 0, 0],
    o.src ?? IP_A,
    o.dst ?? IP_B,
    opts,
    payload,
  );
}

export const IP6_A = hex('20010db8000000000000000000000001');
export const IP6_B = hex('20010db8000000000000000000000002');

export interface Ipv6Options {
  nextHeader: number;
  payload?: Bytes;
  /** Payload length field; default the payload's length. */
  payloadLength?: number;
  src?: Bytes;
  dst?: Bytes;
}

export function ipv6(o: Ipv6Options): Uint8Array {
  const payload = o.payload ?? [];
  return cat(
    [0x60, 0, 0, 0, ...be16(o.payloadLength ?? payload.length), o.nextHeader, 64],
    o.src ?? IP6_A,
    o.dst ?? IP6_B,
    payload,
  );
}

/** An 8-byte options header (hop-by-hop or destination options) holding one PadN option. */
export function optionsHeader(next: number): number[] {
  return [next, 0, 0x01, 0x04, 0, 0, 0, 0];
}

export interface TcpOptions {
  sport?: number;
  dport?: number;
  /** The 12 flag bits. */
  flags?: number;
  /** Data offset in 32-bit words; default 5. */
  dataOffset?: number;
  payload?: Bytes;
  seq?: number;
  ack?: number;
}

export function tcp(o: TcpOptions = {}): Uint8Array {
  const doff = o.dataOffset ?? 5;
  const flags = o.flags ?? 0x002;
  const options = new Array<number>(Math.max(0, doff - 5) * 4).fill(0x01);
  return cat(
    be16(o.sport ?? 40000),
    be16(o.dport ?? 80),
    be32(o.seq ?? 0x01020304),
    be32(o.ack ?? 0),
    [(doff << 4) | ((flags >>> 8) & 0x0f), flags & 0xff],
    be16(0xffff),
    [0, 0, 0, 0],
    options,
    o.payload ?? [],
  );
}

export function udp(sport: number, dport: number, payload: Bytes = [], length?: number): Uint8Array {
  return cat(be16(sport), be16(dport), be16(length ?? 8 + payload.length), [0, 0], payload);
}

export function icmp(
  type: number,
  code: number,
  rest: Bytes = [0, 0, 0, 0],
  payload: Bytes = [],
): Uint8Array {
  return cat([type, code, 0, 0], rest, payload);
}

/** Decodes one frame with a fresh decoder; the frame sits alone in its own buffer. */
export function decodeFrame(
  frame: Uint8Array,
  linkType = 1,
  wireLen = -1,
): { out: DecodedPacket; decoder: PacketDecoder } {
  const decoder = new PacketDecoder();
  const out = new DecodedPacket();
  decoder.decode(frame, 0, frame.length, linkType, out, wireLen);
  return { out, decoder };
}
