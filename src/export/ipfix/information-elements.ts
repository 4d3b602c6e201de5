/**
 * The IPFIX information elements nta exports (IANA "IPFIX Information Elements" registry, RFC 7012) and its
 * two templates. Flows are biflows (RFC 5103): forward counters describe the originator's packets, the
 * reverse ones (same element id, enterprise bit set, PEN 29305) the responder's. tcpControlBits is the
 * originator's only: nfdump 1.7 stores a reverse tcpControlBits over the forward one, so it is not sent.
 */

export const IE = {
  octetDeltaCount: 1,
  packetDeltaCount: 2,
  protocolIdentifier: 4,
  tcpControlBits: 6,
  sourceTransportPort: 7,
  sourceIPv4Address: 8,
  destinationTransportPort: 11,
  destinationIPv4Address: 12,
  sourceIPv6Address: 27,
  destinationIPv6Address: 28,
  icmpTypeCodeIPv4: 32,
  icmpTypeCodeIPv6: 139,
  vlanId: 58,
  flowStartMilliseconds: 152,
  flowEndMilliseconds: 153,
} as const;

/** RFC 5103 §6.1: the private enterprise number that marks a reverse information element. */
export const REVERSE_PEN = 29305;

export interface FieldSpecifier {
  readonly id: number;
  readonly length: number;
  /** A reverse element (RFC 5103): encoded with the enterprise bit and REVERSE_PEN. */
  readonly reverse: boolean;
}

export interface Template {
  /** Template ids start at 256 (RFC 7011 §3.4.1). */
  readonly id: number;
  readonly fields: readonly FieldSpecifier[];
  /** Bytes of one data record. */
  readonly recordLength: number;
}

const field = (id: number, length: number, reverse = false): FieldSpecifier => ({ id, length, reverse });

/**
 * The order of the fields here is the order writeRecord (encoder.ts) writes them in. ICMP flows have their
 * own templates, with icmpTypeCode in place of ports and TCP flags: nfdump 1.7 reads icmpTypeCode into the
 * destination port, so one template for all would lose the ports of other protocols (SCTP).
 */
function flowTemplate(id: number, v6: boolean, icmp: boolean): Template {
  const addrLen = v6 ? 16 : 4;
  const fields = [
    field(IE.flowStartMilliseconds, 8),
    field(IE.flowEndMilliseconds, 8),
    field(v6 ? IE.sourceIPv6Address : IE.sourceIPv4Address, addrLen),
    field(v6 ? IE.destinationIPv6Address : IE.destinationIPv4Address, addrLen),
    ...(icmp
      ? [field(v6 ? IE.icmpTypeCodeIPv6 : IE.icmpTypeCodeIPv4, 2)]
      : [field(IE.sourceTransportPort, 2), field(IE.destinationTransportPort, 2)]),
    field(IE.protocolIdentifier, 1),
    field(IE.vlanId, 2),
    field(IE.packetDeltaCount, 8),
    field(IE.octetDeltaCount, 8),
    ...(icmp ? [] : [field(IE.tcpControlBits, 2)]),
    field(IE.packetDeltaCount, 8, true),
    field(IE.octetDeltaCount, 8, true),
  ];
  return { id, fields, recordLength: fields.reduce((n, f) => n + f.length, 0) };
}

export const IPV4_TEMPLATE = flowTemplate(256, false, false);
export const IPV6_TEMPLATE = flowTemplate(257, true, false);
export const ICMP_TEMPLATE = flowTemplate(258, false, true);
export const ICMPV6_TEMPLATE = flowTemplate(259, true, true);

/** Every template, in the order the template set lists them. */
export const TEMPLATES = [IPV4_TEMPLATE, IPV6_TEMPLATE, ICMP_TEMPLATE, ICMPV6_TEMPLATE] as const;

/** The template a flow is written with. */
export const templateOf = (v6: boolean, icmp: boolean): Template =>
  icmp ? (v6 ? ICMPV6_TEMPLATE : ICMP_TEMPLATE) : v6 ? IPV6_TEMPLATE : IPV4_TEMPLATE;
