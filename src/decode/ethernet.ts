import { u16be } from '../core/bytes.js';
import { Anomaly, type DecodeFeedback } from './anomalies.js';
import { IEEE_802_3_MAX_LEN, LayerType, Sap, nextByEtherType, nextByTypeOrLength } from './enums.js';
import type { DecodingLayer } from './layer.js';
import { Status } from './packet.js';

const ETH_HEADER_LEN = 14;
const VLAN_TAG_LEN = 4;
const VNTAG_LEN = 6;
const PBB_ITAG_LEN = 4;
const SNAP_LEN = 5;
/** LLC control byte of an Unnumbered Information frame. */
const LLC_UI = 0x03;

/** SNAP OUIs whose protocol id is an EtherType (RFC 1042 encapsulation, Cisco's 90-compatible variant). */
const OUI_ENCAP_ETHER = 0x000000;
const OUI_CISCO_90 = 0x0000f8;

/**
 * Limits a payload by an 802.3 length field: bytes after `start + len` are a trailer (padding). A length
 * pointing past the captured bytes leaves the end alone.
 */
function endByLength(start: number, len: number, end: number): number {
  const lenEnd = start + len;
  return lenEnd < end ? lenEnd : end;
}

/** Ethernet II / 802.3 header: addresses and the type/length field. */
export class EthernetLayer implements DecodingLayer {
  readonly type = LayerType.Ethernet;
  dstOff = 0;
  srcOff = 0;
  /** The type/length field: an EtherType above 1500, else the 802.3 length of an LLC payload. */
  etherType = 0;
  payloadOff = 0;
  payloadEnd = 0;
  #next: LayerType = LayerType.None;

  decode(b: Uint8Array, off: number, end: number, fb: DecodeFeedback): Status {
    if (end - off < ETH_HEADER_LEN) {
      fb.anomaly(Anomaly.EthTruncatedHeader);
      return Status.Truncated;
    }
    const t = u16be(b, off + 12);
    this.dstOff = off;
    this.srcOff = off + 6;
    this.etherType = t;
    this.payloadOff = off + ETH_HEADER_LEN;
    this.payloadEnd = t <= IEEE_802_3_MAX_LEN ? endByLength(off + ETH_HEADER_LEN, t, end) : end;
    this.#next = nextByTypeOrLength(t);
    return Status.Ok;
  }

  nextLayerType(): LayerType {
    return this.#next;
  }
}

/** One 802.1Q / 802.1ad tag; a stack of tags decodes this layer once per tag. */
export class Dot1QLayer implements DecodingLayer {
  readonly type = LayerType.Dot1Q;
  priority = 0;
  dropEligible = false;
  vlanId = 0;
  etherType = 0;
  payloadOff = 0;
  payloadEnd = 0;
  #next: LayerType = LayerType.None;

  decode(b: Uint8Array, off: number, end: number, fb: DecodeFeedback): Status {
    if (end - off < VLAN_TAG_LEN) {
      fb.anomaly(Anomaly.VlanTruncatedHeader);
      return Status.Truncated;
    }
    const tci = u16be(b, off);
    const t = u16be(b, off + 2);
    this.priority = tci >>> 13;
    this.dropEligible = (tci & 0x1000) !== 0;
    this.vlanId = tci & 0x0fff;
    this.etherType = t;
    this.payloadOff = off + VLAN_TAG_LEN;
    this.payloadEnd = t <= IEEE_802_3_MAX_LEN ? endByLength(off + VLAN_TAG_LEN, t, end) : end;
    this.#next = nextByTypeOrLength(t);
    return Status.Ok;
  }

  nextLayerType(): LayerType {
    return this.#next;
  }
}

/** Cisco VN-Tag (EtherType 0x8926): 4 bytes of tag, then the next type/length field. */
export class VnTagLayer implements DecodingLayer {
  readonly type = LayerType.VNTag;
  etherType = 0;
  payloadOff = 0;
  payloadEnd = 0;
  #next: LayerType = LayerType.None;

