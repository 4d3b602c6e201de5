/**
 * Flow → application parser (STYLE.md §1's dispatch step; it lives in app/ because the dependency rule
 * lets app see flow, not the other way round). UDP flows get their parser at their first payload packet, by
 * port (DNS 53, mDNS 5353, LLMNR 5355, DHCP 67/68, DHCPv6 546/547, NetBIOS name service 137) or by probing
 * for a QUIC Initial. TCP flows get theirs by probing the stream's first bytes in order (a TLS handshake
 * record, an HTTP request or status line) and by port for DNS (53); a flow that shows nothing recognisable
 * within MAX_PROBES chunks is marked done and costs one comparison per packet from then on.
 *
 * TCP bytes reach the probe and then the parser through the flow's reassembler (src/flow/tcp-reassembly.ts):
 * each direction in sequence order, retransmitted bytes cut off, early segments held (bounded per flow and
 * across flows) until the hole before them fills, and a hole that will not fill reported as a gap (the
 * peer acknowledged past it, a cap was reached, a RST, both sides closed, or the flow ended); the parsers
 * resynchronise where their protocol allows. Each direction starts where the flow table numbered it: after
 * its SYN, so a first payload segment that arrives after the second is still probed first; without a SYN
 * (the capture began mid-connection) at the first byte seen or acknowledged, as Zeek does.
 */
import { u16be, u32be } from '../core/bytes.js';
import type { DecodedPacket } from '../decode/packet.js';
import { IPPROTO_TCP, IPPROTO_UDP } from '../flow/key.js';
import type { EndpointText } from '../flow/record.js';
import type { FlowState } from '../flow/table.js';
import { TcpFlag } from '../flow/tcp.js';
import { ReassemblyPool, TcpReassembler, type StreamSink } from '../flow/tcp-reassembly.js';
import { AnomalyCounts } from './anomaly-counts.js';
import type { AppContext, AppLogSink, FlowParser, HostNameSink } from './context.js';
import { DHCP_ANOMALY_NAMES } from './dhcp/anomalies.js';
import { PORT_DHCP_CLIENT, PORT_DHCP_SERVER } from './dhcp/parser.js';
import { DhcpShared } from './dhcp/state.js';
import { DHCPV6_ANOMALY_NAMES } from './dhcpv6/anomalies.js';
import { PORT_DHCPV6_CLIENT, PORT_DHCPV6_SERVER } from './dhcpv6/parser.js';
import { Dhcpv6Shared } from './dhcpv6/state.js';
import { ExchangeFlow } from './exchanges.js';
import { PORT_NETBIOS_NS } from './netbios/parser.js';
import { NetbiosFlow, NetbiosShared } from './netbios/state.js';
import { QUIC_ANOMALY_NAMES } from './quic/anomalies.js';
import { QuicFlow, QuicShared } from './quic/state.js';
import { DNS_ANOMALY_NAMES } from './dns/anomalies.js';
import { PORT_DNS, PORT_LLMNR, PORT_MDNS } from './dns/parser.js';
import { DnsFlow, DnsShared } from './dns/state.js';
import { HTTP_ANOMALY_NAMES } from './http/anomalies.js';
import { mayStartRequest, mayStartResponse } from './http/parser.js';
import { HttpFlow, HttpShared } from './http/state.js';
import { TLS_ANOMALY_NAMES } from './tls/anomalies.js';
import { TlsFlow, TlsShared } from './tls/state.js';

/** Delivered chunks probed per TCP flow before giving up (a SOCKS or proxy preamble may come first). */
export const MAX_PROBES = 8;

/** A client's Initial datagrams are at least this long (RFC 9000 §14.1). */
const QUIC_MIN_CLIENT_DATAGRAM = 1200;

/** A datagram flow with a parser. */
class AppSession {
  readonly parser: FlowParser;
  /** The parser's client is the flow's responder. */
  readonly flip: boolean;

  constructor(parser: FlowParser, flip: boolean) {
    this.parser = parser;
    this.flip = flip;
  }
}

