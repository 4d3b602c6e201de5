/**
 * Where alerts may be sent, checked once at start-up (flags and the config file alike): webhook URLs and
 * syslog receivers, with the syslog facilities by name (RFC 5424 §6.2.1).
 */
import { parseHostPort, type HostPort } from './host-port.js';

/** An http:// or https:// URL, or null. */
export function parseWebhookUrl(text: string): URL | null {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

export interface SyslogTarget extends HostPort {
  readonly transport: 'udp' | 'tcp';
}

/** `udp://HOST:PORT` or `tcp://HOST:PORT` (IPv6 in brackets), or null. */
export function parseSyslogUrl(text: string): SyslogTarget | null {
  const m = /^(udp|tcp):\/\/(.+?)\/?$/.exec(text);
  if (m === null) return null;
  const endpoint = parseHostPort(m[2]!);
  return endpoint === null ? null : { transport: m[1] as 'udp' | 'tcp', ...endpoint };
}

export const SYSLOG_FACILITY = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  ntp: 12,
  security: 13,
  console: 14,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
} as const;
export type SyslogFacility = keyof typeof SYSLOG_FACILITY;
export const SYSLOG_FACILITIES = Object.keys(SYSLOG_FACILITY) as [SyslogFacility, ...SyslogFacility[]];

/** RFC 5424 APP-NAME: 1 to 48 printable US-ASCII characters. */
export const isSyslogAppName = (s: string): boolean => /^[!-~]{1,48}$/.test(s);
