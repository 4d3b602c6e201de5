/**
 * The `alerts` log: one record per alert, updated in place while duplicates are merged into it (count and
 * last_seen grow). `src_ip` is the attacker or subject (for ARP alerts the IP being claimed, the MAC is in
 * the evidence), `dst_ip` its target.
 */
import type { Field, RecordOf } from './log-schema.js';

export const alertLog = {
  id: { type: 'string', doc: "Alert id ('A' + base62), stable while the alert is merged and updated" },
  type: { type: 'string', doc: 'Detection: port_scan_vertical, syn_flood, arp_spoof, …' },
  variant: { type: 'string', optional: true, doc: 'How the detection was made: syn, fin, icmp, ftp, …' },
  severity: { type: 'string', doc: 'info, low, medium, high' },
  src_ip: { type: 'addr', doc: 'Attacker or subject of the alert' },
  dst_ip: { type: 'addr', optional: true, doc: 'Target; absent when there is none (or many)' },
  dst_port: { type: 'port', optional: true, doc: 'Target port when one port is concerned' },
  first_seen: { type: 'time', doc: 'Packet time of the first evidence' },
  last_seen: { type: 'time', doc: 'Packet time of the latest evidence' },
  count: { type: 'count', doc: 'Detections merged into this alert within the suppression window' },
  message: { type: 'string', doc: 'One human-readable line' },
  evidence: { type: 'string', doc: 'JSON: counts, sample ports or names, flow uids, frame numbers' },
  mitre: { type: 'string', optional: true, doc: 'MITRE ATT&CK technique id, e.g. T1046' },
} as const satisfies Record<string, Field>;

export type AlertLog = RecordOf<typeof alertLog>;

/** SQL columns a merged duplicate changes when its alert row is updated in place. */
export const ALERT_MERGED_COLUMNS = [
  'variant',
  'severity',
  'dst_ip',
  'dst_port',
  'first_seen',
  'first_seen_us',
  'last_seen',
  'last_seen_us',
  'count',
  'message',
  'evidence',
] as const;

export const SEVERITIES = ['info', 'low', 'medium', 'high'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Alert types (fixed names; labelled captures and users' allowlists use them). */
export const ALERT_TYPES = [
  'external_connection',
  'port_scan_vertical',
  'port_scan_horizontal',
  'ping_sweep',
  'syn_flood',
  'icmp_flood',
  'udp_flood',
  'arp_spoof',
  'gratuitous_arp_storm',
  'dns_tunneling',
  'blocklisted_destination',
  'brute_force_login',
  'plaintext_credentials',
  'new_device',
  'traffic_volume_anomaly',
  'c2_beaconing',
] as const;
export type AlertType = (typeof ALERT_TYPES)[number];
