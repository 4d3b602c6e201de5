/** IEEE 802.11 data frames, bare (LINKTYPE_IEEE802_11, 105) or behind a radiotap header (127). */
import { u16le, u32le } from '../core/bytes.js';
import { Anomaly, UNKNOWN_WIRE_END, type DecodeFeedback } from './anomalies.js';
import { LayerType } from './enums.js';
import type { DecodingLayer } from './layer.js';
import { Status } from './packet.js';

const RADIOTAP_MIN_LEN = 8;
const RADIOTAP_PRESENT_TSFT = 0x1;
const RADIOTAP_PRESENT_FLAGS = 0x2;
const RADIOTAP_PRESENT_EXT = 0x80000000;
const RADIOTAP_FLAG_FCS = 0x10;
const RADIOTAP_FLAG_DATAPAD = 0x20;
const FCS_LEN = 4;

const WLAN_TYPE_DATA = 2;
const WLAN_BASE_HEADER_LEN = 24;
const WLAN_ADDR4_LEN = 6;
const WLAN_QOS_LEN = 2;
const WLAN_HTC_LEN = 4;
const WLAN_FLAG_TO_DS = 0x01;
const WLAN_FLAG_FROM_DS = 0x02;
const WLAN_FLAG_MORE_FRAGMENTS = 0x04;
const WLAN_FLAG_PROTECTED = 0x40;
const WLAN_FLAG_ORDER = 0x80;
const WLAN_SUBTYPE_QOS = 0x8;
const WLAN_SUBTYPE_NO_DATA = 0x4;
const WLAN_QOS_AMSDU = 0x80;
/** A-MSDU subframe header: destination, source, length. */
const AMSDU_SUBFRAME_HEADER_LEN = 14;

/**
 * Radiotap header: its length, and the Flags field when present, for the FCS-at-end and data-padding
 * bits. Fields start after the presence bitmaps and are aligned to their size from the header start.
 */
export class RadiotapLayer implements DecodingLayer {
  readonly type = LayerType.Radiotap;
  headerLen = 0;
  present = 0;
  /** The Flags field, 0 when absent. */
  flags = 0;
  payloadOff = 0;
  payloadEnd = 0;

  decode(b: Uint8Array, off: number, end: number, fb: DecodeFeedback): Status {
    const avail = end - off;
    if (avail < RADIOTAP_MIN_LEN) {
      fb.anomaly(Anomaly.RadiotapTruncatedHeader);
      return Status.Truncated;
    }
    const len = u16le(b, off + 2);
    if (len < RADIOTAP_MIN_LEN) {
      fb.anomaly(Anomaly.RadiotapBadHeaderLength);
      return Status.Malformed;
    }
    if (len > avail) {
      fb.anomaly(Anomaly.RadiotapTruncatedHeader);
      return Status.Truncated;
    }
    const present = u32le(b, off + 4);
    let rel = 4;
    let word = present;
    while ((word & RADIOTAP_PRESENT_EXT) !== 0) {
      rel += 4;
      if (rel + 4 > len) {
        fb.anomaly(Anomaly.RadiotapBadHeaderLength);
        return Status.Malformed;
      }
      word = u32le(b, off + rel);
    }
    rel += 4; // first field
    let flags = 0;
    if ((present & RADIOTAP_PRESENT_TSFT) !== 0) rel = ((rel + 7) & ~7) + 8;
    if ((present & RADIOTAP_PRESENT_FLAGS) !== 0 && rel < len) flags = b[off + rel]!;
    this.headerLen = len;
    this.present = present;
    this.flags = flags;
    this.payloadOff = off + len;
    this.payloadEnd = end;
    if ((flags & RADIOTAP_FLAG_FCS) !== 0) {
      // The FCS is the last 4 bytes on the wire; a capture cut short may not hold it at all.
      const frameEnd = fb.wireEnd === UNKNOWN_WIRE_END ? fb.captureEnd : fb.wireEnd;
      const fcsOff = frameEnd - FCS_LEN;
      if (fcsOff < end) this.payloadEnd = fcsOff > this.payloadOff ? fcsOff : this.payloadOff;
    }
    return Status.Ok;
  }

