/**
 * The `hosts` table: the device inventory, one row per local device (a MAC address seen as a link-layer
 * source) per capture. Rewritten while a live capture runs (the row for a capture and MAC is replaced), so
 * it always holds the latest counts. See src/app/hosts/.
 *
 * The addresses are a JSON list in one column, not a child table: the list is short and bounded
 * (MAX_HOST_IPS), is always read with its device, is replaced whole at each write, and SQLite's json_each
 * still answers "which device had address X".
 */
import type { Field, RecordOf } from './log-schema.js';

export const hostsLog = {
  mac: { type: 'string', doc: 'Link-layer address, aa:bb:cc:dd:ee:ff' },
  ips: {
    type: 'strings',
    doc: 'IPv4/IPv6 addresses the device sent from (ARP sender, IP source), first seen first',
  },
  router: {
    type: 'bool',
    doc: 'More source addresses than one device uses (MAX_HOST_IPS): a router or gateway forwarding for others',
  },
  vendor: { type: 'string', optional: true, doc: 'Organisation of the MAC prefix in the IEEE OUI registry' },
  host_name: {
    type: 'string',
    optional: true,
    doc: 'Host name: from DHCP (host name, else FQDN; DHCPv6 FQDN), else mDNS, else NetBIOS',
  },
  name_source: {
    type: 'string',
    optional: true,
    doc: 'Where host_name came from: dhcp (DHCP or DHCPv6), mdns or netbios',
  },
  dhcp_vendor_class: {
    type: 'string',
    optional: true,
    doc: "Vendor class the device's DHCP client sent (DHCP option 60, DHCPv6 option 16)",
  },
  dhcp_fingerprint: {
    type: 'string',
    optional: true,
    doc: "The device's DHCP option 55 fingerprint (Fingerbank style, dhcp.fingerprint)",
  },
  first_seen: { type: 'time', doc: 'First frame from or to the device' },
  last_seen: { type: 'time', doc: 'Last frame from or to the device' },
  pkts_out: { type: 'count', doc: 'Frames the device sent' },
  bytes_out: { type: 'count', doc: 'Bytes (frame length on the wire) the device sent' },
  pkts_in: { type: 'count', doc: 'Frames addressed to the device (its MAC as destination)' },
  bytes_in: { type: 'count', doc: 'Bytes of frames addressed to the device' },
} as const satisfies Record<string, Field>;

export type HostsLog = RecordOf<typeof hostsLog>;
