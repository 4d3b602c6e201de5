/**
 * DHCPv4 message parsing (RFC 2131 BOOTP header, RFC 2132 options): the fixed header, the magic cookie and
 * the options an inventory and Zeek's dhcp.log want. Pure and synchronous; never throws; every option
 * length is checked against the message end. One reused DhcpMessage per pipeline.
 */
import { u32be } from '../../core/bytes.js';
import { formatIPv4 } from '../../core/addr.js';
import { bytesText } from '../text.js';
import { DhcpAnomaly } from './anomalies.js';

export const PORT_DHCP_SERVER = 67;
export const PORT_DHCP_CLIENT = 68;

const BOOTP_HEADER = 236;
const MAGIC_COOKIE = 0x63825363;
/** Longest host name, domain or vendor class kept (a DNS name's limit). */
const MAX_TEXT = 255;

export const DhcpOption = {
  Pad: 0,
  DomainName: 15,
  HostName: 12,
  RequestedAddress: 50,
  LeaseTime: 51,
  MessageType: 53,
  ServerId: 54,
  ParameterRequestList: 55,
  VendorClass: 60,
  ClientIdentifier: 61,
  ClientFqdn: 81,
  End: 255,
} as const;

/** Option 53 values (RFC 2132 §9.6, RFC 4388 for LEASEQUERY and after). */
export const DHCP_MESSAGE_TYPES: readonly string[] = [
  '',
  'DISCOVER',
  'OFFER',
  'REQUEST',
  'DECLINE',
  'ACK',
  'NAK',
  'RELEASE',
  'INFORM',
  'FORCERENEW',
  'LEASEQUERY',
  'LEASEUNASSIGNED',
  'LEASEUNKNOWN',
  'LEASEACTIVE',
];
export const DHCP_ACK = 5;
export const DHCP_NAK = 6;

export class DhcpMessage {
  op = 0;
  xid = 0;
  /** Message type (option 53); 0 when absent (plain BOOTP). */
  type = 0;
  ciaddr = '';
  yiaddr = '';
  /** chaddr as aa:bb:cc:dd:ee:ff when htype is Ethernet with a 6-byte address, else null. */
  mac: string | null = null;
  hostName: string | null = null;
  clientFqdn: string | null = null;
  domain: string | null = null;
  requested: string | null = null;
  serverId: string | null = null;
  lease = -1;
  vendorClass: string | null = null;
  /** Option 61 as colon-separated hex (type byte first), as tshark shows its value. */
  clientId: string | null = null;
  /** Option 55 as Fingerbank's DHCP fingerprint: the codes in the order asked, comma-separated. */
  paramList: string | null = null;

  reset(): void {
    this.op = this.xid = this.type = 0;
    this.ciaddr = this.yiaddr = '';
    this.mac = this.hostName = this.clientFqdn = this.domain = null;
    this.requested = this.serverId = this.vendorClass = this.clientId = this.paramList = null;
    this.lease = -1;
  }
}

const hex2 = (v: number): string => (v < 16 ? '0' : '') + v.toString(16);

/** Bytes [off, end) as colon-separated lower-case hex. */
export function hexText(b: Uint8Array, off: number, end: number): string {
  let s = '';
  for (let i = off; i < end; i++) s += (i > off ? ':' : '') + hex2(b[i]!);
  return s;
}

export function macText(b: Uint8Array, o: number): string {
  return `${hex2(b[o]!)}:${hex2(b[o + 1]!)}:${hex2(b[o + 2]!)}:${hex2(b[o + 3]!)}:${hex2(b[o + 4]!)}:${hex2(b[o + 5]!)}`;
}

/** A DNS wire-format name in [off, end) as dotted text; it may stop early (RFC 4702 allows a partial name). */
export function wireNameText(b: Uint8Array, off: number, end: number): string {
  const labels: string[] = [];
  let p = off;
  while (p < end) {
    const n = b[p]!;
    if (n === 0 || n > 63 || p + 1 + n > end) break;
    labels.push(bytesText(b, p + 1, p + 1 + n));
    p += 1 + n;
  }
  return labels.join('.');
}

/** Option 81 name: DNS wire format when the E flag (0x04) is set, else ASCII (RFC 4702 §2.3). */
function fqdnText(b: Uint8Array, off: number, end: number): string {
  return (b[off]! & 0x04) === 0 ? bytesText(b, off + 3, end) : wireNameText(b, off + 3, end);
}

/**
 * Parses the DHCP message [off, end) into `m`; returns -1, or the DhcpAnomaly met (fields read before a
 * truncated option are kept; `m.type` is 0 when the message is not usable as DHCP).
 */
export function parseDhcpMessage(b: Uint8Array, off: number, end: number, m: DhcpMessage): number {
  m.reset();
  if (end - off < BOOTP_HEADER + 4) return DhcpAnomaly.TruncatedHeader;
  m.op = b[off]!;
  m.xid = u32be(b, off + 4);
  m.ciaddr = formatIPv4(b, off + 12);
  m.yiaddr = formatIPv4(b, off + 16);
  if (b[off + 1] === 1 && b[off + 2] === 6) m.mac = macText(b, off + 28);
  if (u32be(b, off + BOOTP_HEADER) !== MAGIC_COOKIE) return DhcpAnomaly.BadMagicCookie;
  let p = off + BOOTP_HEADER + 4;
  while (p < end) {
    const code = b[p]!;
    if (code === DhcpOption.End) break;
    if (code === DhcpOption.Pad) {
      p++;
      continue;
    }
    if (p + 2 > end) return DhcpAnomaly.TruncatedOption;
    const len = b[p + 1]!;
    const v = p + 2;
    if (v + len > end) return DhcpAnomaly.TruncatedOption;
    // Some clients end their strings with NULs.
    let textEnd = v + Math.min(len, MAX_TEXT);
    while (textEnd > v && b[textEnd - 1] === 0) textEnd--;
    switch (code) {
      case DhcpOption.MessageType:
        if (len >= 1) m.type = b[v]!;
        break;
      case DhcpOption.HostName:
        m.hostName = bytesText(b, v, textEnd);
        break;
      case DhcpOption.DomainName:
        m.domain = bytesText(b, v, textEnd);
        break;
      case DhcpOption.VendorClass:
        m.vendorClass = bytesText(b, v, textEnd);
        break;
      case DhcpOption.ClientIdentifier:
        if (len >= 2) m.clientId = hexText(b, v, v + len);
        break;
      case DhcpOption.ParameterRequestList: {
        let list = '';
        for (let i = v; i < v + len; i++) list += (i > v ? ',' : '') + String(b[i]!);
        m.paramList = list;
        break;
      }
      case DhcpOption.ClientFqdn:
        if (len >= 3) m.clientFqdn = fqdnText(b, v, textEnd);
        break;
      case DhcpOption.RequestedAddress:
        if (len === 4) m.requested = formatIPv4(b, v);
        break;
      case DhcpOption.ServerId:
        if (len === 4) m.serverId = formatIPv4(b, v);
        break;
      case DhcpOption.LeaseTime:
        if (len === 4) m.lease = u32be(b, v);
        break;
    }
    p = v + len;
  }
  return m.type === 0 ? DhcpAnomaly.NoMessageType : -1;
}
