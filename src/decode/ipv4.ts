import { u16be } from '../core/bytes.js';
import { Anomaly, reportPastEnd, type DecodeFeedback } from './anomalies.js';
import { LayerType, nextByIpProto } from './enums.js';
import type { DecodingLayer } from './layer.js';
import { Status } from './packet.js';

export const IPV4_MIN_HEADER_LEN = 20;

/** IPv4 option numbers that matter for finding the destination. */
const IPOPT_EOOL = 0;
const IPOPT_NOP = 1;
const IPOPT_LSR = 0x83;
const IPOPT_SSR = 0x89;
const ROUTE_ADDR_LEN = 4;

/**
 * Wireshark's get_dst_offset: whether the first loose or strict source route option has a valid pointer
 * (4, 8, 12... within the option). It gives up at an end-of-options option, a length under 2 or one past
 * the options.
 */
function hasSourceRoute(b: Uint8Array, optStart: number, optBytes: number, captureEnd: number): boolean {
  let p = optStart;
  let length = optBytes;
  while (length > 0) {
    if (p >= captureEnd) return false;
    const opt = b[p]!;
    length--;
    if (opt === IPOPT_EOOL) return false;
    if (opt === IPOPT_NOP) {
      p += 1;
      continue;
    }
    if (length === 0 || p + 1 >= captureEnd) return false;
    const len = b[p + 1]!;
    length--;
    if (len < 2 || len - 2 > length) return false;
    if (opt === IPOPT_SSR || opt === IPOPT_LSR) {
      // The first route option decides.
      return p + 2 < captureEnd && validRoutePointer(b[p + 2]!, len);
    }
    p += len;
    length -= len - 2;
  }
  return false;
}

function validRoutePointer(ptr: number, len: number): boolean {
  return ptr >= 4 && (ptr & 3) === 0 && ptr <= len;
}

/**
 * The destination Wireshark shows when a source route is present: the last address of the first route
 * option with whole addresses and a valid pointer (the header's destination is then only the next hop). Returns
 * its offset, or -1 when there is none; Wireshark then shows no destination at all, and we keep the
 * header's.
 */
function sourceRouteDestination(
  b: Uint8Array,
  optStart: number,
  optBytes: number,
  captureEnd: number,
): number {
  if (!hasSourceRoute(b, optStart, optBytes, captureEnd)) return -1;
  let p = optStart;
  let length = optBytes;
  while (length > 0) {
    const opt = b[p]!;
    length--;
    if (opt === IPOPT_EOOL) return -1;
    if (opt === IPOPT_NOP) {
      p += 1;
      continue;
    }
    if (length === 0 || p + 1 >= captureEnd) return -1;
    const len = b[p + 1]!;
    length--;
    if (len < 2 || len - 2 > length) return -1;
    if (
      (opt === IPOPT_SSR || opt === IPOPT_LSR) &&
      len >= 3 + ROUTE_ADDR_LEN &&
      (len - 3) % ROUTE_ADDR_LEN === 0 &&
      p + 2 < captureEnd &&
      validRoutePointer(b[p + 2]!, len)
    ) {
      const dst = p + len - ROUTE_ADDR_LEN;
      return dst + ROUTE_ADDR_LEN <= captureEnd ? dst : -1;
    }
    p += len;
    length -= len - 2;
  }
  return -1;
}

/**
 * IPv4 header. A version other than 4 stops decoding. (Wireshark's "ip" dissector hands version 6 on to
 * IPv6, but lists the frame as `ip:ipv6` with no IPv4 addresses, so the reference rules see no IP layer;
 * an IPv4 EtherType carrying an IPv6 header is a contradiction we report as `ipv4.bad_version`.)
 * As Wireshark does: a header length under 20 or a total length under the header length
 * makes the header unusable; a total length of 0 is taken as TCP segmentation offload (the datagram runs to
 * the end of the frame); bytes past the total length are a link-layer trailer. Only a first fragment
 * (offset 0) leads to a transport header.
 */
export class Ipv4Layer implements DecodingLayer {
  readonly type = LayerType.IPv4;
  headerLen = 0;
  tos = 0;
  /** Total length as used: the header field, or the bytes to the end of the frame when it is 0. */
  totalLen = 0;
  id = 0;
  dontFragment = false;
  moreFragments = false;
  /** Fragment offset in bytes. */
  fragOffset = 0;
  ttl = 0;
  protocol = 0;
  checksum = 0;
  srcOff = 0;
  /** The destination as Wireshark shows it: the header's, or the last hop of a source route option. */
  dstOff = 0;
  /** The header's destination field (the next hop when a source route is present). */
  headerDstOff = 0;
  payloadOff = 0;
  payloadEnd = 0;
  #next: LayerType = LayerType.None;

  decode(b: Uint8Array, off: number, end: number, fb: DecodeFeedback): Status {
    const avail = end - off;
    if (avail < 1) {
      fb.anomaly(Anomaly.Ipv4TruncatedHeader);
      return Status.Truncated;
    }
    const vhl = b[off]!;
    if (vhl >>> 4 !== 4) {
      fb.anomaly(Anomaly.Ipv4BadVersion);
      return Status.Malformed;
    }
    const ihl = (vhl & 0x0f) << 2;
    if (ihl < IPV4_MIN_HEADER_LEN) {
      fb.anomaly(Anomaly.Ipv4BadHeaderLength);
      return Status.Malformed;
    }
    if (avail < IPV4_MIN_HEADER_LEN) {
      fb.anomaly(Anomaly.Ipv4TruncatedHeader);
      return Status.Truncated;
    }
    let total = u16be(b, off + 2);
    if (total === 0) total = avail;
    else if (total < ihl) {
      fb.anomaly(Anomaly.Ipv4BadTotalLength);
      return Status.Malformed;
    }
    const frag = u16be(b, off + 6);
    this.headerLen = ihl;
    this.tos = b[off + 1]!;
    this.totalLen = total;
    this.id = u16be(b, off + 4);
    this.dontFragment = (frag & 0x4000) !== 0;
    this.moreFragments = (frag & 0x2000) !== 0;
    this.fragOffset = (frag & 0x1fff) << 3;
    this.ttl = b[off + 8]!;
    this.protocol = b[off + 9]!;
    this.checksum = u16be(b, off + 10);
    this.srcOff = off + 12;
    this.dstOff = off + 16;
    this.headerDstOff = off + 16;
    if (ihl > IPV4_MIN_HEADER_LEN) {
      const routeDst = sourceRouteDestination(b, off + IPV4_MIN_HEADER_LEN, ihl - IPV4_MIN_HEADER_LEN, end);
      if (routeDst >= 0) this.dstOff = routeDst;
    }

    if (off + ihl > end) {
      // Options cut off by the capture: the addresses are good, nothing after them is.
      fb.anomaly(Anomaly.Ipv4TruncatedHeader);
      this.payloadOff = end;
      this.payloadEnd = end;
      this.#next = LayerType.None;
      return Status.Ok;
    }
    let ipEnd = off + total;
    if (ipEnd > end) {
      reportPastEnd(fb, ipEnd, Anomaly.Ipv4TruncatedPayload, Anomaly.Ipv4BadTotalLength);
      ipEnd = end;
    }
    this.payloadEnd = ipEnd;
    this.payloadOff = off + ihl;
    this.#next = this.fragOffset !== 0 ? LayerType.None : (nextByIpProto[this.protocol]! as LayerType);
    return Status.Ok;
  }

  nextLayerType(): LayerType {
    return this.#next;
  }
}
