/**
 * What detectors see. The pipeline fills one reused PacketEvent / ArpEvent per frame (STYLE.md E1, E5: the
 * byte view dies with the frame); DNS queries and finished flows arrive as their own events. Detectors
 * never see decoder internals.
 */
import type { ConnLog } from '../schema/conn.js';
import type { AddrKey } from './addr-key.js';

export const EVENT_KINDS = ['packet', 'arp', 'dns', 'domain', 'flow'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export const TcpFlags = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20 } as const;

export class PacketEvent {
  /** Packet time in seconds (float: microsecond precision is ample for detection windows). */
  ts = 0;
  frame = 0;
  v6 = false;
  src: AddrKey = 0;
  dst: AddrKey = 0;
  srcHome = false;
  dstHome = false;
  /** Destination is multicast, broadcast or unspecified. */
  dstNonUnicast = false;
  /** IP protocol number; -1 when unknown. */
  proto = -1;
  srcPort = -1;
  dstPort = -1;
  /** TCP flags (12 bits) or -1. */
  tcpFlags = -1;
  icmpType = -1;
  icmpCode = -1;
  /** Bytes on the wire. */
  length = 0;
  /** Non-first fragment: no transport header. */
  fragment = false;
  /** Source MAC as a number; -1 when the link has none. */
  macSrc = -1;
  /** The frame; the payload (TCP/UDP data, or what follows an ICMP header) is data[payloadOff, payloadEnd). */
  data: Uint8Array = new Uint8Array(0);
  payloadOff = 0;
  payloadEnd = 0;
}

export class ArpEvent {
  ts = 0;
  frame = 0;
  /** 1 request, 2 reply. */
  opcode = 0;
  /** Ethernet source/destination MAC; -1 when absent. */
  ethSrc = -1;
  ethDst = -1;
  senderMac = 0;
  /** IPv4 as 32-bit values. */
  senderIp = 0;
  targetMac = 0;
  targetIp = 0;
}

/** A DNS query, from the dns log record of its transaction (sent once its response came, or none did). */
export interface DnsQueryEvent {
  /** Time of the query. */
  readonly ts: number;
  /** The flow's uid. */
  readonly uid: string;
  readonly src: AddrKey;
  readonly dst: AddrKey;
  /** Query name, lower case, without the trailing dot. */
  readonly name: string;
  readonly qtype: number;
}

/** A server name a client used, from application metadata: an HTTP Host header or a TLS SNI. */
export interface DomainEvent {
  readonly ts: number;
  readonly uid: string;
  /** Client and server addresses (text). */
  readonly src: string;
  readonly dst: string;
  readonly dstPort: number;
  /** Lower case, without a port. */
  readonly name: string;
  readonly source: 'http' | 'tls';
}

/** A finished flow (Zeek conn.log fields). */
export type FlowEvent = ConnLog;
