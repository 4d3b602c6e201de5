/**
 * Flow → application parser (STYLE.md §1's dispatch step; it lives in app/ because the dependency rule
 * lets app see flow, not the other way round). A flow's parser is chosen from its first payload packets:
 * UDP by port (DNS 53, mDNS 5353, LLMNR 5355, DHCP 67/68, DHCPv6 546/547, NetBIOS name service 137) and by probing for a QUIC Initial; TCP by probing the payload (a TLS handshake record, an
 * HTTP request or status line) and by port for DNS (53). A flow that shows nothing recognisable within
 * MAX_PROBES payload packets is marked done and costs one comparison per packet from then on.
 *
 * TCP bytes reach the parsers in sequence order per direction: retransmitted bytes are cut off, one early
 * segment per direction is held back until the hole before it fills (two segments swapped in flight), and
 * a hole that does not fill is reported to the parser as a gap; the parsers resynchronise where their
 * protocol allows. A full reassembler (many holes, overlaps with different bytes) is a later step. Known
 * limit: a stream whose first payload segment arrives after its second is probed from the second, which
 * starts no protocol, so that flow gets no parser.
 */
import { u16be, u32be } from '../core/bytes.js';
import type { DecodedPacket } from '../decode/packet.js';
import { IPPROTO_TCP, IPPROTO_UDP } from '../flow/key.js';
import type { EndpointText } from '../flow/record.js';
import type { FlowState } from '../flow/table.js';
import { EpState, TcpFlag } from '../flow/tcp.js';
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

/** Payload packets probed per TCP flow before giving up (a SOCKS or proxy preamble may come first). */
export const MAX_PROBES = 8;

/** A client's Initial datagrams are at least this long (RFC 9000 §14.1). */
const QUIC_MIN_CLIENT_DATAGRAM = 1200;

const TWO_32 = 4294967296;

/** Bytes of one early TCP segment held back per direction, waiting for the hole before it. */
export const MAX_HELD_SEGMENT = 16 * 1024;

/** One direction of a TCP flow as its parser is fed. */
class StreamDirection {
  /** Next sequence number to deliver; -1 before the first segment. */
  next = -1;
  /** A segment that came before the bytes preceding it, and its sequence number. */
  held: Uint8Array | null = null;
  heldSeq = 0;
}

/** A flow with a parser: the parser and the TCP positions it has been fed up to. */
class AppSession {
  readonly parser: FlowParser;
  /** The parser's client is the flow's responder (the capture began mid-connection). */
  readonly flip: boolean;
  /** TCP positions of the originator's and the responder's bytes. */
  readonly orig = new StreamDirection();
  readonly resp = new StreamDirection();

