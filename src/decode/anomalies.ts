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
  Ipv4TruncatedHeader: 19,
  Ipv4BadVersion: 20,
  Ipv4BadHeaderLength: 21,
  Ipv4BadTotalLength: 22,
  Ipv4TruncatedPayload: 23,
  Ipv6TruncatedHeader: 24,
  Ipv6BadVersion: 25,
  Ipv6BadPayloadLength: 26,
  Ipv6ZeroPayloadLength: 27,
  Ipv6TruncatedPayload: 28,
  Ipv6TruncatedExtHeader: 29,
  Ipv6BadExtHeaderLength: 30,
  Ipv6BadOptionLength: 31,
  ArpTruncatedHeader: 32,
  ArpBadLength: 33,
  TcpTruncatedHeader: 34,
  TcpBadHeaderLength: 35,
  UdpTruncatedHeader: 36,
  UdpBadLength: 37,
  IcmpTruncatedHeader: 38,
  Icmpv6TruncatedHeader: 39,
  DecodeTooManyLayers: 40,
} as const;
export type Anomaly = (typeof Anomaly)[keyof typeof Anomaly];

/** Names indexed by id (index 0 is the "no anomaly" slot); anomalies.test.ts checks they line up. */
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
  'ipv4.truncated_header',
  'ipv4.bad_version',
  'ipv4.bad_header_length',
  'ipv4.bad_total_length',
  'ipv4.truncated_payload',
  'ipv6.truncated_header',
  'ipv6.bad_version',
  'ipv6.bad_payload_length',
  'ipv6.zero_payload_length',
  'ipv6.truncated_payload',
  'ipv6.truncated_ext_header',
  'ipv6.bad_ext_header_length',
  'ipv6.bad_option_length',
  'arp.truncated_header',
  'arp.bad_length',
  'tcp.truncated_header',
  'tcp.bad_header_length',
  'udp.truncated_header',
  'udp.bad_length',
  'icmp.truncated_header',
  'icmpv6.truncated_header',
  'decode.too_many_layers',
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
  /** Where the frame ends on the wire (frame start + wire length); UNKNOWN_WIRE_END when unknown. */
  readonly wireEnd: number;
  /** Whether the IP datagram being decoded is a fragment, so lengths above it may exceed the bytes here. */
  readonly fragmented: boolean;
}

/**
 * `wireEnd` when the wire length is unknown: past any real frame, and still a small integer (V8 keeps
 * small integers unboxed; a double such as Infinity in a hot field costs an allocation per store).
 */
export const UNKNOWN_WIRE_END = 0x3fffffff;

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
