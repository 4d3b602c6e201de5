/**
 * DNS message parser (RFC 1035): header, first question, answer section. Pure and synchronous; never throws,
 * every read is bounds-checked, names are decompressed with pointers that must go strictly backwards (so
 * every name terminates) and RFC 1035's length limits. Imports core only.
 */
import { formatIPv4, formatIPv6 } from '../../core/addr.js';
import { u16be, u32be } from '../../core/bytes.js';
import { bytesText } from '../text.js';
import { DnsAnomaly } from './anomalies.js';

/** DNS, multicast DNS (RFC 6762) and LLMNR (RFC 4795) ports. */
export const PORT_DNS = 53;
export const PORT_MDNS = 5353;
export const PORT_LLMNR = 5355;

export const DNS_HEADER_LEN = 12;
/** RFC 1035 §2.3.4: 255 bytes per name (wire form), so at most 127 labels. */
export const MAX_DNS_NAME = 255;
export const MAX_DNS_LABELS = 127;
/** Answers kept per message; later ones are skipped (a record is a summary, not a capture). */
export const MAX_DNS_ANSWERS = 32;
/** Resource records walked per message at most (each costs a name walk). */
const MAX_DNS_RRS = 256;

export const DnsType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  HINFO: 13,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  NAPTR: 35,
  OPT: 41,
  DS: 43,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  NSEC3: 50,
  TLSA: 52,
  SVCB: 64,
  HTTPS: 65,
  SPF: 99,
  AXFR: 252,
  ANY: 255,
  CAA: 257,
} as const;

export const DNS_TYPE_NAMES = new Map<number, string>(Object.entries(DnsType).map(([k, v]) => [v, k]));

/** RFC 1035/2136/6895 response codes. */
export const DNS_RCODE_NAMES: readonly string[] = [
  'NOERROR',
  'FORMERR',
  'SERVFAIL',
  'NXDOMAIN',
  'NOTIMP',
  'REFUSED',
  'YXDOMAIN',
  'YXRRSET',
  'NXRRSET',
  'NOTAUTH',
  'NOTZONE',
];

/** One parsed message; reused for every message (STYLE.md E1). Strings are copies, safe to keep. */
export class DnsMessage {
  id = 0;
  qr = false;
  opcode = 0;
  aa = false;
  tc = false;
  rd = false;
  ra = false;
  rcode = 0;
  qdcount = 0;
  ancount = 0;
  hasQuestion = false;
  qname = '';
  qtype = 0;
  qclass = 0;
  readonly answers: string[] = [];
  readonly ttls: number[] = [];
  /**
   * With `localHosts` asked for (mDNS): the `.local` owner name and address text of each A/AAAA answer, in
   * pairs (name, address, …). Announcements carry no question, so this is where a device's name is.
   */
  readonly localHosts: string[] = [];
  /** Bit (1 << DnsAnomaly) per anomaly met. */
  anomalies = 0;
}

const bit = (a: DnsAnomaly): number => 1 << a;

/** The text of the last name read by readName (set only when asked to keep it). */
let nameText = '';
/** The kept name's label bytes joined by dots, made into text once at its end (names are at most 255 bytes). */
const nameBytes = new Uint8Array(256);

/**
 * Reads the (possibly compressed) name at `off` of the message starting at `msg`; returns the offset after
 * it in the original position, or -1. Each pointer must point below every position the walk has visited
 * before, so a loop is impossible and the walk is bounded by the message size.
 */
function readName(
  b: Uint8Array,
  msg: number,
  off: number,
  end: number,
  keep: boolean,
  out: DnsMessage,
): number {
  let p = off;
  let next = -1;
  let limit = off;
  let labels = 0;
  let len = 1;
  let textLen = 0;
  for (;;) {
    if (p >= end) {
      out.anomalies |= bit(DnsAnomaly.TruncatedAnswer);
      return -1;
    }
    const c = b[p]!;
    if (c === 0) {
      if (next < 0) next = p + 1;
      break;
    }
    const kind = c & 0xc0;
    if (kind === 0xc0) {
      if (p + 1 >= end) {
        out.anomalies |= bit(DnsAnomaly.TruncatedAnswer);
        return -1;
      }
      const target = msg + (((c & 0x3f) << 8) | b[p + 1]!);
      if (next < 0) next = p + 2;
      if (target >= limit) {
        out.anomalies |= bit(DnsAnomaly.PointerLoop);
        return -1;
      }
      limit = p = target;
      continue;
    }
    if (kind !== 0) {
      out.anomalies |= bit(DnsAnomaly.BadLabelType);
      return -1;
    }
    if (++labels > MAX_DNS_LABELS) {
      out.anomalies |= bit(DnsAnomaly.TooManyLabels);
      return -1;
    }
    len += c + 1;
    if (len > MAX_DNS_NAME) {
      out.anomalies |= bit(DnsAnomaly.NameTooLong);
      return -1;
    }
    if (p + 1 + c > end) {
      out.anomalies |= bit(DnsAnomaly.TruncatedAnswer);
      return -1;
    }
    if (keep) {
      // A '.' byte inside a label reads as '.' either way: joining the bytes first gives the same text.
      if (labels > 1) nameBytes[textLen++] = 0x2e;
      for (let k = p + 1; k <= p + c; k++) nameBytes[textLen++] = b[k]!;
    }
    p += 1 + c;
  }
  if (keep) nameText = bytesText(nameBytes, 0, textLen);
  return next;
}

