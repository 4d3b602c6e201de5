/**
 * Decoder anomalies (STYLE.md E6): every way a frame can be cut short or be malformed gets a stable id and a
 * `<proto>.<snake_case>` name that never changes once shipped. The decoder counts them in a Uint32Array
 * indexed by id; names are materialised only when someone asks for the counters.
 *
 * `truncated_*` anomalies mean the capture ended before the data did (snaplen, a short frame); every other
 * anomaly means the bytes contradict themselves (a length field that cannot be right, a bad version).
 */
export const Anomaly = {
  None: 0,
  EthTruncatedHeader: 1,
  VlanTruncatedHeader: 2,
  VnTagTruncatedHeader: 3,
  PbbTruncatedHeader: 4,
  LlcTruncatedHeader: 5,
  PppoeTruncatedHeader: 6,
  PppTruncatedHeader: 7,
  MplsTruncatedHeader: 8,
  SllTruncatedHeader: 9,
  Sll2TruncatedHeader: 10,
  NullTruncatedHeader: 11,
  RawTruncatedHeader: 12,
  ChdlcTruncatedHeader: 13,
  NflogTruncatedHeader: 14,
  NflogBadTlvLength: 15,
  RadiotapTruncatedHeader: 16,
  RadiotapBadHeaderLength: 17,
  WlanTruncatedHeader: 18,
  IpTruncatedHeader: 19,
  IpBadVersion: 20,
  Ipv4TruncatedHeader: 21,
  Ipv4BadHeaderLength: 22,
  Ipv4BadTotalLength: 23,
  Ipv4TruncatedPayload: 24,
  Ipv6TruncatedHeader: 25,
  Ipv6BadVersion: 26,
  Ipv6TruncatedExtHeader: 27,
  Ipv6BadExtHeaderLength: 28,
  Ipv6TruncatedPayload: 29,
  Ipv6ZeroPayloadLength: 30,
  ArpTruncatedHeader: 31,
  ArpBadLength: 32,
  TcpTruncatedHeader: 33,
  TcpBadHeaderLength: 34,
  UdpTruncatedHeader: 35,
  UdpBadLength: 36,
  IcmpTruncatedHeader: 37,
  Icmpv6TruncatedHeader: 38,
  DecodeTooManyLayers: 39,
  Ipv6BadPayloadLength: 40,
} as const;
export type Anomaly = (typeof Anomaly)[keyof typeof Anomaly];

/** Names indexed by id; index 0 is the "no anomaly" slot. */
export const ANOMALY_NAMES: readonly string[] = [
  '',
  'eth.truncated_header',
  'vlan.truncated_header',
  'vntag.truncated_header',
  'pbb.truncated_header',
  'llc.truncated_header',
  'pppoe.truncated_header',
  'ppp.truncated_header',
  'mpls.truncated_header',
  'sll.truncated_header',
  'sll2.truncated_header',
  'null.truncated_header',
  'raw.truncated_header',
  'chdlc.truncated_header',
  'nflog.truncated_header',
  'nflog.bad_tlv_length',
  'radiotap.truncated_header',
  'radiotap.bad_header_length',
  'wlan.truncated_header',
  'ip.truncated_header',
  'ip.bad_version',
  'ipv4.truncated_header',
  'ipv4.bad_header_length',
  'ipv4.bad_total_length',
  'ipv4.truncated_payload',
  'ipv6.truncated_header',
  'ipv6.bad_version',
  'ipv6.truncated_ext_header',
  'ipv6.bad_ext_header_length',
  'ipv6.truncated_payload',
  'ipv6.zero_payload_length',
  'arp.truncated_header',
  'arp.bad_length',
  'tcp.truncated_header',
  'tcp.bad_header_length',
  'udp.truncated_header',
  'udp.bad_length',
  'icmp.truncated_header',
  'icmpv6.truncated_header',
  'decode.too_many_layers',
  'ipv6.bad_payload_length',
];

export const ANOMALY_COUNT = ANOMALY_NAMES.length;

/** 1 where the anomaly means "cut short" (truncated), 0 where it means "malformed". */
export const ANOMALY_IS_TRUNCATION: Uint8Array = Uint8Array.from(ANOMALY_NAMES, (n) =>
  n.includes('.truncated_') ? 1 : 0,
);

export function anomalyName(id: number): string {
  return ANOMALY_NAMES[id] ?? '';
}

/** Receives anomalies from layers as they decode (gopacket's DecodeFeedback, widened to carry an id). */
export interface DecodeFeedback {
  anomaly(id: Anomaly): void;
  /** End of the frame's captured bytes. */
  readonly captureEnd: number;
  /** Where the frame ends on the wire (frame start + wire length); +Infinity when unknown. */
  readonly wireEnd: number;
}

/**
 * Reports a length field that points to `needEnd`, past the bytes a layer has. It is a truncation when the
 * capture stopped before the frame did and the frame is long enough on the wire; otherwise the length
 * field is wrong (malformed).
 */
export function reportPastEnd(
  fb: DecodeFeedback,
  needEnd: number,
  truncated: Anomaly,
  malformed: Anomaly,
): void {
  fb.anomaly(needEnd > fb.captureEnd && needEnd <= fb.wireEnd ? truncated : malformed);
}
