/**
 * The `dhcp` log: one record per DHCPv4 exchange (the messages sharing a transaction id), Zeek's dhcp.log
 * field names and meanings. See src/app/dhcp/.
 */
import type { Field, RecordOf } from './log-schema.js';

export const dhcpLog = {
  ts: { type: 'time', doc: 'Time of the first message of the exchange' },
  uids: { type: 'strings', doc: 'Uids of the flows that carried the messages; join with flows' },
  client_addr: {
    type: 'addr',
    optional: true,
    doc: "The client's address: ciaddr when set, else the source address of its messages unless 0.0.0.0",
  },
  server_addr: { type: 'addr', optional: true, doc: 'Server identifier (option 54), else the server source' },
  mac: { type: 'string', optional: true, doc: 'Client hardware address (chaddr) of an Ethernet client' },
  host_name: { type: 'string', optional: true, doc: 'Host name the client sent (option 12)' },
  client_fqdn: { type: 'string', optional: true, doc: 'Client FQDN (option 81)' },
  domain: { type: 'string', optional: true, doc: 'Domain name the server gave (option 15)' },
  requested_addr: { type: 'addr', optional: true, doc: 'Address the client asked for (option 50)' },
  assigned_addr: { type: 'addr', optional: true, doc: 'Address the server assigned (yiaddr of the ACK)' },
  lease_time: { type: 'interval', optional: true, doc: 'Lease the server granted (option 51), seconds' },
  client_software: {
    type: 'string',
    optional: true,
    doc: 'Vendor class identifier the client sent (option 60)',
  },
  client_id: {
    type: 'string',
    optional: true,
    doc: 'Client identifier the client sent (option 61), colon-separated hex with its type byte first',
  },
  fingerprint: {
    type: 'string',
    optional: true,
    doc: "Parameter request list (option 55) as a Fingerbank DHCP fingerprint: codes in order, '1,3,6,15,…'",
  },
  msg_types: { type: 'strings', doc: 'Message types in the order seen (DISCOVER, OFFER, REQUEST, ACK…)' },
  duration: { type: 'interval', doc: 'Seconds from the first to the last message' },
} as const satisfies Record<string, Field>;

export type DhcpLog = RecordOf<typeof dhcpLog>;