/** Chooses a TCP flow's parser from the first bytes of either direction; false when nothing fits. */
type TcpProbe = (s: TcpSession, b: Uint8Array, off: number, end: number, isOrig: boolean) => boolean;

/**
 * A TCP flow being probed or parsed: its reassembler hands each direction's bytes over in order, the first
 * ones to the probe, then to the parser.
 */
class TcpSession implements StreamSink {
  readonly flow: FlowState;
  readonly reassembler: TcpReassembler;
  readonly #probe: TcpProbe;
  parser: FlowParser | null = null;
  /** The parser's client is the flow's responder (the capture began mid-connection). */
  flip = false;
  /** Probing gave up or the parser finished: the dispatcher drops the session. */
  done = false;

  constructor(flow: FlowState, pool: ReassemblyPool, probe: TcpProbe) {
    this.flow = flow;
    this.reassembler = new TcpReassembler(this, pool);
    this.#probe = probe;
  }

  data(b: Uint8Array, off: number, end: number, isOrig: boolean, tsUs: number): void {
    if (this.done) return;
    if (this.parser === null && !this.#probe(this, b, off, end, isOrig)) {
      if (++this.flow.appProbes >= MAX_PROBES) this.done = true;
      return;
    }
    const p = this.parser!;
    p.data(b, off, end, isOrig !== this.flip, tsUs);
    if (p.finished) this.done = true; // e.g. TLS once both sides are encrypted: the rest costs nothing
  }

  gap(isOrig: boolean): void {
    if (!this.done && this.parser !== null) this.parser.gap(isOrig !== this.flip);
  }
}

/** Gives up the holes that the peers' acks (as the flow table tracks them) have passed. */
function settleAcked(r: TcpReassembler, flow: FlowState): void {
  const tcp = flow.tcp!;
  r.acked(true, tcp.orig.ack);
  r.acked(false, tcp.resp.ack);
}

/** The state of flows with no parser. */
const NO_PARSER: object = Object.freeze({});

export interface AppStats {
  dns: number;
  tls: number;
  http: number;
  dhcp: number;
  dhcpv6: number;
  quic: number;
}

export class AppDispatcher {
  readonly #dns: DnsShared;
  readonly #tls: TlsShared;
  readonly #http: HttpShared;
  readonly #dhcp: DhcpShared;
  readonly #dhcpv6: Dhcpv6Shared;
  readonly #quic: QuicShared;
  readonly #netbios: NetbiosShared;
  readonly #dnsAnomalies = new AnomalyCounts(DNS_ANOMALY_NAMES);
  readonly #tlsAnomalies = new AnomalyCounts(TLS_ANOMALY_NAMES);
  readonly #httpAnomalies = new AnomalyCounts(HTTP_ANOMALY_NAMES);
  readonly #dhcpAnomalies = new AnomalyCounts(DHCP_ANOMALY_NAMES);
  readonly #dhcpv6Anomalies = new AnomalyCounts(DHCPV6_ANOMALY_NAMES);
  readonly #quicAnomalies = new AnomalyCounts(QUIC_ANOMALY_NAMES);
  /** Bytes held out of order across all TCP flows, under one cap. */
  readonly #reassembly = new ReassemblyPool();
  readonly #probe: TcpProbe = (s, b, off, end, isOrig) => this.#probeTcp(s, b, off, end, isOrig);
  /** Records emitted per stream. */
  readonly stats: AppStats = { dns: 0, tls: 0, http: 0, dhcp: 0, dhcpv6: 0, quic: 0 };

