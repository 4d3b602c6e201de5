/** PPP, PPPoE sessions and MPLS label stacks. */
import { u16be, u32be } from '../core/bytes.js';
import { Anomaly, type DecodeFeedback } from './anomalies.js';
import { LayerType, nextByEtherType, nextByPppProto } from './enums.js';
import type { DecodingLayer } from './layer.js';
import { Status } from './packet.js';

const PPPOE_HEADER_LEN = 6;
const MPLS_LABEL_LEN = 4;
const PW_CONTROL_WORD_LEN = 4;
const ETH_HEADER_LEN = 14;
/** Cisco HDLC address bytes; Wireshark hands such "PPP" frames to its Cisco HDLC dissector. */
const CHDLC_ADDR_UNICAST = 0x0f;
const CHDLC_ADDR_MULTICAST = 0x8f;
/** MPLS label 13: Generic Associated Channel (RFC 5586); what follows is not user traffic. */
const MPLS_LABEL_GAL = 13;

/**
 * PPP protocol field, 1 byte when protocol-field compression is on (odd first byte), else 2. The HDLC
 * variant first skips the address/control bytes `ff 03` when present (Wireshark's ppp_hdlc dissector).
 */
export class PppLayer implements DecodingLayer {
  readonly type: typeof LayerType.PPP | typeof LayerType.PPPHdlc;
  readonly #hdlc: boolean;
  protocol = 0;
  payloadOff = 0;
  payloadEnd = 0;
  #next: LayerType = LayerType.None;

  constructor(hdlc: boolean) {
    this.#hdlc = hdlc;
    this.type = hdlc ? LayerType.PPPHdlc : LayerType.PPP;
  }

  decode(b: Uint8Array, off: number, end: number, fb: DecodeFeedback): Status {
    let p = off;
    this.payloadEnd = end;
    if (this.#hdlc) {
      if (end - p < 1) {
        fb.anomaly(Anomaly.PppTruncatedHeader);
        return Status.Truncated;
      }
      const b0 = b[p]!;
      if (b0 === CHDLC_ADDR_UNICAST || b0 === CHDLC_ADDR_MULTICAST) {
        this.protocol = -1;
        this.payloadOff = p;
        this.#next = LayerType.CHdlc;
        return Status.Ok;
      }
      if (b0 === 0xff) p += 2;
    }
    if (end - p < 1) {
      fb.anomaly(Anomaly.PppTruncatedHeader);
      return Status.Truncated;
    }
    let proto: number;
    if ((b[p]! & 0x01) !== 0) {
      proto = b[p]!;
      p += 1;
    } else {
      if (end - p < 2) {
        fb.anomaly(Anomaly.PppTruncatedHeader);
        return Status.Truncated;
      }
      proto = u16be(b, p);
      p += 2;
    }
    this.protocol = proto;
    this.payloadOff = p;
    this.#next = nextByPppProto[proto]! as LayerType;
    return Status.Ok;
  }

  nextLayerType(): LayerType {
    return this.#next;
  }
}

/** PPPoE session stage (EtherType 0x8864): a 6-byte header, then PPP. */
export class PppoeLayer implements DecodingLayer {
  readonly type = LayerType.PPPoE;
  version = 0;
  code = 0;
  sessionId = 0;
  length = 0;
  payloadOff = 0;
  payloadEnd = 0;

  decode(b: Uint8Array, off: number, end: number, fb: DecodeFeedback): Status {
    if (end - off < PPPOE_HEADER_LEN) {
      fb.anomaly(Anomaly.PppoeTruncatedHeader);
      return Status.Truncated;
    }
    this.version = b[off]!;
    this.code = b[off + 1]!;
    this.sessionId = u16be(b, off + 2);
    this.length = u16be(b, off + 4);
    this.payloadOff = off + PPPOE_HEADER_LEN;
    const lenEnd = this.payloadOff + this.length;
    // Bytes beyond the PPPoE length are Ethernet padding.
    this.payloadEnd = lenEnd < end ? lenEnd : end;
    return Status.Ok;
  }

  nextLayerType(): LayerType {
    return LayerType.PPP;
  }
}

function isEthernetPayloadType(t: number): boolean {
  const next = nextByEtherType[t]!;
  return next !== LayerType.None;
}

/**
 * MPLS label stack (EtherTypes 0x8847/0x8848). After the bottom-of-stack label, the first nibble of the
 * payload picks the protocol as Wireshark does (BCP 128 / RFC 4385): 4 → IPv4, 6 → IPv6, 0 → a pseudowire
 * carrying Ethernet, with or without a control word, 1 → a PW associated channel (not decoded).
 */
export class MplsLayer implements DecodingLayer {
  readonly type = LayerType.MPLS;
  /** Number of labels and the bottom (last) one. */
  depth = 0;
  label = 0;
  ttl = 0;
  payloadOff = 0;
  payloadEnd = 0;
  #next: LayerType = LayerType.None;

  decode(b: Uint8Array, off: number, end: number, fb: DecodeFeedback): Status {
    let p = off;
    let depth = 0;
    let entry: number;
    for (;;) {
      if (end - p < MPLS_LABEL_LEN) {
        fb.anomaly(Anomaly.MplsTruncatedHeader);
        return Status.Truncated;
      }
      entry = u32be(b, p);
      p += MPLS_LABEL_LEN;
      depth++;
      if ((entry & 0x100) !== 0) break;
    }
    this.depth = depth;
    this.label = entry >>> 12;
    this.ttl = entry & 0xff;
    this.payloadOff = p;
    this.payloadEnd = end;
    this.#next = LayerType.None;
    if (this.label === MPLS_LABEL_GAL || p >= end) return Status.Ok;
    const nibble = b[p]! >>> 4;
    if (nibble === 4) this.#next = LayerType.IPv4;
    else if (nibble === 6) this.#next = LayerType.IPv6;
    else if (nibble === 0) this.#pwEthernet(b, p, end);
    return Status.Ok;
  }

  /**
   * Ethernet pseudowire. Wireshark guesses whether a control word is present; we take the frame as plain
   * Ethernet when its type field is one we decode, else skip a 4-byte control word.
   */
  #pwEthernet(b: Uint8Array, p: number, end: number): void {
    if (end - p >= ETH_HEADER_LEN && isEthernetPayloadType(u16be(b, p + 12))) {
      this.#next = LayerType.Ethernet;
    } else if (end - p >= PW_CONTROL_WORD_LEN + ETH_HEADER_LEN) {
      this.payloadOff = p + PW_CONTROL_WORD_LEN;
      this.#next = LayerType.Ethernet;
    }
  }

  nextLayerType(): LayerType {
    return this.#next;
  }
}
