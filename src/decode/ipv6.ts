import { u16be, u32be } from '../core/bytes.js';
import { Anomaly, reportPastEnd, type DecodeFeedback } from './anomalies.js';
import { IpProto, LayerType, isIpv6SkippedExt, nextByIpProto } from './enums.js';
import type { DecodingLayer } from './layer.js';
import { Status } from './packet.js';

export const IPV6_HEADER_LEN = 40;
const FRAGMENT_HEADER_LEN = 8;
const OPT_PAD1 = 0x00;
const OPT_JUMBO = 0xc2;
const JUMBO_OPT_LEN = 4;
const extNextHeaderNeeds = new Uint8Array(256);
extNextHeaderNeeds[IpProto.HopByHop] = 2;
extNextHeaderNeeds[IpProto.DestOpts] = 2;
extNextHeaderNeeds[IpProto.Routing] = 1;
extNextHeaderNeeds[IpProto.Fragment] = FRAGMENT_HEADER_LEN;
/** Upper bound on extension headers walked; each is at least 8 bytes, so a real chain never gets close. */
export const MAX_IPV6_EXT_HEADERS = 32;

/**
 * Whether the TLV options of an options header, from `p` to the header's end, can be read. Wireshark lets
 * an option run past its header (it then skips to where the option ends) but not past the packet.
 */
function optionsReadable(b: Uint8Array, p: number, hdrEnd: number, ipEnd: number): boolean {
  while (p < hdrEnd) {
    if (b[p] === OPT_PAD1) {
      p++;
      continue;
    }
    if (ipEnd - p < 2) return false;
    p += 2 + b[p + 1]!;
    if (p > ipEnd) return false;
  }
  return true;
}

/**
 * The jumbo payload length from a hop-by-hop header at `p` (RFC 2675), or -1. Only consulted when the
 * fixed header's payload length is 0.
 */
function jumboPayloadLength(b: Uint8Array, p: number, end: number): number {
  if (end - p < 2) return -1;
  const hdrEnd = p + ((b[p + 1]! + 1) << 3);
  const optEnd = hdrEnd < end ? hdrEnd : end;
  let q = p + 2;
  while (q < optEnd) {
    const t = b[q]!;
    if (t === OPT_PAD1) {
      q++;
      continue;
    }
    if (optEnd - q < 2) return -1;
    const len = b[q + 1]!;
    if (t === OPT_JUMBO && len === JUMBO_OPT_LEN && optEnd - q >= 2 + JUMBO_OPT_LEN) return u32be(b, q + 2);
    q += 2 + len;
  }
  return -1;
}

/**
 * IPv6 header and its extension-header chain. Hop-by-hop, routing, fragment and destination-options
 * headers are walked to find the upper-layer protocol; AH and ESP are not skipped (they are the protocol).
 * A non-first fragment leads nowhere. A payload length of 0 means a jumbogram when a hop-by-hop jumbo
 * option is present; otherwise (TSO captures) the payload is empty, as Wireshark reads it.
 */
export class Ipv6Layer implements DecodingLayer {
  readonly type = LayerType.IPv6;
  trafficClass = 0;
  flowLabel = 0;
  payloadLength = 0;
  /** The Next Header field of the fixed header. */
  nextHeader = 0;
  hopLimit = 0;
  srcOff = 0;
  dstOff = 0;
  /** Upper-layer protocol after the skipped extension headers; the last value read if the chain is cut. */
  protocol = 0;
  extHeaders = 0;
  /** From a fragment header: offset in bytes, more-fragments flag, and whether one was present. */
  fragmented = false;
  fragOffset = 0;
  moreFragments = false;
  jumbo = false;
  payloadOff = 0;
  payloadEnd = 0;
  #next: LayerType = LayerType.None;
  /** End of the payload by the length field (before clamping to the captured bytes). */
  #declaredEnd = 0;