  decode(b: Uint8Array, off: number, end: number, fb: DecodeFeedback): Status {
    if (end - off < VNTAG_LEN) {
      fb.anomaly(Anomaly.VnTagTruncatedHeader);
      return Status.Truncated;
    }
    const t = u16be(b, off + 4);
    this.etherType = t;
    this.payloadOff = off + VNTAG_LEN;
    this.payloadEnd = t <= IEEE_802_3_MAX_LEN ? endByLength(off + VNTAG_LEN, t, end) : end;
    this.#next = nextByTypeOrLength(t);
    return Status.Ok;
  }

  nextLayerType(): LayerType {
    return this.#next;
  }
}

/** 802.1ah (PBB) I-TAG: 4 bytes of flags and service id, then a whole customer Ethernet header. */
export class PbbITagLayer implements DecodingLayer {
  readonly type = LayerType.PbbITag;
  serviceId = 0;
  payloadOff = 0;
  payloadEnd = 0;

  decode(b: Uint8Array, off: number, end: number, fb: DecodeFeedback): Status {
    if (end - off < PBB_ITAG_LEN) {
      fb.anomaly(Anomaly.PbbTruncatedHeader);
      return Status.Truncated;
    }
    this.serviceId = ((b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
    this.payloadOff = off + PBB_ITAG_LEN;
    this.payloadEnd = end;
    return Status.Ok;
  }

  nextLayerType(): LayerType {
    return LayerType.Ethernet;
  }
}

/**
 * 802.2 LLC, with SNAP. SNAP with an encapsulated-Ethernet OUI carries an EtherType; SAP 0x06 is IP and
 * 0x98 is ARP. Only information frames (I, or UI) are followed. Everything else (STP, CDP, IPX...) has no
 * network layer we decode.
 */
export class LlcLayer implements DecodingLayer {
  readonly type = LayerType.LLC;
  dsap = 0;
  ssap = 0;
  control = 0;
  /** SNAP OUI and protocol id, -1 without SNAP. */
  oui = -1;
  pid = -1;
  payloadOff = 0;
  payloadEnd = 0;
  #next: LayerType = LayerType.None;

  decode(b: Uint8Array, off: number, end: number, fb: DecodeFeedback): Status {
    const avail = end - off;
    if (avail < 3) {
      fb.anomaly(Anomaly.LlcTruncatedHeader);
      return Status.Truncated;
    }
    const dsap = b[off]!;
    const ssap = b[off + 1]!;
    this.dsap = dsap;
    this.ssap = ssap;
    this.oui = -1;
    this.pid = -1;
    this.payloadEnd = end;
    this.#next = LayerType.None;
    if (dsap === 0xff && ssap === 0xff) {
      // Novell "raw 802.3": IPX right after the length field, no LLC at all.
      this.control = 0;
      this.payloadOff = off;
      return Status.Ok;
    }
    const ctrl = b[off + 2]!;
    // U-format frames have a 1-byte control field, I- and S-format frames 2 bytes.
    const hdr = (ctrl & 0x03) === 0x03 ? 3 : 4;
    if (avail < hdr) {
      fb.anomaly(Anomaly.LlcTruncatedHeader);
      return Status.Truncated;
    }
    this.control = hdr === 3 ? ctrl : u16be(b, off + 2);
    this.payloadOff = off + hdr;
    // Only information frames carry data: I-format, or a U-format UI frame with the P/F bit clear.
    if ((ctrl & 0x01) !== 0 && ctrl !== LLC_UI) return Status.Ok;
    if (dsap === Sap.SNAP && ssap === Sap.SNAP) {
      if (avail < hdr + SNAP_LEN) {
        fb.anomaly(Anomaly.LlcTruncatedHeader);
        return Status.Truncated;
      }
      const p = off + hdr;
      const oui = (b[p]! << 16) | (b[p + 1]! << 8) | b[p + 2]!;
      const pid = u16be(b, p + 3);
      this.oui = oui;
      this.pid = pid;
      this.payloadOff = p + SNAP_LEN;
      if (oui === OUI_ENCAP_ETHER || oui === OUI_CISCO_90) this.#next = nextByEtherType[pid]! as LayerType;
    } else if (dsap === Sap.IP) {
      this.#next = LayerType.IPv4;
    } else if (dsap === Sap.ARP) {
      this.#next = LayerType.ARP;
    }
    return Status.Ok;
  }

  nextLayerType(): LayerType {
    return this.#next;
  }
}
