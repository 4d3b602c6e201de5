/**
 * The `dns` log: one record per DNS transaction (a query and its response, matched by transaction id within
 * the flow), Zeek's dns.log fields and meanings (`id.orig_h` becomes `orig_h`). mDNS (5353) and LLMNR (5355)
 * are logged here too. See src/app/dns/.
 */
import type { Field, RecordOf } from './log-schema.js';

export const dnsLog = {
  ts: { type: 'time', doc: 'Time of the query (of the response when no query was seen)' },
  uid: { type: 'string', doc: 'Flow uid; joins with flows' },
  orig_h: { type: 'addr', doc: 'Originator address of the flow' },
  orig_p: { type: 'port', doc: 'Originator port' },
  resp_h: { type: 'addr', doc: 'Responder address' },
  resp_p: { type: 'port', doc: 'Responder port' },
  proto: { type: 'string', doc: 'Transport: udp or tcp' },
  trans_id: { type: 'count', doc: 'DNS transaction id' },
  rtt: { type: 'interval', optional: true, doc: 'Seconds from the query to its response' },
  query: {
    type: 'string',
    optional: true,
    doc: 'Query name as sent (not lower-cased); bytes outside printable ASCII as \\xHH; the root is ""',
  },
  qclass: {
    type: 'count',
    optional: true,
    doc: 'Query class as sent (mDNS sets its top bit to ask for a unicast response)',
  },
  qtype: { type: 'count', optional: true, doc: 'Query type' },
  qtype_name: { type: 'string', optional: true, doc: 'Query type name (A, AAAA, PTR…), else the number' },
  rcode: { type: 'count', optional: true, doc: 'Response code; null when no response was seen' },
  rcode_name: { type: 'string', optional: true, doc: 'Response code name (NOERROR, NXDOMAIN…)' },
  AA: { type: 'bool', doc: 'Authoritative answer' },
  TC: { type: 'bool', doc: 'Truncated' },
  RD: { type: 'bool', doc: 'Recursion desired' },
  RA: { type: 'bool', doc: 'Recursion available' },
  answers: {
    type: 'strings',
    optional: true,
    doc: 'Answer section: A/AAAA addresses, CNAME/PTR/NS/MX/SRV names, "TXT <bytes>" for TXT',
  },
  TTLs: { type: 'intervals', optional: true, doc: 'TTL of each answer, in the order of answers' },
  rejected: { type: 'bool', doc: 'The response had a non-zero rcode' },
} as const satisfies Record<string, Field>;

export type DnsLog = RecordOf<typeof dnsLog>;
