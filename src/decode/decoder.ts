import {
  UNKNOWN_WIRE_END,
  ANOMALY_COUNT,
  ANOMALY_IS_TRUNCATION,
  ANOMALY_NAMES,
  Anomaly,
  type DecodeFeedback,
} from './anomalies.js';
import { ArpLayer } from './arp.js';
import { ChdlcLayer, LoopLayer, NflogLayer, NullLayer, RawLayer, Sll2Layer, SllLayer } from './cooked.js';
import { LAYER_TYPE_COUNT, LayerType, firstLayerByLinkType } from './enums.js';
import { Dot1QLayer, EthernetLayer, LlcLayer, PbbITagLayer, VnTagLayer } from './ethernet.js';
import { Ipv4Layer } from './ipv4.js';
import { Ipv6Layer } from './ipv6.js';
import type { DecodingLayer } from './layer.js';
import { Network, Status, type DecodedPacket } from './packet.js';
import { MplsLayer, PppLayer, PppoeLayer } from './ppp.js';
import { IcmpLayer, TcpLayer, UdpLayer } from './transport.js';
import { Dot11Layer, RadiotapLayer } from './wlan.js';

/** Most layers decoded in one frame; deeper frames stop with `decode.too_many_layers`. */
export const MAX_LAYERS = 32;

export interface DecoderCounters {
  /** Frames whose decoding met a malformed header (a contradictory length, a bad version...). */
  malformed: number;
  /** Frames cut short (and not malformed). */
  truncated: number;
  /** Frames of a link type the decoder does not know. */
  unknownLinkType: number;
  /** Occurrences by anomaly name (`ipv4.bad_header_length`...), only the ones seen. */
  byAnomaly: Record<string, number>;
}

/**
 * Decodes frames from the link layer to the outer transport header (STYLE.md E2): a loop that dispatches
 * through a registry of reusable layer objects indexed by layer type, each layer naming the next. The
 * outcome lands in a caller-owned DecodedPacket. Nothing on this path allocates, throws or logs; bad bytes
 * become anomaly counts and a status.
 *
 * Only the outer network layer and what directly follows it are decoded: tunnels (GRE, IP-in-IP, ESP...)
 * and ICMP-quoted packets stop the walk.
 */
export class PacketDecoder implements DecodeFeedback {
  /** Live totals by frame status (kept for callers that read them directly). */
  readonly counts = { truncated: 0, malformed: 0, unknownLinkType: 0 };
  /** Layer types decoded by the last call, outermost first; `decodedCount` of them are valid. */
  readonly decoded = new Uint8Array(MAX_LAYERS);
  decodedCount = 0;
  captureEnd = 0;
  wireEnd = UNKNOWN_WIRE_END;
  fragmented = false;

  readonly ethernet = new EthernetLayer();
  readonly dot1q = new Dot1QLayer();
  readonly dot11 = new Dot11Layer(false);
  readonly dot11Padded = new Dot11Layer(true);
  readonly ipv4 = new Ipv4Layer();
  readonly ipv6 = new Ipv6Layer();
  readonly arp = new ArpLayer();
  readonly tcp = new TcpLayer();
  readonly udp = new UdpLayer();
  readonly icmpv4 = new IcmpLayer(false);
  readonly icmpv6 = new IcmpLayer(true);

  readonly #byType: (DecodingLayer | undefined)[];
  readonly #anomalies = new Uint32Array(ANOMALY_COUNT);
  #firstAnomaly = 0;
  #sawTruncation = false;
  #sawMalformation = false;

  constructor() {
    const layers: DecodingLayer[] = [
      this.ethernet,
      this.dot1q,
      new VnTagLayer(),
      new PbbITagLayer(),
      new LlcLayer(),
      new PppoeLayer(),
      new PppLayer(false),
      new PppLayer(true),
      new MplsLayer(),
      new SllLayer(),
      new Sll2Layer(),
      new NullLayer(),
      new LoopLayer(),
      new RawLayer(),
      new ChdlcLayer(),
      new NflogLayer(),
      new RadiotapLayer(),
      this.dot11,
      this.dot11Padded,
      this.ipv4,
      this.ipv6,
      this.arp,
      this.tcp,
      this.udp,
      this.icmpv4,
      this.icmpv6,
    ];
    const byType = new Array<DecodingLayer | undefined>(LAYER_TYPE_COUNT).fill(undefined);
    for (const layer of layers) {
      if (byType[layer.type] !== undefined) throw new Error(`two decoding layers for type ${layer.type}`);
      byType[layer.type] = layer;
    }
    this.#byType = byType;
  }

