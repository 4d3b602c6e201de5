/**
 * Every log stream the store knows, by name: the name is also the SQL table. Stores, the server and the
 * detection engine see records through these types only.
 */
import { connLog, type ConnLog } from './conn.js';
import { dhcpLog, type DhcpLog } from './dhcp.js';
import { dhcpv6Log, type Dhcpv6Log } from './dhcpv6.js';
import { dnsLog, type DnsLog } from './dns.js';
import { hostsLog, type HostsLog } from './hosts.js';
import { httpLog, type HttpLog } from './http.js';
import { quicLog, type QuicLog } from './quic.js';
import { tlsLog, type TlsLog } from './tls.js';

export const LOG_STREAMS = {
  flows: connLog,
  dns: dnsLog,
  tls: tlsLog,
  http: httpLog,
  dhcp: dhcpLog,
  dhcpv6: dhcpv6Log,
  quic: quicLog,
  hosts: hostsLog,
} as const;
export type LogStream = keyof typeof LOG_STREAMS;

/**
 * Streams whose rows are snapshots of a thing that keeps changing: a record replaces the stored row with
 * the same key (the table's unique index), so a live capture can write them again and again.
 */
export const SNAPSHOT_STREAMS: ReadonlySet<LogStream> = new Set<LogStream>(['hosts']);

export interface LogRecords {
  flows: ConnLog;
  dns: DnsLog;
  tls: TlsLog;
  http: HttpLog;
  dhcp: DhcpLog;
  dhcpv6: Dhcpv6Log;
  quic: QuicLog;
  hosts: HostsLog;
}
export type LogOf<S extends LogStream> = LogRecords[S];

export type { ConnLog, DhcpLog, Dhcpv6Log, DnsLog, HostsLog, HttpLog, QuicLog, TlsLog };