  nextLayerType(): LayerType {
    return (this.flags & RADIOTAP_FLAG_DATAPAD) !== 0 ? LayerType.Dot11Padded : LayerType.Dot11;
  }
}

/**
 * 802.11 MAC header. Only data frames that carry data lead anywhere: unprotected (a protected frame's
 * payload is ciphertext), unfragmented, through LLC/SNAP. QoS data adds 2 bytes (4 more with HT control);
 * frames between two distribution systems carry a fourth address; an A-MSDU is followed into its first
 * subframe.
 */
export class Dot11Layer implements DecodingLayer {
  readonly type: typeof LayerType.Dot11 | typeof LayerType.Dot11Padded;
  readonly #padded: boolean;
  frameControl = 0;
  frameType = 0;
  subtype = 0;
  flags = 0;
  headerLen = 0;
  /** Destination and source addresses (DA/SA), resolved through the To/From DS bits; -1 when absent. */
  dstOff = -1;
  srcOff = -1;
  payloadOff = 0;
  payloadEnd = 0;
  #next: LayerType = LayerType.None;

  constructor(padded: boolean) {
    this.#padded = padded;
    this.type = padded ? LayerType.Dot11Padded : LayerType.Dot11;
  }

  decode(b: Uint8Array, off: number, end: number, fb: DecodeFeedback): Status {
    const avail = end - off;
    if (avail < 2) {
      fb.anomaly(Anomaly.WlanTruncatedHeader);
      return Status.Truncated;
    }
    const fc = b[off]!;
    const flags = b[off + 1]!;
    this.frameControl = (fc << 8) | flags;
    this.frameType = (fc >>> 2) & 0x3;
    this.subtype = fc >>> 4;
    this.flags = flags;
    this.dstOff = -1;
    this.srcOff = -1;
    this.headerLen = 0;
    this.payloadOff = end;
    this.payloadEnd = end;
    this.#next = LayerType.None;
    if (this.frameType !== WLAN_TYPE_DATA) return Status.Ok;

    const toDs = (flags & WLAN_FLAG_TO_DS) !== 0;
    const fromDs = (flags & WLAN_FLAG_FROM_DS) !== 0;
    const qos = (this.subtype & WLAN_SUBTYPE_QOS) !== 0;
    let hdr = WLAN_BASE_HEADER_LEN;
    if (toDs && fromDs) hdr += WLAN_ADDR4_LEN;
    const qosOff = off + hdr;
    if (qos) {
      hdr += WLAN_QOS_LEN;
      if ((flags & WLAN_FLAG_ORDER) !== 0) hdr += WLAN_HTC_LEN;
    }
    if (avail < hdr) {
      fb.anomaly(Anomaly.WlanTruncatedHeader);
      return Status.Truncated;
    }
    this.headerLen = hdr;
    const a1 = off + 4;
    const a2 = off + 10;
    const a3 = off + 16;
    this.dstOff = toDs ? a3 : a1;
    this.srcOff = fromDs ? (toDs ? off + 24 : a3) : a2;

    if ((this.subtype & WLAN_SUBTYPE_NO_DATA) !== 0) return Status.Ok;
    if ((flags & WLAN_FLAG_PROTECTED) !== 0) return Status.Ok;
    // A fragment with more to come is not decoded. The last fragment (or a lone one) is, whatever its
    // fragment number: Wireshark's 802.11 reassembly treats a final fragment it has no others for as whole.
    if ((flags & WLAN_FLAG_MORE_FRAGMENTS) !== 0) return Status.Ok;

    let p = off + (this.#padded ? (hdr + 3) & ~3 : hdr);
    if (qos && (b[qosOff]! & WLAN_QOS_AMSDU) !== 0) p += AMSDU_SUBFRAME_HEADER_LEN;
    if (p > end) {
      fb.anomaly(Anomaly.WlanTruncatedHeader);
      return Status.Ok;
    }
    this.payloadOff = p;
    this.#next = LayerType.LLC;
    return Status.Ok;
  }

  nextLayerType(): LayerType {
    return this.#next;
  }
}
