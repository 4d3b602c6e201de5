/** DHCP anomalies; names never change once shipped (STYLE.md E6). Ids index DHCP_ANOMALY_NAMES. */
export const DhcpAnomaly = {
  TruncatedHeader: 0,
  BadMagicCookie: 1,
  TruncatedOption: 2,
  NoMessageType: 3,
  TooManyPending: 4,
} as const;
export type DhcpAnomaly = (typeof DhcpAnomaly)[keyof typeof DhcpAnomaly];

export const DHCP_ANOMALY_NAMES: readonly string[] = [
  'dhcp.truncated_header',
  'dhcp.bad_magic_cookie',
  'dhcp.truncated_option',
  'dhcp.no_message_type',
  'dhcp.too_many_pending',
];
