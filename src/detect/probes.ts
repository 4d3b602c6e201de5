/** Scan probe classification shared by the scan detectors (a pure helper, not a detector). */
import { TcpFlags, type PacketEvent } from './events.js';

export const ProbeClass = { Syn: 0, Fin: 1, Null: 2, Xmas: 3, Ack: 4, Udp: 5 } as const;
export const PROBE_NAMES = ['syn', 'fin', 'null', 'xmas', 'ack', 'udp'] as const;

const IPPROTO_ICMP = 1;
const IPPROTO_ICMPV6 = 58;
const XMAS = TcpFlags.FIN | TcpFlags.PSH | TcpFlags.URG;
/** Highest port an ACK probe is counted for: above it, bare ACKs are mostly servers answering clients. */
const ACK_PROBE_MAX_PORT = 32767;

/** The probe class of a TCP packet, or -1 when it is ordinary traffic. */
export function classifyProbe(ev: PacketEvent): number {
  const f = ev.tcpFlags & 0x3f;
  if (ev.dstPort < 0) return -1;
  if ((f & (TcpFlags.SYN | TcpFlags.ACK | TcpFlags.RST)) === TcpFlags.SYN) return ProbeClass.Syn;
  if (f === 0) return ProbeClass.Null;
  if (f === TcpFlags.FIN) return ProbeClass.Fin;
  if (f === XMAS) return ProbeClass.Xmas;
  if (
    f === TcpFlags.ACK &&
    ev.payloadEnd === ev.payloadOff &&
    ev.dstPort <= ACK_PROBE_MAX_PORT &&
    ev.srcPort > 1023
  )
    return ProbeClass.Ack;
  return -1;
}

/**
 * A UDP probe seen through the target's ICMP port unreachable (it quotes the probe's IP header and first 8
 * bytes): the probed port, or -1. The event's src is the target, its dst the prober.
 */
export function quotedUdpProbe(ev: PacketEvent): number {
  const v4 = ev.proto === IPPROTO_ICMP && ev.icmpType === 3 && ev.icmpCode === 3;
  const v6 = ev.proto === IPPROTO_ICMPV6 && ev.icmpType === 1 && ev.icmpCode === 4;
  if (!v4 && !v6) return -1;
  const b = ev.data;
  const p = ev.payloadOff;
  if (v4) {
    if (ev.payloadEnd - p < 28) return -1;
    const ihl = (b[p]! & 0x0f) * 4;
    if (b[p + 9] !== 17 || ihl < 20 || p + ihl + 4 > ev.payloadEnd) return -1;
    return (b[p + ihl + 2]! << 8) | b[p + ihl + 3]!;
  }
  if (ev.payloadEnd - p < 48 || b[p + 6] !== 17) return -1;
  return (b[p + 42]! << 8) | b[p + 43]!;
}
