import { u16be } from '../core/bytes.js';
import { DecodedPacket, Network, Status } from './packet.js';

/**
 * Minimal first cut: Ethernet (+802.1Q) → IPv4/IPv6 → TCP/UDP/ICMP. To be replaced by the layered decoder.
 */
export class PacketDecoder {
  readonly counts = { truncated: 0, malformed: 0, unknownLinkType: 0 };

  decode(b: Uint8Array, off: number, end: number, linkType: number, out: DecodedPacket): void {
    out.reset();
    if (linkType !== 1) {
      out.status = Status.UnknownLinkType;
      this.counts.unknownLinkType++;
      return;
    }
    if (end - off < 14) return this.#fail(out, Status.Truncated);
    let type = u16be(b, off + 12);
    let p = off + 14;
    while (type === 0x8100 || type === 0x88a8) {
      if (end - p < 4) return this.#fail(out, Status.Truncated);
      if (out.vlan < 0) out.vlan = u16be(b, p) & 0x0fff;
      type = u16be(b, p + 2);
      p += 4;
    }
    if (type === 0x0800) {
      if (end - p < 20) return this.#fail(out, Status.Truncated);
      const ihl = (b[p]! & 0x0f) * 4;
      out.network = Network.IPv4;
      out.srcOff = p + 12;
      out.dstOff = p + 16;
      out.ipProto = b[p + 9]!;
      const frag = u16be(b, p + 6);
      out.fragOffset = (frag & 0x1fff) * 8;
      out.moreFragments = (frag & 0x2000) !== 0;
      if (out.fragOffset === 0) this.#transport(b, p + ihl, end, out);
    } else if (type === 0x86dd) {
      if (end - p < 40) return this.#fail(out, Status.Truncated);
      out.network = Network.IPv6;
      out.srcOff = p + 8;
      out.dstOff = p + 24;
      out.ipProto = b[p + 6]!;
      this.#transport(b, p + 40, end, out);
    } else if (type === 0x0806) {
      out.network = Network.ARP;
    }
  }

  #transport(b: Uint8Array, p: number, end: number, out: DecodedPacket): void {
    const proto = out.ipProto;
    if ((proto === 6 || proto === 17) && end - p >= 4) {
      out.srcPort = u16be(b, p);
      out.dstPort = u16be(b, p + 2);
    }
  }

  #fail(out: DecodedPacket, status: Status): void {
    out.status = status;
    if (status === Status.Truncated) this.counts.truncated++;
    else this.counts.malformed++;
  }
}
