/** DNS anomalies; names never change once shipped (STYLE.md E6). Ids index DNS_ANOMALY_NAMES. */
export const DnsAnomaly = {
  TruncatedHeader: 0,
  TruncatedQuestion: 1,
  TruncatedAnswer: 2,
  PointerLoop: 3,
  NameTooLong: 4,
  TooManyLabels: 5,
  BadLabelType: 6,
  TooManyPending: 7,
  UnmatchedResponse: 8,
  BadTcpLength: 9,
} as const;
export type DnsAnomaly = (typeof DnsAnomaly)[keyof typeof DnsAnomaly];

export const DNS_ANOMALY_NAMES: readonly string[] = [
  'dns.truncated_header',
  'dns.truncated_question',
  'dns.truncated_answer',
  'dns.pointer_loop',
  'dns.name_too_long',
  'dns.too_many_labels',
  'dns.bad_label_type',
  'dns.too_many_pending',
  'dns.unmatched_response',
  'dns.bad_tcp_length',
];
