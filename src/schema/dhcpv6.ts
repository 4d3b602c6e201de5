/**
 * The `dhcpv6` log: one record per DHCPv6 exchange (the messages sharing a transaction id), named after
 * Zeek's dhcp.log where the meaning is the same (Zeek has no DHCPv6 log). See src/app/dhcpv6/.
 */
import type { Field, RecordOf } from './log-schema.js';

export const dhcpv6Log = {
  ts: { type: 'time', doc: 'Time of the first message of the exchange' },
  uids: { type: 'strings', doc: 'Uids of the flows that carried the messages; join with flows' },
  trans_id: { type: 'count', doc: 'Transaction id (24 bits)' },
  client_addr: { type: 'addr', optional: true, doc: 'Source address of the client messages' },
  server_addr: { type: 'addr', optional: true, doc: 'Source address of the server messages' },
  client_duid: { type: 'string', optional: true, doc: 'Client DUID (option 1), colon-separated hex' },
  server_duid: { type: 'string', optional: true, doc: 'Server DUID (option 2), colon-separated hex' },
  mac: { type: 'string', optional: true, doc: 'Client MAC from a link-layer client DUID (types 1 and 3)' },
  client_fqdn: { type: 'string', optional: true, doc: 'Client FQDN (option 39)' },
  vendor_class: {
    type: 'string',
    optional: true,
    doc: 'First vendor class data the client sent (option 16)',
  },
  requested_addrs: {
    type: 'strings',
    optional: true,
    doc: 'Addresses in the IA_NA/IA_TA options of the client messages (hints or addresses held)',
  },
  assigned_addrs: {
    type: 'strings',
    optional: true,
    doc: 'Addresses in the IA_NA/IA_TA options of the server REPLY',
  },
  delegated_prefixes: {
    type: 'strings',
    optional: true,
    doc: 'Prefixes (address/length) in the IA_PD options of the server REPLY',
  },
  msg_types: {
    type: 'strings',
    doc: 'Message types in the order seen (SOLICIT, ADVERTISE, REQUEST, REPLY…)',
  },
  duration: { type: 'interval', doc: 'Seconds from the first to the last message' },
} as const satisfies Record<string, Field>;

export type Dhcpv6Log = RecordOf<typeof dhcpv6Log>;
