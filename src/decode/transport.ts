/**
 * Transport headers: TCP, UDP, ICMP, ICMPv6. Each fills what the captured bytes allow, in the order
 * Wireshark reads them: ports first (so a 4-byte TCP fragment still has ports), then the rest. An ICMP
 * error's quoted packet is payload; its ports are never the packet's ports.
 */
import { u16be, u32be } from '../core/bytes.js';
import { Anomaly, reportPastEnd, type DecodeFeedback } from './anomalies.js';
import { LayerType } from './enums.js';
import type { DecodingLayer } from './layer.js';
import { Status } from './packet.js';

export const TCP_MIN_HEADER_LEN = 20;
/**
 * Bytes Wireshark reads before it shows the flags: through the window field (it fetches the window with
 * the flags, and only then checks the header length).
 */
const TCP_FLAGS_END = 16;
export const UDP_HEADER_LEN = 8;
const ICMP_HEADER_LEN = 8;
const ICMPV4_TYPE_NEEDS = 6;
const ICMPV6_TYPE_NEEDS = 1;

export class TcpLayer implements DecodingLayer {
  readonly type = LayerType.TCP;
  srcPort = 0;
  dstPort = 0;
  seq = 0;
  ack = 0;
  /** Header length in bytes (data offset × 4); 0 when not captured. */
  headerLen = 0;
  /** The 12 flag bits (AE/NS, CWR, ECE, URG, ACK, PSH, RST, SYN, FIN and 3 reserved); -1 when unknown. */
  flags = -1;
  window = -1;
  payloadOff = 0;
  payloadEnd = 0;

  decode(b: Uint8Array, off: number, end: number, fb: DecodeFeedback): Status {
    const avail = end - off;
    if (avail < 4) {
      fb.anomaly(Anomaly.TcpTruncatedHeader);
      return Status.Truncated;
    }
    this.srcPort = u16be(b, off);
    this.dstPort = u16be(b, off + 2);
    this.seq = 0;
    this.ack = 0;
    this.headerLen = 0;
    this.flags = -1;
    this.window = -1;
    this.payloadOff = end;
    this.payloadEnd = end;
    if (avail < TCP_FLAGS_END) {
      fb.anomaly(Anomaly.TcpTruncatedHeader);
      return Status.Ok;
    }
    this.seq = u32be(b, off + 4);
    this.ack = u32be(b, off + 8);
    this.window = u16be(b, off + 14);
    const hl = (b[off + 12]! >>> 4) << 2;
    this.headerLen = hl;
    if (hl < TCP_MIN_HEADER_LEN) {
      // Wireshark gives up before the flags when the header length is bogus.
      fb.anomaly(Anomaly.TcpBadHeaderLength);
      return Status.Ok;
    }
    this.flags = u16be(b, off + 12) & 0x0fff;
    if (avail < hl) {
      reportPastEnd(fb, off + hl, Anomaly.TcpTruncatedHeader, Anomaly.TcpBadHeaderLength);
      return Status.Ok;
    }
    this.payloadOff = off + hl;
    return Status.Ok;
  }

  nextLayerType(): LayerType {
    return LayerType.None;
  }
}

export class UdpLayer implements DecodingLayer {
  readonly type = LayerType.UDP;
  srcPort = 0;
  dstPort = 0;
  /** The length field; -1 when not captured. */
  length = -1;
  payloadOff = 0;
  payloadEnd = 0;

  decode(b: Uint8Array, off: number, end: number, fb: DecodeFeedback): Status {
    const avail = end - off;
    if (avail < 4) {
      fb.anomaly(Anomaly.UdpTruncatedHeader);
      return Status.Truncated;
    }
    this.srcPort = u16be(b, off);
    this.dstPort = u16be(b, off + 2);
    this.length = -1;
    this.payloadOff = end;
    this.payloadEnd = end;
    if (avail < UDP_HEADER_LEN) {
      fb.anomaly(Anomaly.UdpTruncatedHeader);
      return Status.Ok;
    }
    const len = u16be(b, off + 4);
    this.length = len;
    this.payloadOff = off + UDP_HEADER_LEN;
    if (len === 0 && avail > 0xffff) {
      // A jumbogram's UDP length is 0 (RFC 2675): the datagram runs to the end of the IP payload.
    } else if (len < UDP_HEADER_LEN) {
      fb.anomaly(Anomaly.UdpBadLength);
    } else if (len > avail) {
      // A first fragment holds part of the datagram; past the capture but within the frame, the IP
      // layer has reported the cut already.
      const lenEnd = off + len;
      if (!fb.fragmented && (lenEnd <= fb.captureEnd || lenEnd > fb.wireEnd))
        fb.anomaly(Anomaly.UdpBadLength);
    } else {
      this.payloadEnd = off + len;
    }
    return Status.Ok;
  }

  nextLayerType(): LayerType {
    return LayerType.None;
  }
}

/**
 * ICMP (v4) or ICMPv6: type and code; the payload is everything after the 8-byte header. Wireshark shows
 * an ICMPv4 type and code only once it has read 6 bytes (it fetches the checksum and the first word of the
 * rest of the header first); ICMPv6 shows the type from its first byte and the code from its second.
 */
export class IcmpLayer implements DecodingLayer {
  readonly type: typeof LayerType.ICMPv4 | typeof LayerType.ICMPv6;
  readonly #truncated: Anomaly;
  readonly #typeNeeds: number;
  icmpType = -1;
  icmpCode = -1;
  payloadOff = 0;
  payloadEnd = 0;

  constructor(v6: boolean) {
    this.type = v6 ? LayerType.ICMPv6 : LayerType.ICMPv4;
    this.#truncated = v6 ? Anomaly.Icmpv6TruncatedHeader : Anomaly.IcmpTruncatedHeader;
    this.#typeNeeds = v6 ? ICMPV6_TYPE_NEEDS : ICMPV4_TYPE_NEEDS;
  }

  decode(b: Uint8Array, off: number, end: number, fb: DecodeFeedback): Status {
    const avail = end - off;
    if (avail < this.#typeNeeds) {
      fb.anomaly(this.#truncated);
      return Status.Truncated;
    }
    this.icmpType = b[off]!;
    this.icmpCode = avail >= 2 ? b[off + 1]! : -1;
    if (avail < ICMP_HEADER_LEN) {
      fb.anomaly(this.#truncated);
      this.payloadOff = end;
    } else {
      this.payloadOff = off + ICMP_HEADER_LEN;
    }
    this.payloadEnd = end;
    return Status.Ok;
  }

  nextLayerType(): LayerType {
    return LayerType.None;
  }
}
