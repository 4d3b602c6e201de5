/**
 * Link layers that are not Ethernet: Linux cooked capture (SLL, SLL2), BSD loopback (NULL, LOOP), raw IP,
 * Cisco HDLC and Linux NFLOG. Each one only finds where the network layer starts and what it is.
 */
import { u16be, u16le, u32be, u32le } from '../core/bytes.js';
import { Anomaly, UNKNOWN_WIRE_END, reportPastEnd, type DecodeFeedback } from './anomalies.js';
import {
  ArpHrd,
  IEEE_802_3_MAX_LEN,
  LayerType,
  LinuxSllProto,
  nextByAddressFamily,
  nextByEtherType,
} from './enums.js';
import type { DecodingLayer } from './layer.js';
import { Status } from './packet.js';

const SLL_HEADER_LEN = 16;
const SLL2_HEADER_LEN = 20;
const NULL_HEADER_LEN = 4;
const CHDLC_HEADER_LEN = 4;
const NFLOG_HEADER_LEN = 4;
const NFLOG_TLV_HEADER_LEN = 4;
const NFULA_PACKET_HDR = 1;
const NFULA_PAYLOAD = 9;
const NFPROTO_IPV4 = 2;
const NFPROTO_IPV6 = 10;
/** In SLL headers a protocol value up to this is a Linux-internal type, not an EtherType. */
const SLL_MAX_LINUX_PROTO = 1536;
/** Linux ISDN PPP: 10 zero bytes stand in for a fake MAC address and PPP header. */
const RAW_ZERO_PREFIX = 10;
const HDLC_PPP = 0xff03;
/** GRE protocol type for transparent Ethernet bridging. */
const GRE_PROTO_TEB = 0x6558;

/** Shared dispatch for SLL and SLL2 (Wireshark's packet-sll.c). */
function sllNext(haType: number, protocol: number): LayerType {
  if (haType === ArpHrd.NETLINK) return LayerType.None;
  if (haType === ArpHrd.IPGRE) {
    // A GRE tunnel interface: the protocol field is a GRE protocol type.
    if (protocol === GRE_PROTO_TEB) return LayerType.Ethernet;
    const next = nextByEtherType[protocol]!;
    return next === LayerType.IPv4 ||
      next === LayerType.IPv6 ||
      next === LayerType.ARP ||
      next === LayerType.MPLS
      ? (next as LayerType)
      : LayerType.None;
  }
  if (protocol > SLL_MAX_LINUX_PROTO) return nextByEtherType[protocol]! as LayerType;
  if (protocol === LinuxSllProto.LLC) return LayerType.LLC;
  if (protocol === LinuxSllProto.PPPHdlc) return LayerType.PPPHdlc;
  return LayerType.None;
}

/** Linux cooked capture v1 (LINKTYPE_LINUX_SLL, 113): 16 bytes. */
export class SllLayer implements DecodingLayer {
  readonly type = LayerType.SLL;
  packetType = 0;
  haType = 0;
  addrLen = 0;
  addrOff = 0;
  protocol = 0;
  payloadOff = 0;
  payloadEnd = 0;
  #next: LayerType = LayerType.None;

  decode(b: Uint8Array, off: number, end: number, fb: DecodeFeedback): Status {
    if (end - off < SLL_HEADER_LEN) {
      fb.anomaly(Anomaly.SllTruncatedHeader);
      return Status.Truncated;
    }
    this.packetType = u16be(b, off);
    this.haType = u16be(b, off + 2);
    this.addrLen = u16be(b, off + 4);
    this.addrOff = off + 6;
    this.protocol = u16be(b, off + 14);
    this.payloadOff = off + SLL_HEADER_LEN;
    this.payloadEnd = end;
    this.#next = sllNext(this.haType, this.protocol);
    return Status.Ok;
  }

  nextLayerType(): LayerType {
    return this.#next;
  }
}

/** Linux cooked capture v2 (LINKTYPE_LINUX_SLL2, 276): 20 bytes, protocol first. */
export class Sll2Layer implements DecodingLayer {
  readonly type = LayerType.SLL2;
  protocol = 0;
  ifIndex = 0;
  haType = 0;
  packetType = 0;
  addrLen = 0;
  addrOff = 0;
  payloadOff = 0;
  payloadEnd = 0;
  #next: LayerType = LayerType.None;

  decode(b: Uint8Array, off: number, end: number, fb: DecodeFeedback): Status {
    if (end - off < SLL2_HEADER_LEN) {
      fb.anomaly(Anomaly.Sll2TruncatedHeader);
      return Status.Truncated;
    }
    this.protocol = u16be(b, off);
    this.ifIndex = u32be(b, off + 4);
    this.haType = u16be(b, off + 8);
    this.packetType = b[off + 10]!;
    this.addrLen = b[off + 11]!;
    this.addrOff = off + 12;
    this.payloadOff = off + SLL2_HEADER_LEN;
    this.payloadEnd = end;
    this.#next = sllNext(this.haType, this.protocol);
    return Status.Ok;
  }

