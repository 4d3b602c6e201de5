/**
 * The decoder's output for one frame: the outermost network and transport layer, as offsets into the frame
 * and plain numbers. One instance is reused for every packet (STYLE.md E1); it is valid until the next
 * decode call.
 */
export const Network = { None: 0, IPv4: 4, IPv6: 6, ARP: 1 } as const;
export type Network = (typeof Network)[keyof typeof Network];

export const Status = { Ok: 0, Truncated: 1, Malformed: 2, UnknownLinkType: 3 } as const;
export type Status = (typeof Status)[keyof typeof Status];

export class DecodedPacket {
  status: Status = Status.Ok;
  /** The first network layer found: IPv4, IPv6 or ARP, else None. */
  network: Network = Network.None;
  /** Offsets of the outer source/destination addresses in the frame; 4 (IPv4) or 16 (IPv6) bytes each. */
  srcOff = 0;
  dstOff = 0;
  /** IP protocol number (for IPv6 the one after the extension headers); -1 when unknown. */
  ipProto = -1;
  /** Outer TCP/UDP ports; -1 when the outer transport is not TCP/UDP or its ports were not captured. */
  srcPort = -1;
  dstPort = -1;
  /** The 12 TCP flag bits; -1 when there is no readable outer TCP header. */
  tcpFlags = -1;
  /** Outer ICMP/ICMPv6 type and code; -1 when absent. */
  icmpType = -1;
  icmpCode = -1;
  /** IPv4/IPv6 fragment offset in bytes and more-fragments flag; 0/false for unfragmented packets. */
  fragOffset = 0;
  moreFragments = false;
  /** Outermost 802.1Q VLAN id, -1 when untagged. */
  vlan = -1;
  /**
   * Payload after the innermost decoded header, as [payloadOff, payloadEnd) within the frame (0, 0 when
   * there is none): the TCP segment data or UDP datagram data, the bytes after an 8-byte ICMP header (an
   * error's quoted packet), or the IP payload of other protocols. Empty when a TCP/UDP header was cut.
   */
  payloadOff = 0;
  payloadEnd = 0;
  /** ARP/RARP operation when network is ARP and its fixed 8-byte header was captured; -1 otherwise. */
  arpOpcode = -1;
  /** Offset of the outer network header (IPv4/IPv6/ARP) in the frame; -1 when there is none. */
  l3Off = -1;
  /** Offset of the header after the outer IP header (TCP, UDP, ICMP, GRE, ESP...); -1 when none. */
  l4Off = -1;
  /** Offsets of the outer link-layer destination/source MAC (Ethernet, 802.11 DA/SA); -1 when absent. */
  macDstOff = -1;
  macSrcOff = -1;
  /** First anomaly met while decoding (an `Anomaly` id, see anomalies.ts); 0 when none. */
  anomaly = 0;

  reset(): void {
    this.status = Status.Ok;
    this.network = Network.None;
    this.srcOff = 0;
    this.dstOff = 0;
    this.ipProto = -1;
    this.srcPort = -1;
    this.dstPort = -1;
    this.tcpFlags = -1;
    this.icmpType = -1;
    this.icmpCode = -1;
    this.fragOffset = 0;
    this.moreFragments = false;
    this.vlan = -1;
    this.payloadOff = 0;
    this.payloadEnd = 0;
    this.arpOpcode = -1;
    this.l3Off = -1;
    this.l4Off = -1;
    this.macDstOff = -1;
    this.macSrcOff = -1;
    this.anomaly = 0;
  }
}
