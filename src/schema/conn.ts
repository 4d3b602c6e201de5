/**
 * The `flows` log: one record per connection, Zeek's conn.log fields and meanings (`id.orig_h` becomes
 * `orig_h`). See src/flow/tcp.ts for how conn_state and history are decided.
 */
import type { Field, RecordOf } from './log-schema.js';

export const connLog = {
  ts: { type: 'time', doc: 'Time of the first packet' },
  uid: { type: 'string', doc: "Unique flow id, Zeek style ('C' + base62); joins with dns/tls/http" },
  duration: { type: 'interval', doc: 'Seconds from the first to the last packet' },
  orig_h: { type: 'addr', doc: 'Originator address: the sender of the first packet (of the SYN for TCP)' },
  orig_p: { type: 'port', doc: 'Originator port; ICMP: the type' },
  resp_h: { type: 'addr', doc: 'Responder address' },
  resp_p: {
    type: 'port',
    doc: 'Responder port; ICMP: the counterpart type (echo request/reply…) or the code',
  },
  proto: { type: 'string', doc: 'Transport: tcp, udp, icmp (ICMPv6 too, as Zeek), or the IP protocol name' },
  service: {
    type: 'string',
    optional: true,
    doc: "Application protocol recognised in the payload, Zeek's names: dns, http, ssl (TLS)",
  },
  conn_state: {
    type: 'string',
    doc: 'Zeek conn_state: S0 S1 SF REJ S2 S3 RSTO RSTR RSTOS0 RSTRH SH SHR OTH',
  },
  history: { type: 'string', optional: true, doc: 'Zeek history letters (upper case: originator)' },
  orig_pkts: { type: 'count', doc: 'Packets from the originator (a fragmented datagram counts once)' },
  orig_bytes: { type: 'count', doc: 'Payload bytes from the originator (TCP: by sequence numbers)' },
  resp_pkts: { type: 'count', doc: 'Packets from the responder' },
  resp_bytes: { type: 'count', doc: 'Payload bytes from the responder' },
  orig_ip_bytes: { type: 'count', doc: 'IP-level bytes from the originator (IP total length fields)' },
  resp_ip_bytes: { type: 'count', doc: 'IP-level bytes from the responder' },
  community_id: { type: 'string', doc: 'Community ID v1 flow hash (seed 0)' },
  vlan: { type: 'count', optional: true, doc: 'Outer 802.1Q VLAN id, part of the flow key' },
  ip_proto: { type: 'count', doc: 'IP protocol number' },
} as const satisfies Record<string, Field>;

export type ConnLog = RecordOf<typeof connLog>;
