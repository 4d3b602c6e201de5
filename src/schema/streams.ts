/**
 * Every log stream the store knows, by name: the name is also the SQL table. Stores, the server and the
 * detection engine see records through these types only.
 */
import { connLog, type ConnLog } from './conn.js';
import { dnsLog, type DnsLog } from './dns.js';
import { httpLog, type HttpLog } from './http.js';
import { tlsLog, type TlsLog } from './tls.js';

export const LOG_STREAMS = { flows: connLog, dns: dnsLog, tls: tlsLog, http: httpLog } as const;
export type LogStream = keyof typeof LOG_STREAMS;

export interface LogRecords {
  flows: ConnLog;
  dns: DnsLog;
  tls: TlsLog;
  http: HttpLog;
}
export type LogOf<S extends LogStream> = LogRecords[S];

export type { ConnLog, DnsLog, HttpLog, TlsLog };
