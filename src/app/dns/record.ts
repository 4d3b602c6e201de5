/** The only place a DNS log record is shaped (STYLE.md E8). */
import type { EndpointText } from '../../flow/record.js';
import type { FlowState } from '../../flow/table.js';
import type { DnsLog } from '../../schema/dns.js';
import { DNS_RCODE_NAMES, DNS_TYPE_NAMES, type DnsMessage } from './parser.js';

/** A query waiting for its response: the copies of what the record needs from it. */
export interface DnsQuery {
  readonly tsUs: number;
  readonly id: number;
  readonly qname: string | null;
  readonly qtype: number;
  readonly qclass: number;
  readonly rd: boolean;
}

export const queryOf = (m: DnsMessage, tsUs: number): DnsQuery => ({
  tsUs,
  id: m.id,
  qname: m.hasQuestion ? m.qname : null,
  qtype: m.qtype,
  qclass: m.qclass,
  rd: m.rd,
});

/** A record from a query (null: none seen) and/or a response (null: none seen, at `respTsUs`). */
export function toDnsLog(
  flow: FlowState,
  text: EndpointText,
  proto: 'udp' | 'tcp',
  q: DnsQuery | null,
  r: DnsMessage | null,
  respTsUs: number,
): DnsLog {
  const hasQ = r !== null && r.hasQuestion ? true : q !== null && q.qname !== null;
  const qname = q?.qname ?? (r !== null && r.hasQuestion ? r.qname : null);
  const qtype = q !== null && q.qname !== null ? q.qtype : r !== null && r.hasQuestion ? r.qtype : 0;
  const qclass = q !== null && q.qname !== null ? q.qclass : r !== null && r.hasQuestion ? r.qclass : 0;
  return {
    ts: q?.tsUs ?? respTsUs,
    uid: flow.uid,
    orig_h: text.orig(flow),
    orig_p: flow.origPort,
    resp_h: text.resp(flow),
    resp_p: flow.respPort,
    proto,
    trans_id: q?.id ?? r?.id ?? 0,
    rtt: q !== null && r !== null ? (respTsUs - q.tsUs) / 1e6 : null,
    query: qname,
    qclass: hasQ ? qclass : null,
    qtype: hasQ ? qtype : null,
    qtype_name: hasQ ? (DNS_TYPE_NAMES.get(qtype) ?? String(qtype)) : null,
    rcode: r?.rcode ?? null,
    rcode_name: r === null ? null : (DNS_RCODE_NAMES[r.rcode] ?? String(r.rcode)),
    AA: r?.aa ?? false,
    TC: r?.tc ?? false,
    RD: q?.rd ?? r?.rd ?? false,
    RA: r?.ra ?? false,
    answers: r !== null && r.answers.length > 0 ? [...r.answers] : null,
    TTLs: r !== null && r.ttls.length > 0 ? [...r.ttls] : null,
    rejected: r !== null && r.rcode !== 0,
  };
}