/**
 * Parses the message in [off, end). Returns false when not even the header is there; otherwise true, with
 * whatever could be read filled in and anomalies flagged (a cut answer section keeps the answers before it).
 * Answers are read for responses only.
 */
export function parseDnsMessage(
  b: Uint8Array,
  off: number,
  end: number,
  out: DnsMessage,
  localHosts = false,
): boolean {
  out.anomalies = 0;
  out.hasQuestion = false;
  out.qname = '';
  out.qtype = out.qclass = 0;
  out.answers.length = 0;
  out.localHosts.length = 0;
  out.ttls.length = 0;
  if (end - off < DNS_HEADER_LEN) {
    out.anomalies |= bit(DnsAnomaly.TruncatedHeader);
    return false;
  }
  out.id = u16be(b, off);
  const flags = u16be(b, off + 2);
  out.qr = (flags & 0x8000) !== 0;
  out.opcode = (flags >>> 11) & 0xf;
  out.aa = (flags & 0x0400) !== 0;
  out.tc = (flags & 0x0200) !== 0;
  out.rd = (flags & 0x0100) !== 0;
  out.ra = (flags & 0x0080) !== 0;
  out.rcode = flags & 0xf;
  out.qdcount = u16be(b, off + 4);
  out.ancount = u16be(b, off + 6);
  let p = off + DNS_HEADER_LEN;
  // The first question is the transaction's; further ones (rare, mDNS) are walked over.
  for (let q = 0; q < out.qdcount && q < MAX_DNS_RRS; q++) {
    const n = readName(b, off, p, end, q === 0, out);
    if (n < 0 || n + 4 > end) {
      out.anomalies |= bit(DnsAnomaly.TruncatedQuestion);
      out.anomalies &= ~bit(DnsAnomaly.TruncatedAnswer);
      return true;
    }
    if (q === 0) {
      out.hasQuestion = true;
      out.qname = nameText;
      out.qtype = u16be(b, n);
      out.qclass = u16be(b, n + 2);
    }
    p = n + 4;
  }
  if (!out.qr) return true;
  for (let a = 0; a < out.ancount && a < MAX_DNS_RRS; a++) {
    const n = readName(b, off, p, end, localHosts, out);
    if (n < 0) return true;
    const owner = localHosts ? nameText : '';
    if (n + 10 > end) {
      out.anomalies |= bit(DnsAnomaly.TruncatedAnswer);
      return true;
    }
    const type = u16be(b, n);
    const ttl = u32be(b, n + 4);
    const rdOff = n + 10;
    const rdEnd = rdOff + u16be(b, n + 8);
    if (rdEnd > end) {
      out.anomalies |= bit(DnsAnomaly.TruncatedAnswer);
      return true;
    }
    p = rdEnd;
    if (out.answers.length >= MAX_DNS_ANSWERS) continue;
    const text = answerText(b, off, type, rdOff, rdEnd, end, out);
    if (text !== null) {
      out.answers.push(text);
      out.ttls.push(ttl);
      if (localHosts && (type === DnsType.A || type === DnsType.AAAA) && isLocalName(owner))
        out.localHosts.push(owner.slice(0, -LOCAL_SUFFIX.length), text);
    }
  }
  return true;
}

const LOCAL_SUFFIX = '.local';
const isLocalName = (name: string): boolean =>
  name.length > LOCAL_SUFFIX.length && name.slice(-LOCAL_SUFFIX.length).toLowerCase() === LOCAL_SUFFIX;

/** The answers-column text of one resource record, as Zeek renders it; null for types not logged. */
function answerText(
  b: Uint8Array,
  msg: number,
  type: number,
  rdOff: number,
  rdEnd: number,
  end: number,
  out: DnsMessage,
): string | null {
  const rdLen = rdEnd - rdOff;
  switch (type) {
    case DnsType.A:
      return rdLen === 4 ? formatIPv4(b, rdOff) : null;
    case DnsType.AAAA:
      return rdLen === 16 ? formatIPv6(b, rdOff) : null;
    case DnsType.CNAME:
    case DnsType.PTR:
    case DnsType.NS:
      return rdLen > 0 && readName(b, msg, rdOff, end, true, out) >= 0 ? nameText : null;
    case DnsType.MX:
      return rdLen > 2 && readName(b, msg, rdOff + 2, end, true, out) >= 0 ? nameText : null;
    case DnsType.SRV:
      return rdLen > 6 && readName(b, msg, rdOff + 6, end, true, out) >= 0 ? nameText : null;
    case DnsType.TXT: {
      // Character-strings: a length byte each; the text length is what is logged.
      let bytes = 0;
      for (let p = rdOff; p < rdEnd; p += 1 + b[p]!) bytes += Math.min(b[p]!, rdEnd - p - 1);
      return `TXT ${bytes}`;
    }
    default:
      return null;
  }
}
