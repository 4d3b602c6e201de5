/** DHCPv6 anomalies; names never change once shipped (STYLE.md E6). Ids index DHCPV6_ANOMALY_NAMES. */
export const Dhcpv6Anomaly = {
  TruncatedHeader: 0,
  TruncatedOption: 1,
  RelayTooDeep: 2,
  TooManyPending: 3,
} as const;
export type Dhcpv6Anomaly = (typeof Dhcpv6Anomaly)[keyof typeof Dhcpv6Anomaly];

export const DHCPV6_ANOMALY_NAMES: readonly string[] = [
  'dhcpv6.truncated_header',
  'dhcpv6.truncated_option',
  'dhcpv6.relay_too_deep',
  'dhcpv6.too_many_pending',
];
