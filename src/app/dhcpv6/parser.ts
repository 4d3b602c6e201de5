/**
 * DHCPv6 message parsing (RFC 8415): message type, transaction id, and the options an inventory wants:
 * client and server DUIDs (the MAC inside a link-layer DUID), addresses in IA_NA/IA_TA, prefixes in
 * IA_PD, the client FQDN (RFC 4704) and vendor class. Relayed messages are unwrapped to the message they
 * carry. Pure and synchronous; never throws; every option length is checked against its enclosing one.
 */
import { formatIPv6 } from '../../core/addr.js';
import { u16be, u32be } from '../../core/bytes.js';
import { hexText, macText, wireNameText } from '../dhcp/parser.js';
import { bytesText } from '../text.js';
import { Dhcpv6Anomaly } from './anomalies.js';

export const PORT_DHCPV6_CLIENT = 546;
export const PORT_DHCPV6_SERVER = 547;

/** Message types (RFC 8415 §7.3); RELAY-FORW and RELAY-REPL wrap another message. */
export const DHCPV6_MESSAGE_TYPES: readonly string[] = [
  '',
  'SOLICIT',
  'ADVERTISE',
  'REQUEST',
  'CONFIRM',
  'RENEW',
  'REBIND',
  'REPLY',
  'RELEASE',
  'DECLINE',
  'RECONFIGURE',
  'INFORMATION-REQUEST',
  'RELAY-FORW',
  'RELAY-REPL',
];
export const DHCPV6_ADVERTISE = 2;
export const DHCPV6_REPLY = 7;
const RELAY_FORW = 12;
const RELAY_REPL = 13;
/** Relay agents a message may pass (RFC 8415 §7.6 HOP_COUNT_LIMIT). */
const MAX_RELAY_DEPTH = 8;
/** Addresses and prefixes kept per message. */
export const MAX_DHCPV6_ADDRESSES = 16;
/** Longest DUID kept (RFC 8415 §11.1: at most 128 octets after the type). */
const MAX_DUID = 130;

const Option = {
  ClientId: 1,
  ServerId: 2,
  IaNa: 3,
  IaTa: 4,
  IaAddr: 5,
  RelayMessage: 9,
  VendorClass: 16,
  IaPd: 25,
  IaPrefix: 26,
  ClientFqdn: 39,
} as const;

export class Dhcpv6Message {
  /** Message type; 0 when the message is unusable. */
  type = 0;
  xid = 0;
  clientDuid: string | null = null;
  serverDuid: string | null = null;
  /** The client's MAC from a link-layer DUID (types 1 and 3) of an Ethernet client. */
  mac: string | null = null;
  fqdn: string | null = null;
  vendorClass: string | null = null;
  readonly addresses: string[] = [];
  readonly prefixes: string[] = [];

  reset(): void {
    this.type = this.xid = 0;
    this.clientDuid = this.serverDuid = this.mac = this.fqdn = this.vendorClass = null;
    this.addresses.length = this.prefixes.length = 0;
  }
}

/** A link-layer DUID's MAC (DUID-LLT: type 1, hardware type, time; DUID-LL: type 3, hardware type). */
function duidMac(b: Uint8Array, off: number, end: number): string | null {
  if (end - off < 4 || u16be(b, off + 2) !== 1) return null;
  const type = u16be(b, off);
  const at = type === 1 ? off + 8 : type === 3 ? off + 4 : -1;
  return at >= 0 && end - at === 6 ? macText(b, at) : null;
}

/**
 * Options in [off, end) into `m`; `ia` is set inside IA_NA/IA_TA/IA_PD, whose options nest one level.
 * Returns -1 or the anomaly met.
 */
function options(b: Uint8Array, off: number, end: number, m: Dhcpv6Message, ia: boolean): number {
  let p = off;
  while (p < end) {
    if (end - p < 4) return Dhcpv6Anomaly.TruncatedOption;
    const code = u16be(b, p);
    const v = p + 4;
    const vEnd = v + u16be(b, p + 2);
    if (vEnd > end) return Dhcpv6Anomaly.TruncatedOption;
    let r = -1;
    if (ia) {
      if (code === Option.IaAddr && vEnd - v >= 24 && m.addresses.length < MAX_DHCPV6_ADDRESSES)
        m.addresses.push(formatIPv6(b, v));
      else if (code === Option.IaPrefix && vEnd - v >= 25 && m.prefixes.length < MAX_DHCPV6_ADDRESSES)
        m.prefixes.push(`${formatIPv6(b, v + 9)}/${b[v + 8]!}`);
    } else {
      switch (code) {
        case Option.ClientId:
          if (vEnd - v >= 2 && vEnd - v <= MAX_DUID) {
            m.clientDuid = hexText(b, v, vEnd);
            m.mac = duidMac(b, v, vEnd);
          }
          break;
        case Option.ServerId:
          if (vEnd - v >= 2 && vEnd - v <= MAX_DUID) m.serverDuid = hexText(b, v, vEnd);
          break;
        case Option.IaNa:
        case Option.IaPd:
          if (vEnd - v >= 12) r = options(b, v + 12, vEnd, m, true);
          break;
        case Option.IaTa:
          if (vEnd - v >= 4) r = options(b, v + 4, vEnd, m, true);
          break;
        case Option.ClientFqdn:
          if (vEnd - v >= 1) m.fqdn = wireNameText(b, v + 1, vEnd);
          break;
        case Option.VendorClass:
          // enterprise number, then opaque data each behind a 16-bit length: the first one is kept
          if (vEnd - v >= 6) {
            const n = u16be(b, v + 4);
            if (v + 6 + n <= vEnd) m.vendorClass = bytesText(b, v + 6, v + 6 + Math.min(n, 255));
          }
          break;
      }
    }
    if (r >= 0) return r;
    p = vEnd;
  }
  return -1;
}

/** Bounds of the RELAY-MESSAGE option's value in the relay message [off, end); null when it has none. */
function relayed(b: Uint8Array, off: number, end: number): [number, number] | null {
  for (let p = off + 34; p + 4 <= end;) {
    const vEnd = p + 4 + u16be(b, p + 2);
    if (vEnd > end) return null;
    if (u16be(b, p) === Option.RelayMessage) return [p + 4, vEnd];
    p = vEnd;
  }
  return null;
}

/** Parses the DHCPv6 message [off, end) into `m`; returns -1 or the Dhcpv6Anomaly met (`m.type` 0: unusable). */
export function parseDhcpv6Message(b: Uint8Array, off: number, end: number, m: Dhcpv6Message): number {
  m.reset();
  let o = off;
  let e = end;
  for (let depth = 0; ; depth++) {
    if (e - o < 4) return Dhcpv6Anomaly.TruncatedHeader;
    const type = b[o]!;
    if (type !== RELAY_FORW && type !== RELAY_REPL) break;
    if (depth === MAX_RELAY_DEPTH) return Dhcpv6Anomaly.RelayTooDeep;
    if (e - o < 34) return Dhcpv6Anomaly.TruncatedHeader;
    const inner = relayed(b, o, e);
    if (inner === null) return Dhcpv6Anomaly.TruncatedOption;
    [o, e] = inner;
  }
  const type = b[o]!;
  if (type === 0) return -1; // reserved: not a message
  m.xid = u32be(b, o) & 0xffffff;
  const r = options(b, o + 4, e, m, false);
  m.type = type;
  return r;
}