  constructor(sink: AppLogSink, endpoints: EndpointText, hostName: HostNameSink = () => {}) {
    const stats = this.stats;
    const emit: AppLogSink = (stream, log) => {
      stats[stream]++;
      sink(stream, log);
    };
    const ctx: AppContext = {
      emit,
      endpoints,
      hostName,
      confirm: (flow, service) => {
        flow.service ??= service;
      },
    };
    this.#dns = new DnsShared(ctx, this.#dnsAnomalies);
    this.#tls = new TlsShared(ctx, this.#tlsAnomalies);
    this.#http = new HttpShared(ctx, this.#httpAnomalies);
    this.#dhcp = new DhcpShared(ctx, this.#dhcpAnomalies);
    this.#dhcpv6 = new Dhcpv6Shared(ctx, this.#dhcpv6Anomalies);
    this.#quic = new QuicShared(ctx, this.#quicAnomalies);
    this.#netbios = new NetbiosShared(ctx);
  }

  /** One packet of `flow` (direction `isOrig`), after the flow table has counted it. */
  packet(b: Uint8Array, d: DecodedPacket, flow: FlowState, isOrig: boolean, sec: number, nsec: number): void {
    let app = flow.app;
    if (app === NO_PARSER) return;
    if (flow.proto === IPPROTO_TCP) {
      this.#tcpPacket(b, d, flow, isOrig, sec, nsec, app as TcpSession | null);
      return;
    }
    const off = d.payloadOff;
    const end = d.payloadEnd;
    if (end <= off) return;
    if (app === null) {
      app = this.#chooseDatagram(b, off, end, flow, isOrig, d);
      if (app === null) {
        flow.app = NO_PARSER;
        return;
      }
      flow.app = app;
    }
    const s = app as AppSession;
    s.parser.data(b, off, end, isOrig !== s.flip, sec * 1e6 + Math.floor(nsec / 1000));
    if (s.parser.finished) flow.app = NO_PARSER;
  }

