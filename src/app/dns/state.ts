/**
 * One flow's DNS state: queries waiting for their responses (matched by transaction id, bounded) and, over
 * TCP, the RFC 1035 §4.2.2 framing (2-byte length) with one partial message buffered per direction.
 */
import { IPPROTO_TCP } from '../../flow/key.js';
import type { FlowState } from '../../flow/table.js';
import type { AnomalyCounts } from '../anomaly-counts.js';
import type { AppContext, FlowParser } from '../context.js';
import { DnsAnomaly } from './anomalies.js';
import { DnsMessage, PORT_LLMNR, PORT_MDNS, parseDnsMessage } from './parser.js';
import { queryOf, toDnsLog, type DnsQuery } from './record.js';

/** Queries awaiting a response per flow; beyond it the oldest is logged unanswered. */
export const MAX_DNS_PENDING = 64;

/** Shared by all DNS flows of a pipeline. */
export class DnsShared {
  readonly msg = new DnsMessage();
  readonly anomalies: AnomalyCounts;
  readonly ctx: AppContext;

  constructor(ctx: AppContext, anomalies: AnomalyCounts) {
    this.ctx = ctx;
    this.anomalies = anomalies;
  }
}

/** A DNS-over-TCP message being put together from segments. */
class TcpFrame {
  /** Length prefix bytes seen (0–2) and the length they give. */
  prefix = 0;
  len = 0;
  buf: Uint8Array | null = null;
  have = 0;
}

export class DnsFlow implements FlowParser {
  readonly finished = false;
  readonly #flow: FlowState;
  readonly #s: DnsShared;
  readonly #proto: 'udp' | 'tcp';
  readonly #pending: DnsQuery[] = [];
  /** mDNS or LLMNR: responses to multicast queries arrive on flows of their own. */
  readonly #multicastDns: boolean;
  #origFrame: TcpFrame | null = null;
  #respFrame: TcpFrame | null = null;

  constructor(flow: FlowState, shared: DnsShared) {
    this.#flow = flow;
    this.#s = shared;
    this.#proto = flow.proto === IPPROTO_TCP ? 'tcp' : 'udp';
    const { origPort: a, respPort: b } = flow;
    this.#multicastDns = a === PORT_MDNS || b === PORT_MDNS || a === PORT_LLMNR || b === PORT_LLMNR;
  }

  data(b: Uint8Array, off: number, end: number, isOrig: boolean, tsUs: number): void {
    if (this.#proto === 'udp') {
      this.#message(b, off, end, tsUs);
      return;
    }
    let f = isOrig ? this.#origFrame : this.#respFrame;
    if (f === null) {
      f = new TcpFrame();
      if (isOrig) this.#origFrame = f;
      else this.#respFrame = f;
    }
    let p = off;
    while (p < end) {
      if (f.prefix < 2) {
        f.len = (f.len << 8) | b[p++]!;
        if (++f.prefix < 2) continue;
        if (f.len < 12) {
          // Too short for a DNS header: the stream is not framed DNS (or we lost sync); stop reading it.
          this.#s.anomalies.add(DnsAnomaly.BadTcpLength);
          f.prefix = 3;
          return;
        }
        f.have = 0;
      }
      if (f.prefix > 2) return;
      const avail = end - p;
      if (f.have === 0 && avail >= f.len) {
        this.#message(b, p, p + f.len, tsUs); // whole message in this segment: parse in place
        p += f.len;
      } else {
        if (f.buf === null || f.buf.length < f.len) f.buf = new Uint8Array(f.len); // at most 64 KiB, the framing's limit
        const n = Math.min(avail, f.len - f.have);
        f.buf.set(b.subarray(p, p + n), f.have);
        f.have += n;
        p += n;
        if (f.have < f.len) return;
        this.#message(f.buf, 0, f.len, tsUs);
      }
      f.prefix = 0;
      f.len = 0;
      f.have = 0;
    }
  }

  gap(isOrig: boolean): void {
    // Framing is lost for that direction until the flow ends.
    const f = new TcpFrame();
    f.prefix = 3;
    if (isOrig) this.#origFrame = f;
    else this.#respFrame = f;
  }

  end(): void {
    for (const q of this.#pending) this.#emit(q, null, q.tsUs);
    this.#pending.length = 0;
  }

  #message(b: Uint8Array, off: number, end: number, tsUs: number): void {
    const m = this.#s.msg;
    const ok = parseDnsMessage(b, off, end, m);
    this.#count(m.anomalies);
    if (!ok) return;
    if (m.hasQuestion || m.qr) this.#s.ctx.confirm(this.#flow, 'dns');
    const pending = this.#pending;
    if (!m.qr) {
      if (pending.length >= MAX_DNS_PENDING) {
        this.#s.anomalies.add(DnsAnomaly.TooManyPending);
        const oldest = pending.shift()!;
        this.#emit(oldest, null, oldest.tsUs);
      }
      pending.push(queryOf(m, tsUs));
      return;
    }
    for (let i = 0; i < pending.length; i++) {
      const q = pending[i]!;
      if (q.id === m.id && (!m.hasQuestion || q.qname === null || q.qname === m.qname)) {
        pending.splice(i, 1);
        this.#emit(q, m, tsUs);
        return;
      }
    }
    // mDNS announcements and LLMNR/mDNS responses to multicast queries are answers with no query here.
    if (!this.#multicastDns) this.#s.anomalies.add(DnsAnomaly.UnmatchedResponse);
    this.#emit(null, m, tsUs);
  }

  #emit(q: DnsQuery | null, r: DnsMessage | null, tsUs: number): void {
    const ctx = this.#s.ctx;
    ctx.emit('dns', toDnsLog(this.#flow, ctx.endpoints, this.#proto, q, r, tsUs));
  }

  #count(bits: number): void {
    for (let a = 0; bits !== 0; a++, bits >>>= 1) if ((bits & 1) !== 0) this.#s.anomalies.add(a);
  }
}