  constructor(parser: FlowParser, flip: boolean) {
    this.parser = parser;
    this.flip = flip;
  }
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
    const off = d.payloadOff;
    const end = d.payloadEnd;
    if (end <= off) return;
    if (app === null) {
      app = this.#choose(b, off, end, flow, isOrig, d);
      if (app === null) {
        if (flow.proto !== IPPROTO_TCP || ++flow.appProbes >= MAX_PROBES) flow.app = NO_PARSER;
        return;
      }
      flow.app = app;
    }
    const s = app as AppSession;
    const tsUs = sec * 1e6 + Math.floor(nsec / 1000);
    const dir = isOrig !== s.flip;
    if (flow.proto === IPPROTO_TCP && d.tcpFlags >= 0) {
      let seq = u32be(b, d.l4Off + 4);
      if ((d.tcpFlags & TcpFlag.SYN) !== 0) seq = (seq + 1) >>> 0;
      const st = isOrig ? s.orig : s.resp;
      if (st.next < 0) {
        // The parser starts with this segment; the other side's bytes start after what it has sent so far
        // (after its SYN when it sent only that), so an early first segment of it is held, not taken.
        st.next = seq;
        const peer = isOrig ? flow.tcp!.resp : flow.tcp!.orig;
        const other = isOrig ? s.resp : s.orig;
        if (other.next < 0 && peer.state !== EpState.Inactive) other.next = peer.last % TWO_32;
      }
      this.#segment(s, st, dir, b, off, end, seq, tsUs);
    } else {
      s.parser.data(b, off, end, dir, tsUs);
    }
    if (s.parser.finished) flow.app = NO_PARSER; // e.g. TLS once both sides are encrypted: the rest costs nothing
  }

  /**
   * One TCP segment [off, end) starting at sequence number `seq`: bytes already delivered are cut off; a
   * segment that comes early is held back (one per direction) until the hole before it fills; when it
   * cannot be (a second early segment beyond the held one), the parser is told of the gap.
   */
  #segment(
    s: AppSession,
    st: StreamDirection,
    dir: boolean,
    b: Uint8Array,
    off: number,
    end: number,
    seq: number,
    tsUs: number,
  ): void {
    if (st.next >= 0) {
      const delta = (seq - st.next) | 0;
      if (delta > 0) {
        if (st.held === null && end - off <= MAX_HELD_SEGMENT) {
          st.held = new Uint8Array(b.subarray(off, end)); // a copy: b is the capture's buffer
          st.heldSeq = seq;
          return;
        }
        if (st.held !== null) {
          const rel = (seq - st.heldSeq) | 0;
          if (rel >= 0 && rel + (end - off) <= st.held.length) return; // the held segment again
          if (rel > 0) {
            // Beyond the held segment: the hole before the held one is given up, then this is retried.
            this.#release(s, st, dir, tsUs);
            this.#segment(s, st, dir, b, off, end, seq, tsUs);
            return;
          }
        }
        s.parser.gap(dir);
      } else if (delta < 0) {
        if (-delta >= end - off) return; // a retransmission of bytes already delivered
        off -= delta;
        seq = st.next;
      }
    }
    s.parser.data(b, off, end, dir, tsUs);
    st.next = (seq + (end - off)) >>> 0;
    const held = st.held;
    if (held !== null) {
      const early = (st.heldSeq - st.next) | 0;
      if (early <= 0) {
        st.held = null;
        if (-early < held.length) {
          s.parser.data(held, -early, held.length, dir, tsUs);
          st.next = (st.heldSeq + held.length) >>> 0;
        }
      }
    }
  }

  /** Delivers the held segment after a gap (the bytes before it are not coming). */
  #release(s: AppSession, st: StreamDirection, dir: boolean, tsUs: number): void {
    const held = st.held;
    if (held === null) return;
    st.held = null;
    s.parser.gap(dir);
    s.parser.data(held, 0, held.length, dir, tsUs);
    st.next = (st.heldSeq + held.length) >>> 0;
  }

  /** The flow ended: its parser logs what is pending. Call before the flow's own record is made. */
  flowEnded(flow: FlowState): void {
    const app = flow.app;
    if (app === null || app === NO_PARSER) return;
    const s = app as AppSession;
    const tsUs = flow.lastSec * 1e6 + Math.floor(flow.lastNsec / 1000);
    this.#release(s, s.orig, !s.flip, tsUs);
    this.#release(s, s.resp, s.flip, tsUs);
    s.parser.end();
  }

  /** The capture ended (after every flow has): state kept across flows is logged. */
  flush(): void {
    this.#dhcp.flush();
    this.#dhcpv6.flush();
  }

  /** Anomaly counters by name (`dns.*`, `tls.*`, `http.*`, `dhcp.*`, `dhcpv6.*`, `quic.*`), non-zero only. */
  anomalies(): Record<string, number> {
    const out: Record<string, number> = {};
    this.#dnsAnomalies.addTo(out);
    this.#tlsAnomalies.addTo(out);
    this.#httpAnomalies.addTo(out);
    this.#dhcpAnomalies.addTo(out);
    this.#dhcpv6Anomalies.addTo(out);
    this.#quicAnomalies.addTo(out);
    return out;
  }

  #choose(
    b: Uint8Array,
    off: number,
    end: number,
    flow: FlowState,
    isOrig: boolean,
    d: DecodedPacket,
  ): AppSession | null {
    const op = flow.origPort;
    const rp = flow.respPort;
    if (flow.proto === IPPROTO_UDP) {
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
      // A QUIC Initial on any port; its client is the side whose datagrams are padded to 1200 bytes (the
      // UDP length says so even when the capture cut the datagram short).
      if (this.#quic.header.parse(b, off, end)) {
        const datagram = u16be(b, d.l4Off + 4) - 8;
        return new AppSession(
          new QuicFlow(flow, this.#quic),
          isOrig !== datagram >= QUIC_MIN_CLIENT_DATAGRAM,
        );
      }
      return null;
    }
    if (flow.proto !== IPPROTO_TCP) return null;
    // A TLS handshake record header (content type 22, version 3.0–3.4), or a shorter segment that starts so.
    const n = end - off;
    if (b[off] === 0x16 && (n < 2 || b[off + 1] === 3) && (n < 3 || b[off + 2]! <= 4))
      return new AppSession(new TlsFlow(flow, this.#tls), !isOrig && n > 5 && b[off + 5] === 1);
    if (mayStartRequest(b, off, end)) return new AppSession(new HttpFlow(flow, this.#http), !isOrig);
    if (mayStartResponse(b, off, end)) return new AppSession(new HttpFlow(flow, this.#http), isOrig);
    if (op === PORT_DNS || rp === PORT_DNS)
      return new AppSession(new DnsFlow(flow, this.#dns), rp !== PORT_DNS);
    return null;
  }
}
