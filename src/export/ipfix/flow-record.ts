/** The one place an IPFIX flow record is shaped from a conn (flows) record. */
import { parseIpAddress } from '../../core/addr.js';
import type { ConnLog } from '../../schema/conn.js';
import { historyFlags } from '../history-flags.js';
import {
  ICMP4_COUNTERPART,
  ICMP6_COUNTERPART,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_TCP,
} from '../../flow/key.js';

/** One biflow as exported: forward is the originator's direction. Filled in place, reused per flow. */
export class IpfixFlow {
  v6 = false;
  /** Addresses: 4 bytes (IPv4) or 16 (IPv6) used. */
  readonly src = new Uint8Array(16);
  readonly dst = new Uint8Array(16);
  /** ICMP or ICMPv6: written with icmpTypeCode instead of ports and TCP flags. */
  icmp = false;
  /** Transport ports (not for ICMP). */
  srcPort = 0;
  dstPort = 0;
  proto = 0;
  /** ICMP type << 8 | code (icmpTypeCodeIPv4/IPv6). */
  icmpTypeCode = 0;
  /** Milliseconds since the epoch (flowStartMilliseconds / flowEndMilliseconds). */
  startMs = 0;
  endMs = 0;
  /** 802.1Q id; 0 for untagged traffic. */
  vlan = 0;
  packets = 0;
  /** IP-level bytes (IP total length), as NetFlow/IPFIX octetDeltaCount counts them. */
  octets = 0;
  /** The originator's TCP flags (union over its packets, as far as Zeek's history letters tell). */
  tcpFlags = 0;
  reversePackets = 0;
  reverseOctets = 0;
}

/**
 * Fills `out` from a conn record; false when an address is not parseable (it always is for records nta
 * makes). Counters are IP-level: orig_ip_bytes / resp_ip_bytes, not Zeek's payload byte counts.
 */
export function toIpfixFlow(log: ConnLog, out: IpfixFlow): boolean {
  const srcLen = parseIpAddress(log.orig_h, out.src, 0);
  const dstLen = parseIpAddress(log.resp_h, out.dst, 0);
  if (srcLen === 0 || srcLen !== dstLen) return false;
  out.v6 = srcLen === 16;
  out.proto = log.ip_proto;
  out.icmp = log.ip_proto === IPPROTO_ICMP || log.ip_proto === IPPROTO_ICMPV6;
  if (out.icmp) {
    // conn.log keeps the type in orig_p and, in resp_p, the counterpart type of a request/reply pair
    // (whose code is then not kept: 0, as it nearly always is) or else the code.
    const counterpart = (log.ip_proto === IPPROTO_ICMP ? ICMP4_COUNTERPART : ICMP6_COUNTERPART)[
      log.orig_p & 0xff
    ]!;
    out.icmpTypeCode = ((log.orig_p & 0xff) << 8) | (counterpart >= 0 ? 0 : log.resp_p & 0xff);
    out.srcPort = 0;
    out.dstPort = 0;
  } else {
    out.icmpTypeCode = 0;
    out.srcPort = log.orig_p;
    out.dstPort = log.resp_p;
  }
  const startMs = Math.floor(log.ts / 1000);
  out.startMs = Math.max(0, startMs);
  out.endMs = Math.max(0, Math.floor((log.ts + Math.round(log.duration * 1e6)) / 1000));
  out.vlan = log.vlan ?? 0;
  out.packets = log.orig_pkts;
  out.octets = log.orig_ip_bytes;
  out.reversePackets = log.resp_pkts;
  out.reverseOctets = log.resp_ip_bytes;
  out.tcpFlags = log.ip_proto === IPPROTO_TCP ? historyFlags(log.history, true) : 0;
  return true;
}