  decode(b: Uint8Array, off: number, end: number, fb: DecodeFeedback): Status {
    const avail = end - off;
    if (avail < 1) {
      fb.anomaly(Anomaly.Ipv6TruncatedHeader);
      return Status.Truncated;
    }
    if (b[off]! >>> 4 !== 6) {
      fb.anomaly(Anomaly.Ipv6BadVersion);
      return Status.Malformed;
    }
    if (avail < IPV6_HEADER_LEN) {
      fb.anomaly(Anomaly.Ipv6TruncatedHeader);
      return Status.Truncated;
    }
    const vtf = u32be(b, off);
    const plen = u16be(b, off + 4);
    const nxt = b[off + 6]!;
    this.trafficClass = (vtf >>> 20) & 0xff;
    this.flowLabel = vtf & 0xfffff;
    this.payloadLength = plen;
    this.nextHeader = nxt;
    this.hopLimit = b[off + 7]!;
    this.srcOff = off + 8;
    this.dstOff = off + 24;
    this.protocol = nxt;
    this.extHeaders = 0;
    this.fragmented = false;
    this.fragOffset = 0;
    this.moreFragments = false;
    this.jumbo = false;
    this.#next = LayerType.None;

    let p = off + IPV6_HEADER_LEN;
    let ipEnd: number;
    if (plen !== 0) {
      ipEnd = p + plen;
    } else {
      const jumbo = nxt === IpProto.HopByHop ? jumboPayloadLength(b, p, end) : -1;
      if (jumbo >= 0) {
        this.jumbo = true;
        ipEnd = p + jumbo;
      } else {
        fb.anomaly(Anomaly.Ipv6ZeroPayloadLength);
        ipEnd = p;
      }
    }
    this.#declaredEnd = ipEnd;
    if (ipEnd > end) {
      reportPastEnd(fb, ipEnd, Anomaly.Ipv6TruncatedPayload, Anomaly.Ipv6BadPayloadLength);
      ipEnd = end;
    }
    this.payloadEnd = ipEnd;

    let proto = nxt;
    while (isIpv6SkippedExt[proto] === 1) {
      // Bytes Wireshark must have before it records a header's next-header value: the whole fragment
      // header, the next-header and length bytes of options headers, the first byte of a routing header.
      const need = extNextHeaderNeeds[proto]!;
      if (ipEnd - p < need || this.extHeaders === MAX_IPV6_EXT_HEADERS) {
        return this.#cut(p, ipEnd, p + need, fb);
      }
      const hdrNext = b[p]!;
      this.protocol = hdrNext;
      if (ipEnd - p < 2) return this.#cut(p, ipEnd, p + 2, fb);
      const len = proto === IpProto.Fragment ? FRAGMENT_HEADER_LEN : (b[p + 1]! + 1) << 3;
      if (ipEnd - p < len) return this.#cut(p, ipEnd, p + len, fb);
      if (proto === IpProto.Fragment) {
        const fo = u16be(b, p + 2);
        this.fragmented = true;
        this.fragOffset = fo & 0xfff8;
        this.moreFragments = (fo & 0x0001) !== 0;
      }
      if (
        (proto === IpProto.HopByHop || proto === IpProto.DestOpts) &&
        !optionsReadable(b, p + 2, p + len, ipEnd)
      ) {
        // An option running past the packet: Wireshark stops inside the options.
        fb.anomaly(Anomaly.Ipv6BadOptionLength);
        this.payloadOff = p;
        return Status.Ok;
      }
      this.extHeaders++;
      p += len;
      proto = hdrNext;
      if (this.fragOffset !== 0) {
        this.payloadOff = p;
        return Status.Ok;
      }
    }
    this.payloadOff = p;
    this.#next = nextByIpProto[proto]! as LayerType;
    return Status.Ok;
  }

  /** The extension-header chain ends before its headers do: keep the addresses, stop here. */
  #cut(p: number, ipEnd: number, needEnd: number, fb: DecodeFeedback): Status {
    // Past the payload length the header is malformed; within it, the capture stopped early.
    if (needEnd > this.#declaredEnd) fb.anomaly(Anomaly.Ipv6BadExtHeaderLength);
    else reportPastEnd(fb, needEnd, Anomaly.Ipv6TruncatedExtHeader, Anomaly.Ipv6BadExtHeaderLength);
    this.payloadOff = p < ipEnd ? p : ipEnd;
    this.#next = LayerType.None;
    return Status.Ok;
  }

  nextLayerType(): LayerType {
    return this.#next;
  }
}
