/**
 * Flow keys: the outer 5-tuple (plus VLAN) read from a decoded packet into a reusable scratch object, a
 * symmetric 32-bit hash (both directions hash alike, as gopacket's Flow.FastHash), and ICMP type/code
 * mapped to ports the way Zeek and Community ID do.
 */
import { Network, type DecodedPacket } from '../decode/packet.js';

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_SCTP = 132;

/**
 * ICMP "counterpart" types (Zeek's ICMP4_counterpart/ICMP6_counterpart, Community ID spec §ICMP): a request
 * and its reply share one flow, keyed src port = type, dst port = counterpart type. Types with no
 * counterpart (-1 here) are one-way: dst port = code, and Community ID does not reorder their tuple.
 */
export const ICMP4_COUNTERPART = new Int16Array(256).fill(-1);
export const ICMP6_COUNTERPART = new Int16Array(256).fill(-1);
// prettier-ignore
for (const [a, b] of [[8, 0], [13, 14], [15, 16], [10, 9], [17, 18]] as const) {
  ICMP4_COUNTERPART[a] = b;
  ICMP4_COUNTERPART[b] = a;
}
// prettier-ignore
for (const [a, b] of [[128, 129], [133, 134], [135, 136], [130, 131], [139, 140], [144, 145]] as const) {
  ICMP6_COUNTERPART[a] = b;
  ICMP6_COUNTERPART[b] = a;
}

/**
 * The tuple of the packet being processed, in packet direction. Overwritten for every packet (STYLE.md E1).
 * Addresses are big-endian 32-bit words, so comparing words compares addresses byte by byte.
 */
export class PacketTuple {
  v6 = false;
  proto = 0;
  /** Ports, or ICMP type / counterpart-or-code; 0 for protocols without ports. */
  sport = 0;
  dport = 0;
  /** ICMP without a counterpart type: Community ID keeps its direction. */
  oneWay = false;
  vlan = -1;
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  /** Whether (src, sport) sorts before or equal to (dst, dport): src is the key's side A. */
  srcIsA = true;
  hash = 0;
}

const fmix = (h: number): number => {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
};

const word = (b: Uint8Array, o: number): number =>
  ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

/**
 * Fills `t` from a decoded IP packet. Returns false when the packet cannot be keyed: TCP/UDP without
 * readable ports (a non-first fragment, a cut header), ICMP without a type. The caller handles fragments.
 */
export function readTuple(b: Uint8Array, d: DecodedPacket, t: PacketTuple): boolean {
  const v6 = d.network === Network.IPv6;
  const proto = d.ipProto;
  let sport = 0;
  let dport = 0;
  let oneWay = false;
  if (proto === IPPROTO_TCP || proto === IPPROTO_UDP) {
    if (d.srcPort < 0) return false;
    sport = d.srcPort;
    dport = d.dstPort;
  } else if (proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6) {
    if (d.icmpType < 0) return false;
    const cp = (proto === IPPROTO_ICMP ? ICMP4_COUNTERPART : ICMP6_COUNTERPART)[d.icmpType]!;
    sport = d.icmpType;
    if (cp >= 0) dport = cp;
    else {
      dport = d.icmpCode < 0 ? 0 : d.icmpCode;
      oneWay = true;
    }
  } else if (proto === IPPROTO_SCTP) {
    // The decoder stops at SCTP; its common header starts with the ports (Community ID hashes them).
    if (d.fragOffset !== 0 || d.l4Off < 0 || d.payloadEnd - d.l4Off < 4) return false;
    sport = (b[d.l4Off]! << 8) | b[d.l4Off + 1]!;
    dport = (b[d.l4Off + 2]! << 8) | b[d.l4Off + 3]!;
  } else if (proto < 0) {
    return false;
  }
  t.v6 = v6;
  t.proto = proto;
  t.sport = sport;
  t.dport = dport;
  t.oneWay = oneWay;
  t.vlan = d.vlan;
  const s = t.src;
  const r = t.dst;
  let hs: number;
  let hd: number;
  if (v6) {
    const so = d.srcOff;
    const dO = d.dstOff;
    s[0] = word(b, so);
    s[1] = word(b, so + 4);
    s[2] = word(b, so + 8);
    s[3] = word(b, so + 12);
    r[0] = word(b, dO);
    r[1] = word(b, dO + 4);
    r[2] = word(b, dO + 8);
    r[3] = word(b, dO + 12);
    hs = fmix(s[0]! ^ fmix(s[1]! ^ fmix(s[2]! ^ fmix(s[3]! ^ sport))));
    hd = fmix(r[0]! ^ fmix(r[1]! ^ fmix(r[2]! ^ fmix(r[3]! ^ dport))));
  } else {
    s[0] = word(b, d.srcOff);
    s[1] = s[2] = s[3] = 0;
    r[0] = word(b, d.dstOff);
    r[1] = r[2] = r[3] = 0;
    hs = fmix(s[0]! ^ Math.imul(sport + 1, 0x9e3779b1));
    hd = fmix(r[0]! ^ Math.imul(dport + 1, 0x9e3779b1));
  }
  // Addition commutes: both directions of a flow hash alike.
  t.hash = fmix((hs + hd) ^ Math.imul(proto + 1, 0x27d4eb2f) ^ Math.imul(d.vlan + 2, 0x165667b1)) >>> 0;
  t.srcIsA = compareEnds(s, sport, r, dport) <= 0;
  return true;
}

/** Orders two (address, port) ends as Community ID and Zeek do: address bytes first, then port. */
export function compareEnds(a: Uint32Array, ap: number, b: Uint32Array, bp: number): number {
  for (let i = 0; i < 4; i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return ap - bp;
}
