/**
 * The one place EVE records are shaped (Suricata's eve.json: one JSON object per line, `event_type`
 * flow/dns/tls/http/alert), from nta's log records. Suricata's field names and meanings where a field
 * exists there; what only nta knows (Zeek's conn.log fields, the uid that joins with the database) goes
 * under `nta`. schema/eve.schema.json describes every record made here.
 */
import { parseIpAddress } from '../../core/addr.js';
import { TimestampFormatter } from '../../core/time.js';
import { communityId } from '../../flow/community-id.js';
import {
  ICMP4_COUNTERPART,
  ICMP6_COUNTERPART,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
} from '../../flow/key.js';
import type { AlertLog } from '../../schema/alert.js';
import type { ConnLog } from '../../schema/conn.js';
import type { DnsLog } from '../../schema/dns.js';
import type { HttpLog } from '../../schema/http.js';
import { IP_PROTOCOL_NAMES } from '../../schema/ip-protocols.js';
import type { TlsLog } from '../../schema/tls.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, historyFlags } from '../history-flags.js';

export type EveRecord = Record<string, unknown>;

const time = new TimestampFormatter();

/** Microseconds since the epoch as Suricata writes EVE times: ISO 8601, microseconds, offset (UTC here). */
export function eveTime(us: number): string {
  const sec = Math.floor(us / 1e6);
  return `${time.format(sec, (us - sec * 1e6) * 1000).replace(' ', 'T')}+0000`;
}

/** A certificate's validity bound as Suricata writes it: UTC to the second, no offset. */
const certTime = (us: number): string => eveTime(us).slice(0, 19);

/**
 * Suricata's `flow_id` is an integer shared by every record of a flow; nta's flow identity is the uid, so
 * the id is a 53-bit hash of it (exact in a JSON number): the same for the flow's flow, dns, tls and http
 * records. Two FNV-1a lanes with murmur3's finaliser; uids are random, so this only has to spread them.
 */