  nextLayerType(): LayerType {
    return this.#next;
  }
}

/**
 * BSD loopback (LINKTYPE_NULL, 0): a 4-byte AF_ value in the byte order of the machine that wrote the file.
 * Wireshark reads it little-endian and repairs it: a value with the upper 16 bits set is byte-swapped,
 * or taken from the upper half (IRIX/UNICOS snoop). Values above 1500 are EtherTypes. A frame starting
 * with `ff 03` is PPP in HDLC-like framing.
 */
export class NullLayer implements DecodingLayer {
  readonly type = LayerType.Null;
  family = 0;
  payloadOff = 0;
  payloadEnd = 0;
  #next: LayerType = LayerType.None;

  decode(b: Uint8Array, off: number, end: number, fb: DecodeFeedback): Status {
    const avail = end - off;
    if (avail >= 2 && u16be(b, off) === HDLC_PPP) {
      this.family = -1;
      this.payloadOff = off;
      this.payloadEnd = end;
      this.#next = LayerType.PPPHdlc;
      return Status.Ok;
    }
    if (avail < NULL_HEADER_LEN) {
      fb.anomaly(Anomaly.NullTruncatedHeader);
      return Status.Truncated;
    }
    let h = u32le(b, off);
    if ((h & 0xffff0000) !== 0) {
      if ((h & 0xff000000) === 0 && (h & 0x00ff0000) < 0x00060000) h >>>= 16;
      else h = u32be(b, off);
    } else if ((h & 0x000000ff) === 0 && (h & 0x0000ff00) < 0x00000600) {
      h = ((h & 0xff) << 8) | ((h >>> 8) & 0xff);
    }
    this.family = h;
    this.payloadOff = off + NULL_HEADER_LEN;
    this.payloadEnd = end;
    // Wireshark compares the whole value with 1500 but dispatches on its low 16 bits.
    this.#next =
      h > IEEE_802_3_MAX_LEN
        ? (nextByEtherType[h & 0xffff]! as LayerType)
        : (nextByAddressFamily[h]! as LayerType);
    return Status.Ok;
  }

  nextLayerType(): LayerType {
    return this.#next;
  }
}

/** OpenBSD loopback (LINKTYPE_LOOP, 108): the AF_ value in network byte order. */
export class LoopLayer implements DecodingLayer {
  readonly type = LayerType.Loop;
  family = 0;
  payloadOff = 0;
  payloadEnd = 0;
  #next: LayerType = LayerType.None;

  decode(b: Uint8Array, off: number, end: number, fb: DecodeFeedback): Status {
    if (end - off < NULL_HEADER_LEN) {
      fb.anomaly(Anomaly.NullTruncatedHeader);
      return Status.Truncated;
    }
    const af = u32be(b, off);
    this.family = af;
    this.payloadOff = off + NULL_HEADER_LEN;
    this.payloadEnd = end;
    this.#next = af <= IEEE_802_3_MAX_LEN ? (nextByAddressFamily[af]! as LayerType) : LayerType.None;
    return Status.Ok;
  }

  nextLayerType(): LayerType {
    return this.#next;
  }
}

/**
 * Raw IP (LINKTYPE_RAW 101, and 12/14). Wireshark's packet-raw.c first looks for PPP remnants some Linux
 * drivers leave in front of the packet (`ff 03` at offset 0, 6 or 1; ten zero bytes), then picks IPv4 or
 * IPv6 by the version nibble.
 */
export class RawLayer implements DecodingLayer {
  readonly type = LayerType.Raw;
  payloadOff = 0;
  payloadEnd = 0;
  #next: LayerType = LayerType.None;

  decode(b: Uint8Array, off: number, end: number, fb: DecodeFeedback): Status {
    const avail = end - off;
    this.payloadEnd = end;
    if (avail < 2) {
      fb.anomaly(Anomaly.RawTruncatedHeader);
      return Status.Truncated;
    }
    if (u16be(b, off) === HDLC_PPP) return this.#to(off, LayerType.PPPHdlc);
    if (avail < 8) {
      fb.anomaly(Anomaly.RawTruncatedHeader);
      return Status.Truncated;
    }
    if (u16be(b, off + 6) === HDLC_PPP) return this.#to(off + 6, LayerType.PPPHdlc);
    if (u16be(b, off + 1) === HDLC_PPP) return this.#to(off + 1, LayerType.PPPHdlc);
    if (avail >= RAW_ZERO_PREFIX) {
      let zeros = true;
      for (let i = 0; i < RAW_ZERO_PREFIX; i++) {
        if (b[off + i] !== 0) {
          zeros = false;
          break;
        }
      }
      if (zeros) return this.#to(off + RAW_ZERO_PREFIX, LayerType.IPv4);
    }
    const version = b[off]! >>> 4;
    return this.#to(off, version === 4 ? LayerType.IPv4 : version === 6 ? LayerType.IPv6 : LayerType.None);
  }

