/**
 * Alerts as RFC 5424 syslog messages:
 * `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [nta@32473 id=".." type=".." …] MESSAGE`.
 * The header's time is when the message was made (RFC 5424 §6.2.3: the originator's clock); the alert's
 * packet times are in the structured data, as in the EVE records. MSGID is the alert type. 32473 is the
 * enterprise number RFC 5612 reserves for examples: nta has none of its own.
 */
import { hostname } from 'node:os';
import { SYSLOG_FACILITY, type SyslogFacility } from '../core/output-targets.js';
import type { Alert } from '../detect/suppress.js';
import { alertTime } from './alert-output.js';

export const SD_ID = 'nta@32473';

/** Syslog severities (RFC 5424 §6.2.1) of alert severities. */
const SYSLOG_SEVERITY: Record<string, number> = { high: 2, medium: 4, low: 5, info: 6 };

export interface SyslogHeader {
  readonly facility: SyslogFacility;
  readonly appName: string;
  /** Defaults to this host's name. */
  readonly hostname?: string;
  readonly procId?: number;
}

/** PARAM-VALUE escaping (RFC 5424 §6.3.3): `"`, `\` and `]` get a backslash. */
const sdValue = (v: string): string => v.replace(/["\\\]]/g, (c) => `\\${c}`);

/** Header fields are printable US-ASCII without spaces; `-` stands for an empty one. */
const headerField = (v: string, max: number): string => {
  const s = v.replace(/[^!-~]/g, '').slice(0, max);
  return s === '' ? '-' : s;
};

const isoTime = (sec: number): string => `${alertTime(sec).replace(' ', 'T')}Z`;

export function syslogMessage(a: Alert, h: SyslogHeader, now: Date = new Date()): string {
  const pri = SYSLOG_FACILITY[h.facility] * 8 + (SYSLOG_SEVERITY[a.severity] ?? 5);
  const params: [string, string | number | null][] = [
    ['id', a.id],
    ['type', a.type],
    ['variant', a.variant],
    ['severity', a.severity],
    ['src_ip', a.src],
    ['dst_ip', a.dst],
    ['dst_port', a.dstPort],
    ['count', a.count],
    ['first_seen', isoTime(a.first)],
    ['last_seen', isoTime(a.last)],
    ['mitre', a.mitre],
  ];
  const sd = params
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k}="${sdValue(String(v))}"`)
    .join(' ');
  return (
    `<${pri}>1 ${now.toISOString()} ${headerField(h.hostname ?? hostname(), 255)} ` +
    `${headerField(h.appName, 48)} ${h.procId ?? process.pid} ${headerField(a.type, 32)} ` +
    `[${SD_ID} ${sd}] ${a.message}`
  );
}