  /**
   * Decodes the frame in b[off, end) captured on a link of type `linkType` (LINKTYPE_*, low 16 bits) into
   * `out`. `wireLen`, the frame's length on the wire, lets the decoder tell a snaplen cut (truncated) from
   * a length field that lies (malformed); without it every cut is taken for a truncation.
   */
  decode(b: Uint8Array, off: number, end: number, linkType: number, out: DecodedPacket, wireLen = -1): void {
    out.reset();
    this.decodedCount = 0;
    let t = (linkType >>> 0 <= 0xffff ? firstLayerByLinkType[linkType]! : LayerType.None) as LayerType;
    if (t === LayerType.None) {
      out.status = Status.UnknownLinkType;
      this.counts.unknownLinkType++;
      return;
    }
    if (end > b.length) end = b.length;
    if (off < 0) off = 0;
    if (end < off) end = off;
    this.captureEnd = end;
    // Small integers only: a double here would box a heap number on every packet.
    const wireEnd = wireLen >= end - off ? off + wireLen : UNKNOWN_WIRE_END;
    this.wireEnd = wireEnd < UNKNOWN_WIRE_END ? wireEnd : UNKNOWN_WIRE_END;
    this.fragmented = false;
    this.#firstAnomaly = 0;
    this.#sawTruncation = false;
    this.#sawMalformation = false;

    const byType = this.#byType;
    let n = 0;
    while (t !== LayerType.None) {
      if (n === MAX_LAYERS) {
        this.anomaly(Anomaly.DecodeTooManyLayers);
        break;
      }
      const layer: DecodingLayer = byType[t]!;
      if (layer.decode(b, off, end, this) !== Status.Ok) break;
      this.decoded[n++] = t;
      this.#collect(t, out);
      off = layer.payloadOff;
      end = layer.payloadEnd;
      t = layer.nextLayerType();
    }
    this.decodedCount = n;

    out.anomaly = this.#firstAnomaly;
    if (this.#sawMalformation) {
      out.status = Status.Malformed;
      this.counts.malformed++;
    } else if (this.#sawTruncation) {
      out.status = Status.Truncated;
      this.counts.truncated++;
    }
  }

  /** DecodeFeedback: layers report anomalies here. */
  anomaly(id: Anomaly): void {
    this.#anomalies[id]!++;
    if (this.#firstAnomaly === 0) this.#firstAnomaly = id;
    if (ANOMALY_IS_TRUNCATION[id] === 1) this.#sawTruncation = true;
    else this.#sawMalformation = true;
  }

  /** The outer IP header's fields; `srcAt` is where the source address sits in the header. */
  #collectIp(ip: Ipv4Layer | Ipv6Layer, network: Network, srcAt: number, out: DecodedPacket): void {
    out.network = network;
    out.l3Off = ip.srcOff - srcAt;
    out.srcOff = ip.srcOff;
    out.dstOff = ip.dstOff;
    out.ipProto = ip.protocol;
    out.fragOffset = ip.fragOffset;
    out.moreFragments = ip.moreFragments;
    this.fragmented = ip.moreFragments || ip.fragOffset !== 0;
    out.l4Off = ip.payloadOff < ip.payloadEnd ? ip.payloadOff : -1;
    out.payloadOff = ip.payloadOff;
    out.payloadEnd = ip.payloadEnd;
  }

  /** The outer TCP or UDP ports and the payload they carry. */
  #collectPorts(l4: TcpLayer | UdpLayer, out: DecodedPacket): void {
    out.srcPort = l4.srcPort;
    out.dstPort = l4.dstPort;
    out.payloadOff = l4.payloadOff;
    out.payloadEnd = l4.payloadEnd;
  }

  /** Copies what the pipeline needs from a layer that just decoded into the packet summary. */
  #collect(t: LayerType, out: DecodedPacket): void {
    switch (t) {
      case LayerType.Ethernet:
        if (out.macSrcOff < 0) {
          out.macDstOff = this.ethernet.dstOff;
          out.macSrcOff = this.ethernet.srcOff;
        }
        break;
      case LayerType.Dot11:
      case LayerType.Dot11Padded: {
        const w = t === LayerType.Dot11 ? this.dot11 : this.dot11Padded;
        if (out.macSrcOff < 0 && w.srcOff >= 0) {
          out.macDstOff = w.dstOff;
          out.macSrcOff = w.srcOff;
        }
        break;
      }
      case LayerType.Dot1Q:
        if (out.vlan < 0) out.vlan = this.dot1q.vlanId;
        break;
      case LayerType.IPv4:
        this.#collectIp(this.ipv4, Network.IPv4, 12, out);
        break;
      case LayerType.IPv6:
        this.#collectIp(this.ipv6, Network.IPv6, 8, out);
        break;
      case LayerType.ARP:
        out.network = Network.ARP;
        out.l3Off = this.arp.headerOff;
        out.arpOpcode = this.arp.opcode;
        break;
      case LayerType.TCP:
        out.tcpFlags = this.tcp.flags;
        this.#collectPorts(this.tcp, out);
        break;
      case LayerType.UDP:
        this.#collectPorts(this.udp, out);
        break;
      case LayerType.ICMPv4:
      case LayerType.ICMPv6: {
        const icmp = t === LayerType.ICMPv4 ? this.icmpv4 : this.icmpv6;
        out.icmpType = icmp.icmpType;
        out.icmpCode = icmp.icmpCode;
        out.payloadOff = icmp.payloadOff;
        out.payloadEnd = icmp.payloadEnd;
        break;
      }
      default:
        break;
    }
  }

  /** Totals and per-anomaly counts since construction (or the last resetCounters). Allocates; call rarely. */
  counters(): DecoderCounters {
    const byAnomaly: Record<string, number> = {};
    const a = this.#anomalies;
    for (let i = 1; i < a.length; i++) {
      if (a[i]! > 0) byAnomaly[ANOMALY_NAMES[i]!] = a[i]!;
    }
    return {
      malformed: this.counts.malformed,
      truncated: this.counts.truncated,
      unknownLinkType: this.counts.unknownLinkType,
      byAnomaly,
    };
  }

  resetCounters(): void {
    this.#anomalies.fill(0);
    this.counts.malformed = 0;
    this.counts.truncated = 0;
    this.counts.unknownLinkType = 0;
  }
}