  /**
   * A TCP packet: its payload goes through the flow's reassembler (made at the first payload). The acks
   * seen so far and the packet's flags may settle holes the reassembler holds bytes behind: before the
   * payload (what the peer had received before sending it comes first) and after it.
   */
  #tcpPacket(
    b: Uint8Array,
    d: DecodedPacket,
    flow: FlowState,
    isOrig: boolean,
    sec: number,
    nsec: number,
    session: TcpSession | null,
  ): void {
    const flags = d.tcpFlags;
    if (flags < 0) return;
    const off = d.payloadOff;
    const end = d.payloadEnd;
    let s = session;
    if (s === null) {
      if (end <= off) return;
      s = new TcpSession(flow, this.#reassembly, this.#probe);
      flow.app = s;
    }
    const r = s.reassembler;
    if (end > off) {
      let seq = u32be(b, d.l4Off + 4);
      if ((flags & TcpFlag.SYN) !== 0) seq = (seq + 1) >>> 0;
      if (r.held > 0) settleAcked(r, flow);
      if (!r.started(isOrig)) {
        // The flow table numbered this side from its SYN, or from the first byte seen or acknowledged.
        const ep = isOrig ? flow.tcp!.orig : flow.tcp!.resp;
        r.begin(isOrig, ep.start + 1, seq, end - off);
      }
      r.segment(isOrig, seq, b, off, end, sec * 1e6 + Math.floor(nsec / 1000));
    }
    if (r.held > 0) {
      if ((flags & TcpFlag.RST) !== 0 || ((flags & TcpFlag.FIN) !== 0 && flow.tcp!.finished)) {
        r.flush(); // no more data is coming: what is held goes now, after gaps
      } else {
        settleAcked(r, flow);
      }
    }
    if (s.done) {
      r.release();
      flow.app = NO_PARSER;
    }
  }

  /** The flow ended: its parser logs what is pending. Call before the flow's own record is made. */
  flowEnded(flow: FlowState): void {
    const app = flow.app;
    if (app === null || app === NO_PARSER) return;
    if (flow.proto !== IPPROTO_TCP) {
      (app as AppSession).parser.end();
      return;
    }
    const s = app as TcpSession;
    // Bytes held behind holes are delivered after gaps; they may be what the probe recognises.
    s.reassembler.flush();
    s.reassembler.release();
    if (s.parser !== null && !s.parser.finished) s.parser.end();
  }

  /** The capture ended (after every flow has): state kept across flows is logged. */
  flush(): void {
    this.#dhcp.flush();
    this.#dhcpv6.flush();
  }

  /** Anomaly counters by name (reassembly's `tcp.*`, `dns.*`, `tls.*`, `http.*`, `dhcp.*`, `dhcpv6.*`, `quic.*`). */
  anomalies(): Record<string, number> {
    const out: Record<string, number> = {};
    this.#dnsAnomalies.addTo(out);
    this.#tlsAnomalies.addTo(out);
    this.#httpAnomalies.addTo(out);
    this.#dhcpAnomalies.addTo(out);
    this.#dhcpv6Anomalies.addTo(out);
    this.#quicAnomalies.addTo(out);
    this.#reassembly.addAnomalies(out);
    return out;
  }

  /** A datagram flow's parser, by port or by probing for a QUIC Initial; null when none fits. */
  #chooseDatagram(
    b: Uint8Array,
    off: number,
    end: number,
    flow: FlowState,
    isOrig: boolean,
    d: DecodedPacket,
  ): AppSession | null {
    if (flow.proto !== IPPROTO_UDP) return null;
    const op = flow.origPort;
    const rp = flow.respPort;
    const dns =
      op === PORT_DNS ||
      rp === PORT_DNS ||
      op === PORT_MDNS ||
      rp === PORT_MDNS ||
      op === PORT_LLMNR ||
      rp === PORT_LLMNR;
    if (dns) return new AppSession(new DnsFlow(flow, this.#dns), false);
    // Relay agents talk 67 to 67, so either port will do.
    const dhcp =
      op === PORT_DHCP_SERVER ||
      rp === PORT_DHCP_SERVER ||
      op === PORT_DHCP_CLIENT ||
      rp === PORT_DHCP_CLIENT;
    if (dhcp) return new AppSession(new ExchangeFlow(flow, this.#dhcp), false);
    const dhcpv6 =
      op === PORT_DHCPV6_SERVER ||
      rp === PORT_DHCPV6_SERVER ||
      op === PORT_DHCPV6_CLIENT ||
      rp === PORT_DHCPV6_CLIENT;
    if (dhcpv6) return new AppSession(new ExchangeFlow(flow, this.#dhcpv6), false);
    if (op === PORT_NETBIOS_NS || rp === PORT_NETBIOS_NS)
      return new AppSession(new NetbiosFlow(this.#netbios), false);
    // A QUIC Initial on any port; its client is the side whose datagrams are padded to 1200 bytes (the UDP
    // length says so even when the capture cut the datagram short).
    if (this.#quic.header.parse(b, off, end)) {
      const datagram = u16be(b, d.l4Off + 4) - 8;
      return new AppSession(new QuicFlow(flow, this.#quic), isOrig !== datagram >= QUIC_MIN_CLIENT_DATAGRAM);
    }
    return null;
  }

  /** Probes the first in-order bytes b[off, end) of a TCP flow (either direction) and sets its parser. */
  #probeTcp(s: TcpSession, b: Uint8Array, off: number, end: number, isOrig: boolean): boolean {
    const flow = s.flow;
    // A TLS handshake record header (content type 22, version 3.0–3.4), or a shorter chunk that starts so.
    const n = end - off;
    if (b[off] === 0x16 && (n < 2 || b[off + 1] === 3) && (n < 3 || b[off + 2]! <= 4)) {
      s.parser = new TlsFlow(flow, this.#tls);
      s.flip = !isOrig && n > 5 && b[off + 5] === 1;
    } else if (mayStartRequest(b, off, end)) {
      s.parser = new HttpFlow(flow, this.#http);
      s.flip = !isOrig;
    } else if (mayStartResponse(b, off, end)) {
      s.parser = new HttpFlow(flow, this.#http);
      s.flip = isOrig;
    } else if (flow.origPort === PORT_DNS || flow.respPort === PORT_DNS) {
      s.parser = new DnsFlow(flow, this.#dns);
      s.flip = flow.respPort !== PORT_DNS;
    } else {
      return false;
    }
    return true;
  }
}
