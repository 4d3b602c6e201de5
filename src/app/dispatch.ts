/**
 * Flow → application parser (STYLE.md §1's dispatch step; it lives in app/ because the dependency rule
 * lets app see flow, not the other way round). A flow's parser is chosen from its first payload packets:
 * UDP by port (DNS 53, mDNS 5353, LLMNR 5355); TCP by probing the payload (a TLS handshake record, an
 * HTTP request or status line) and by port for DNS (53). A flow that shows nothing recognisable within
 * MAX_PROBES payload packets is marked done and costs one comparison per packet from then on.
 *
 * TCP bytes reach the parsers in sequence order per direction: retransmitted bytes are cut off, and a
 * sequence jump (lost or reordered segment) is reported to the parser as a gap. No out-of-order queue is
 * kept (a real reassembler is a later step); the parsers resynchronise where their protocol allows.
 */
import { u32be } from '../core/bytes.js';
import type { DecodedPacket } from '../decode/packet.js';
import { IPPROTO_TCP, IPPROTO_UDP } from '../flow/key.js';
import type { EndpointText } from '../flow/record.js';
import type { FlowState } from '../flow/table.js';
import { TcpFlag } from '../flow/tcp.js';
import { AnomalyCounts } from './anomaly-counts.js';
import type { AppContext, AppLogSink, FlowParser } from './context.js';
import { DNS_ANOMALY_NAMES } from './dns/anomalies.js';
import { DnsFlow, DnsShared } from './dns/state.js';
import { HTTP_ANOMALY_NAMES } from './http/anomalies.js';
import { mayStartRequest, mayStartResponse } from './http/parser.js';
import { HttpFlow, HttpShared } from './http/state.js';
import { TLS_ANOMALY_NAMES } from './tls/anomalies.js';
import { TlsFlow, TlsShared } from './tls/state.js';

/** Payload packets probed per TCP flow before giving up (a SOCKS or proxy preamble may come first). */
export const MAX_PROBES = 8;

export const PORT_DNS = 53;
export const PORT_MDNS = 5353;
export const PORT_LLMNR = 5355;

/** A flow with a parser: the parser and the TCP positions it has been fed up to. */
class AppSession {
  readonly parser: FlowParser;
  /** The parser's client is the flow's responder (the capture began mid-connection). */
  readonly flip: boolean;
  /** Next expected sequence number per direction; -1 before the first segment. */
  origNext = -1;
  respNext = -1;

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
}

export class AppDispatcher {
  readonly #dns: DnsShared;
  readonly #tls: TlsShared;
  readonly #http: HttpShared;
  readonly #dnsAnomalies = new AnomalyCounts(DNS_ANOMALY_NAMES);
  readonly #tlsAnomalies = new AnomalyCounts(TLS_ANOMALY_NAMES);
  readonly #httpAnomalies = new AnomalyCounts(HTTP_ANOMALY_NAMES);
  /** Records emitted per stream. */
  readonly stats: AppStats = { dns: 0, tls: 0, http: 0 };

  constructor(sink: AppLogSink, endpoints: EndpointText) {
    const stats = this.stats;
    const emit: AppLogSink = (stream, log) => {
      stats[stream]++;
      sink(stream, log);
    };
    const ctx: AppContext = {
      emit,
      endpoints,
      confirm: (flow, service) => {
        flow.service ??= service;
      },
    };
    this.#dns = new DnsShared(ctx, this.#dnsAnomalies);
    this.#tls = new TlsShared(ctx, this.#tlsAnomalies);
    this.#http = new HttpShared(ctx, this.#httpAnomalies);
  }

  /** One packet of `flow` (direction `isOrig`), after the flow table has counted it. */
  packet(b: Uint8Array, d: DecodedPacket, flow: FlowState, isOrig: boolean, sec: number, nsec: number): void {
    let app = flow.app;
    if (app === NO_PARSER) return;
    let off = d.payloadOff;
    const end = d.payloadEnd;
    if (end <= off) return;
    if (app === null) {
      app = this.#choose(b, off, end, flow, isOrig);
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
      const len = end - off;
      let seq = u32be(b, d.l4Off + 4);
      if ((d.tcpFlags & TcpFlag.SYN) !== 0) seq = (seq + 1) >>> 0;
      const next = isOrig ? s.origNext : s.respNext;
      if (next >= 0) {
        const delta = (seq - next) | 0;
        if (delta > 0) s.parser.gap(dir);
        else if (delta < 0) {
          if (-delta >= len) return; // a retransmission of bytes already delivered
          off -= delta;
          seq = next;
        }
      }
      const after = (seq + (end - off)) >>> 0;
      if (isOrig) s.origNext = after;
      else s.respNext = after;
    }
    s.parser.data(b, off, end, dir, tsUs);
    if (s.parser.finished) flow.app = NO_PARSER; // e.g. TLS after both hellos: the rest costs nothing
  }

  /** The flow ended: its parser logs what is pending. Call before the flow's own record is made. */
  flowEnded(flow: FlowState): void {
    const app = flow.app;
    if (app !== null && app !== NO_PARSER) (app as AppSession).parser.end();
  }

  /** Anomaly counters by name (`dns.*`, `tls.*`, `http.*`), non-zero only. */
  anomalies(): Record<string, number> {
    const out: Record<string, number> = {};
    this.#dnsAnomalies.addTo(out);
    this.#tlsAnomalies.addTo(out);
    this.#httpAnomalies.addTo(out);
    return out;
  }

  #choose(b: Uint8Array, off: number, end: number, flow: FlowState, isOrig: boolean): AppSession | null {
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
      return dns ? new AppSession(new DnsFlow(flow, this.#dns), false) : null;
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