  #to(payloadOff: number, next: LayerType): Status {
    this.payloadOff = payloadOff;
    this.#next = next;
    return Status.Ok;
  }

  nextLayerType(): LayerType {
    return this.#next;
  }
}

/** Cisco HDLC (LINKTYPE_C_HDLC, 104): address, control, then an EtherType. */
export class ChdlcLayer implements DecodingLayer {
  readonly type = LayerType.CHdlc;
  address = 0;
  protocol = 0;
  payloadOff = 0;
  payloadEnd = 0;
  #next: LayerType = LayerType.None;

  decode(b: Uint8Array, off: number, end: number, fb: DecodeFeedback): Status {
    if (end - off < CHDLC_HEADER_LEN) {
      fb.anomaly(Anomaly.ChdlcTruncatedHeader);
      return Status.Truncated;
    }
    this.address = b[off]!;
    this.protocol = u16be(b, off + 2);
    this.payloadOff = off + CHDLC_HEADER_LEN;
    this.payloadEnd = end;
    this.#next = nextByEtherType[this.protocol]! as LayerType;
    return Status.Ok;
  }

  nextLayerType(): LayerType {
    return this.#next;
  }
}

/**
 * Linux NFLOG (LINKTYPE_NFLOG, 239): family, version, resource id, then TLVs whose length and type are in
 * the capturing host's byte order (little-endian, as Wireshark assumes on the machines that capture and
 * read these). The NFULA_PAYLOAD TLV (type 9) holds the packet. Its protocol comes from the hardware
 * protocol (an EtherType) of an NFULA_PACKET_HDR TLV when there is one, else from the family byte.
 * Like Wireshark, a TLV shorter than its own header, or one running past the captured bytes, leaves the
 * payload undecoded.
 */
export class NflogLayer implements DecodingLayer {
  readonly type = LayerType.NFLOG;
  family = 0;
  /** From NFULA_PACKET_HDR; 0 when absent. */
  hwProtocol = 0;
  payloadOff = 0;
  payloadEnd = 0;
  #next: LayerType = LayerType.None;

  decode(b: Uint8Array, off: number, end: number, fb: DecodeFeedback): Status {
    if (end - off < NFLOG_HEADER_LEN) {
      fb.anomaly(Anomaly.NflogTruncatedHeader);
      return Status.Truncated;
    }
    const family = b[off]!;
    this.family = family;
    this.hwProtocol = 0;
    this.payloadOff = end;
    this.payloadEnd = end;
    this.#next = LayerType.None;
    let payloadOff = -1;
    let payloadEnd = -1;
    let p = off + NFLOG_HEADER_LEN;
    while (end - p >= NFLOG_TLV_HEADER_LEN) {
      const len = u16le(b, p);
      if (len < NFLOG_TLV_HEADER_LEN) {
        fb.anomaly(Anomaly.NflogBadTlvLength);
        return Status.Ok;
      }
      if (len > end - p) {
        reportPastEnd(fb, p + len, Anomaly.NflogTruncatedHeader, Anomaly.NflogBadTlvLength);
        return Status.Ok;
      }
      const type = u16le(b, p + 2) & 0x7fff;
      if (type === NFULA_PACKET_HDR && len === NFLOG_TLV_HEADER_LEN + 4) this.hwProtocol = u16be(b, p + 4);
      else if (type === NFULA_PAYLOAD) {
        payloadOff = p + NFLOG_TLV_HEADER_LEN;
        payloadEnd = p + len;
      }
      p += (len + 3) & ~3;
    }
    // Wireshark keeps reading TLVs while the frame (on the wire) has 4 more bytes; past the capture that
    // is an exception, and the payload stays undecoded.
    const frameEnd = fb.wireEnd === UNKNOWN_WIRE_END ? fb.captureEnd : fb.wireEnd;
    if (end === fb.captureEnd && frameEnd - p >= NFLOG_TLV_HEADER_LEN) {
      fb.anomaly(Anomaly.NflogTruncatedHeader);
      return Status.Ok;
    }
    if (payloadOff < 0) return Status.Ok;
    this.payloadOff = payloadOff;
    this.payloadEnd = payloadEnd;
    if (this.hwProtocol !== 0) this.#next = nextByEtherType[this.hwProtocol]! as LayerType;
    else
      this.#next =
        family === NFPROTO_IPV4 ? LayerType.IPv4 : family === NFPROTO_IPV6 ? LayerType.IPv6 : LayerType.None;
    return Status.Ok;
  }

  nextLayerType(): LayerType {
    return this.#next;
  }
}
