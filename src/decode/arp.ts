import { u16be } from '../core/bytes.js';
import { Anomaly, reportPastEnd, type DecodeFeedback } from './anomalies.js';
import { LayerType } from './enums.js';
import type { DecodingLayer } from './layer.js';
import { Status } from './packet.js';

const ARP_FIXED_LEN = 8;
const ATMARP_FIXED_LEN = 12;
/** ATM ARP (RFC 2225) has its own layout; the operation is still at offset 6. */
const ARPHRD_ATM2225 = 19;
const ATMARP_LEN_MASK = 0x3f;

/**
 * ARP / RARP / ATMARP. The frame's network layer is ARP whenever the EtherType says so, even when the
 * header is short. `opcode` is -1 when the 8-byte fixed header is missing, and for ATM ARP also when the
 * addresses its lengths announce do not fit (Wireshark gives up on such a frame before the operation; for
 * plain ARP it shows the operation first).
 */
export class ArpLayer implements DecodingLayer {
  readonly type = LayerType.ARP;
  headerOff = 0;
  hardwareType = 0;
  protocolType = 0;
  hwAddrLen = 0;
  protoAddrLen = 0;
  opcode = -1;
  /** Offsets of the sender/target hardware and protocol addresses; -1 when they are not all captured. */
  senderHwOff = -1;
  senderProtoOff = -1;
  targetHwOff = -1;
  targetProtoOff = -1;
  payloadOff = 0;
  payloadEnd = 0;

  decode(b: Uint8Array, off: number, end: number, fb: DecodeFeedback): Status {
    const avail = end - off;
    this.headerOff = off;
    this.opcode = -1;
    this.senderHwOff = -1;
    this.senderProtoOff = -1;
    this.targetHwOff = -1;
    this.targetProtoOff = -1;
    this.payloadOff = end;
    this.payloadEnd = end;
    if (avail < ARP_FIXED_LEN) {
      fb.anomaly(Anomaly.ArpTruncatedHeader);
      return Status.Ok;
    }
    const hrd = u16be(b, off);
    this.hardwareType = hrd;
    this.protocolType = u16be(b, off + 2);
    if (hrd === ARPHRD_ATM2225) {
      if (avail < ATMARP_FIXED_LEN) {
        fb.anomaly(Anomaly.ArpTruncatedHeader);
        return Status.Ok;
      }
      this.hwAddrLen = b[off + 4]! & ATMARP_LEN_MASK;
      this.protoAddrLen = b[off + 8]!;
      const total =
        ATMARP_FIXED_LEN +
        (b[off + 4]! & ATMARP_LEN_MASK) +
        (b[off + 5]! & ATMARP_LEN_MASK) +
        b[off + 8]! +
        (b[off + 9]! & ATMARP_LEN_MASK) +
        (b[off + 10]! & ATMARP_LEN_MASK) +
        b[off + 11]!;
      if (total > avail) {
        reportPastEnd(fb, off + total, Anomaly.ArpTruncatedHeader, Anomaly.ArpBadLength);
        return Status.Ok;
      }
      this.opcode = u16be(b, off + 6);
      this.payloadOff = off + total;
      return Status.Ok;
    }
    const hln = b[off + 4]!;
    const pln = b[off + 5]!;
    this.hwAddrLen = hln;
    this.protoAddrLen = pln;
    this.opcode = u16be(b, off + 6);
    const total = ARP_FIXED_LEN + 2 * hln + 2 * pln;
    if (total > avail) {
      reportPastEnd(fb, off + total, Anomaly.ArpTruncatedHeader, Anomaly.ArpBadLength);
      return Status.Ok;
    }
    this.senderHwOff = off + ARP_FIXED_LEN;
    this.senderProtoOff = this.senderHwOff + hln;
    this.targetHwOff = this.senderProtoOff + pln;
    this.targetProtoOff = this.targetHwOff + hln;
    this.payloadOff = off + total;
    return Status.Ok;
  }

  nextLayerType(): LayerType {
    return LayerType.None;
  }
}