export function flowIdOf(uid: string): number {
  let a = 0x811c9dc5;
  let b = 0x9e3779b9;
  for (let i = 0; i < uid.length; i++) {
    const c = uid.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return (fmix32(a) >>> 0) * 0x200000 + (fmix32(b) >>> 11);
}

function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Suricata's `proto`: the IANA keyword (`IPv6-ICMP` for 58, as Suricata writes it), else the number. */
function protoName(ipProto: number): string {
  if (ipProto === IPPROTO_ICMPV6) return 'IPv6-ICMP';
  const name = IP_PROTOCOL_NAMES[ipProto] ?? '';
  return name.startsWith('Unknown') || name === '' ? String(ipProto) : name;
}

/** Zeek's service names to Suricata's app_proto (`ssl` is `tls` there). */
const appProto = (service: string | null): string | null => (service === 'ssl' ? 'tls' : service);

/** Protocols whose records carry src_port/dest_port (ICMP carries types and codes instead). */
const hasPorts = (ipProto: number): boolean =>
  ipProto === IPPROTO_TCP || ipProto === IPPROTO_UDP || ipProto === IPPROTO_SCTP;
const isIcmp = (ipProto: number): boolean => ipProto === IPPROTO_ICMP || ipProto === IPPROTO_ICMPV6;

const addrBytes = new Uint8Array(16);
const srcWords = new Uint32Array(4);
const dstWords = new Uint32Array(4);

/** Address text to the big-endian words Community ID orders by; unused words are 0, as the flow table keeps them. */
function toWords(text: string, out: Uint32Array): number {
  const n = parseIpAddress(text, addrBytes, 0);
  out.fill(0);
  for (let i = 0; i < n / 4; i++) {
    const o = i * 4;
    out[i] =
      ((addrBytes[o]! << 24) | (addrBytes[o + 1]! << 16) | (addrBytes[o + 2]! << 8) | addrBytes[o + 3]!) >>>
      0;
  }
  return n;
}

/**
 * Community ID of an application record's flow, from its endpoints: the same value as the flow record's
 * (the hash is symmetric and VLAN is not part of it). Null for an unreadable address (never for records
 * nta makes).
 */
export function tupleCommunityId(
  origH: string,
  origP: number,
  respH: string,
  respP: number,
  ipProto: number,
): string | null {
  const a = toWords(origH, srcWords);
  const b = toWords(respH, dstWords);
  if (a === 0 || a !== b) return null;
  return communityId(a === 16, ipProto, srcWords, origP, dstWords, respP);
}

/** flow.state as Suricata reports it at flow end, from Zeek's conn_state. */
function flowState(log: ConnLog): 'new' | 'established' | 'closed' {
  if (log.ip_proto === IPPROTO_TCP) {
    switch (log.conn_state) {
      case 'S0':
        return 'new';
      case 'S1':
      case 'S2':
      case 'S3':
        return 'established';
      case 'OTH':
        return log.resp_pkts > 0 ? 'established' : 'new';
      default:
        return 'closed'; // SF, REJ, RSTO, RSTR, RSTOS0, RSTRH, SH, SHR: a FIN or RST ended it
    }
  }
  return log.resp_pkts > 0 ? 'established' : 'new';
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/**
 * Adds a field Suricata omits when it has no value (null, or a flag that is not set). Plain assignments:
 * conditional spreads (`...(x && { k })`) cost several times as much per record.
 */
function put(r: EveRecord, key: string, v: unknown): void {
  if (v !== null && v !== undefined && v !== false) r[key] = v;
}

/** Suricata's tcp object: flag unions as two hex digits, and a true member for each flag seen. */
function tcpObject(history: string | null): EveRecord {
  const ts = historyFlags(history, true);
  const tc = historyFlags(history, false);
  const all = ts | tc;
  const tcp: EveRecord = { tcp_flags: hex2(all), tcp_flags_ts: hex2(ts), tcp_flags_tc: hex2(tc) };
  put(tcp, 'syn', (all & TCP_SYN) !== 0);
  put(tcp, 'fin', (all & TCP_FIN) !== 0);
  put(tcp, 'rst', (all & TCP_RST) !== 0);
  put(tcp, 'ack', (all & TCP_ACK) !== 0);
  return tcp;
}

/** ICMP flows carry types and codes instead of ports (conn.log keeps them in orig_p/resp_p). */
function putIcmp(r: EveRecord, log: ConnLog): void {
  const type = log.orig_p & 0xff;
  const counterpart = (log.ip_proto === IPPROTO_ICMP ? ICMP4_COUNTERPART : ICMP6_COUNTERPART)[type]!;
  r['icmp_type'] = type;
  // resp_p holds the counterpart type of a request/reply pair (whose code is not kept), else the code.
  if (counterpart < 0) r['icmp_code'] = log.resp_p & 0xff;
  else if (log.resp_pkts > 0) r['response_icmp_type'] = counterpart;
}

/** The common section of a record tied to a flow, up to `proto`. */
function tuple(
  us: number,
  uid: string,
  eventType: string,
  src: string,
  srcPort: number | null,
  dest: string,
  destPort: number | null,
  proto: string,
): EveRecord {
  const r: EveRecord = { timestamp: eveTime(us), flow_id: flowIdOf(uid), event_type: eventType, src_ip: src };
  put(r, 'src_port', srcPort);
  r['dest_ip'] = dest;
  put(r, 'dest_port', destPort);
  r['proto'] = proto;
  return r;
}

export function eveFlow(log: ConnLog): EveRecord {
  const endUs = log.ts + Math.round(log.duration * 1e6);
  const ports = hasPorts(log.ip_proto);
  const r: EveRecord = { timestamp: eveTime(log.ts), flow_id: flowIdOf(log.uid), event_type: 'flow' };
  if (log.vlan !== null) r['vlan'] = [log.vlan];
  r['src_ip'] = log.orig_h;
  if (ports) r['src_port'] = log.orig_p;
  r['dest_ip'] = log.resp_h;
  if (ports) r['dest_port'] = log.resp_p;
  r['proto'] = protoName(log.ip_proto);
  if (isIcmp(log.ip_proto)) putIcmp(r, log);
  put(r, 'app_proto', appProto(log.service));
  r['flow'] = {
    pkts_toserver: log.orig_pkts,
    pkts_toclient: log.resp_pkts,
    bytes_toserver: log.orig_ip_bytes,
    bytes_toclient: log.resp_ip_bytes,
    start: eveTime(log.ts),
    end: eveTime(endUs),
    age: Math.floor(endUs / 1e6) - Math.floor(log.ts / 1e6),
    state: flowState(log),
  };
  if (log.ip_proto === IPPROTO_TCP) r['tcp'] = tcpObject(log.history);
  r['community_id'] = log.community_id;
  r['nta'] = {
    uid: log.uid,
    conn_state: log.conn_state,
    history: log.history,
    duration: log.duration,
    orig_bytes: log.orig_bytes,
    resp_bytes: log.resp_bytes,
    service: log.service,
  };
  return r;
}

/** Unicast DNS and LLMNR servers' ports (mDNS uses 5353 on both ends). */
const DNS_SERVER_PORTS: ReadonlySet<number> = new Set([53, 5355]);

/**
 * A DNS transaction as Suricata 8 logs it (DNS logging version 3): a `request` record when the query was
 * seen and a `response` record, from the responder, when the response was. Answers carry rdata and ttl;
 * nta does not keep each answer's name and type.
 */
export function eveDns(log: DnsLog, out: EveRecord[]): void {
  const proto = log.proto === 'tcp' ? 'TCP' : 'UDP';
  const cid = tupleCommunityId(
    log.orig_h,
    log.orig_p,
    log.resp_h,
    log.resp_p,
    proto === 'TCP' ? IPPROTO_TCP : IPPROTO_UDP,
  );
  const queries = log.query === null ? null : [{ rrname: log.query, rrtype: log.qtype_name ?? '' }];
  const nta = { uid: log.uid, rtt: log.rtt, qclass: log.qclass, qtype: log.qtype };
  // A record has a query when it has a round trip, or no response at all (see app/dns/record.ts).
  const sawQuery = log.rtt !== null || log.rcode === null;
  if (sawQuery) {
    const r = tuple(log.ts, log.uid, 'dns', log.orig_h, log.orig_p, log.resp_h, log.resp_p, proto);
    put(r, 'community_id', cid);
    const dns: EveRecord = { version: 3, type: 'request', id: log.trans_id };
    put(dns, 'rd', log.RD);
    put(dns, 'queries', queries);
    r['dns'] = dns;
    r['nta'] = nta;
    out.push(r);
  }
  if (log.rcode === null) return;
  // Suricata gives a response the responder's address as src_ip. After a query, that is the flow's
  // responder; a response without one usually began its flow (then the originator sent it), unless only
  // the other end uses a server port (the query was missed, the flow began earlier).
  const fromResp = sawQuery || (DNS_SERVER_PORTS.has(log.resp_p) && !DNS_SERVER_PORTS.has(log.orig_p));
  const r = fromResp
    ? tuple(log.ts, log.uid, 'dns', log.resp_h, log.resp_p, log.orig_h, log.orig_p, proto)
    : tuple(log.ts, log.uid, 'dns', log.orig_h, log.orig_p, log.resp_h, log.resp_p, proto);
  r['timestamp'] = eveTime(log.ts + Math.round((log.rtt ?? 0) * 1e6));
  put(r, 'community_id', cid);
  const dns: EveRecord = { version: 3, type: 'response', id: log.trans_id, qr: true };
  put(dns, 'aa', log.AA);
  put(dns, 'tc', log.TC);
  put(dns, 'rd', log.RD);
  put(dns, 'ra', log.RA);
  dns['rcode'] = log.rcode_name ?? String(log.rcode);
  put(dns, 'queries', queries);
  const answers = log.answers ?? [];
  if (answers.length > 0) dns['answers'] = answers.map((rdata, i) => ({ rdata, ttl: log.TTLs?.[i] ?? 0 }));
  r['dns'] = dns;
  r['nta'] = nta;
  out.push(r);
}

/** nta's version names (Zeek's) as Suricata writes them: TLSv12 is "TLS 1.2". */
function tlsVersion(v: string): string {
  const m = /^(D?TLS)v1([0-9])(?:-draft([0-9]+))?$/.exec(v);
  if (m !== null) return `${m[1]} 1.${m[2]}${m[3] === undefined ? '' : ` draft-${m[3]}`}`;
  return v.startsWith('unknown-') ? v.slice(8) : v;
}

export function eveTls(log: TlsLog): EveRecord {
  const r = tuple(log.ts, log.uid, 'tls', log.orig_h, log.orig_p, log.resp_h, log.resp_p, 'TCP');
  put(r, 'community_id', tupleCommunityId(log.orig_h, log.orig_p, log.resp_h, log.resp_p, IPPROTO_TCP));
  const tls: EveRecord = {};
  put(tls, 'sni', log.server_name);
  if (log.version !== null) tls['version'] = tlsVersion(log.version);
  if (log.ja3 !== null) tls['ja3'] = { hash: log.ja3 };
  put(tls, 'ja4', log.ja4);
  put(tls, 'client_alpns', log.client_alpn);
  if (log.next_protocol !== null) tls['server_alpns'] = [log.next_protocol];
  put(tls, 'subject', log.subject);
  put(tls, 'issuerdn', log.issuer);
  if (log.not_valid_before !== null) tls['notbefore'] = certTime(log.not_valid_before);
  if (log.not_valid_after !== null) tls['notafter'] = certTime(log.not_valid_after);
  r['tls'] = tls;
  r['nta'] = {
    uid: log.uid,
    version: log.version,
    cipher: log.cipher,
    client_version: log.client_version,
    curve: log.curve,
    resumed: log.resumed,
    established: log.established,
    cert_chain_fps: log.cert_chain_fps,
  };
  return r;
}

/** Suricata splits a Host header's port off into http_port. */
const HOST_PORT = /^(\[[^\]]*\]|[^:]*):([0-9]{1,5})$/;

export function eveHttp(log: HttpLog): EveRecord {
  const r = tuple(log.ts, log.uid, 'http', log.orig_h, log.orig_p, log.resp_h, log.resp_p, 'TCP');
  r['tx_id'] = log.trans_depth - 1;
  put(r, 'community_id', tupleCommunityId(log.orig_h, log.orig_p, log.resp_h, log.resp_p, IPPROTO_TCP));
  const http: EveRecord = {};
  if (log.host !== null) {
    const m = HOST_PORT.exec(log.host);
    if (m === null || Number(m[2]) > 65535) {
      http['hostname'] = log.host;
    } else {
      http['hostname'] = m[1]!;
      http['http_port'] = Number(m[2]);
    }
  }
  put(http, 'url', log.uri);
  put(http, 'http_user_agent', log.user_agent);
  put(http, 'http_content_type', log.content_type);
  put(http, 'http_method', log.method);
  if (log.version !== null) http['protocol'] = `HTTP/${log.version}`;
  put(http, 'status', log.status_code);
  http['length'] = log.response_body_len;
  r['http'] = http;
  r['nta'] = {
    uid: log.uid,
    trans_depth: log.trans_depth,
    host: log.host,
    request_body_len: log.request_body_len,
    status_msg: log.status_msg,
    content_length: log.content_length,
  };
  return r;
}

/** Suricata's severities: 1 is the most severe. */
const EVE_SEVERITY: Readonly<Record<string, number>> = { high: 1, medium: 2, low: 3, info: 4 };

/** An alert as raised (count 1) or as last merged; `timestamp` is its latest evidence. */
export function eveAlert(a: AlertLog): EveRecord {
  const r: EveRecord = { timestamp: eveTime(a.last_seen), event_type: 'alert', src_ip: a.src_ip };
  put(r, 'dest_ip', a.dst_ip);
  put(r, 'dest_port', a.dst_port);
  const alert: EveRecord = {
    action: 'allowed',
    signature: a.message,
    category: a.type,
    severity: EVE_SEVERITY[a.severity] ?? 3,
  };
  if (a.mitre !== null) alert['metadata'] = { mitre_technique_id: [a.mitre] };
  r['alert'] = alert;
  r['nta'] = {
    id: a.id,
    type: a.type,
    variant: a.variant,
    severity: a.severity,
    first_seen: eveTime(a.first_seen),
    last_seen: eveTime(a.last_seen),
    count: a.count,
    evidence: JSON.parse(a.evidence) as unknown,
  };
  return r;
}
