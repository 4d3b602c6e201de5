/**
 * Protocol-number spaces as `as const` tables (STYLE.md E3). Each table drives names, dispatch and printing;
 * dispatch goes through typed arrays built once at load time, so choosing the next layer is one indexed load.
 */

/** The layers the decoder knows. Values index the decoder's layer registry and the dispatch tables. */
export const LayerType = {
  None: 0,
  Ethernet: 1,
  Dot1Q: 2,
  VNTag: 3,
  PbbITag: 4,
  LLC: 5,
  PPPoE: 6,
  /** PPP without address/control bytes (inside PPPoE). */
  PPP: 7,
  /** PPP that may start with HDLC-like framing `ff 03` (link types 9 and 50, BSD null, raw). */
  PPPHdlc: 8,
  MPLS: 9,
  SLL: 10,
  SLL2: 11,
  Null: 12,
  Loop: 13,
  Raw: 14,
  CHdlc: 15,
  NFLOG: 16,
  Radiotap: 17,
  Dot11: 18,
  /** 802.11 whose header is padded to a 32-bit boundary (radiotap flag 0x20). */
  Dot11Padded: 19,
  IPv4: 20,
  IPv6: 21,
  ARP: 22,
  TCP: 23,
  UDP: 24,
  ICMPv4: 25,
  ICMPv6: 26,
} as const;
export type LayerType = (typeof LayerType)[keyof typeof LayerType];
export const LAYER_TYPE_COUNT = 27;

export const layerTypeName: ReadonlyMap<number, string> = new Map(
  Object.entries(LayerType).map(([k, v]) => [v, k]),
);

/** LINKTYPE_* values (https://www.tcpdump.org/linktypes.html) the decoder handles. */
export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  PPP: 9,
  RAW_12: 12,
  RAW_14: 14,
  PPP_HDLC: 50,
  RAW: 101,
  C_HDLC: 104,
  IEEE802_11: 105,
  LOOP: 108,
  LINUX_SLL: 113,
  IEEE802_11_RADIOTAP: 127,
  IPV4: 228,
  IPV6: 229,
  NFLOG: 239,
  LINUX_SLL2: 276,
} as const;
export type LinkType = (typeof LinkType)[keyof typeof LinkType];

/** First layer per link type; 0 (None) marks a link type we do not decode. */
export const firstLayerByLinkType = new Uint8Array(0x10000);
firstLayerByLinkType[LinkType.NULL] = LayerType.Null;
firstLayerByLinkType[LinkType.ETHERNET] = LayerType.Ethernet;
firstLayerByLinkType[LinkType.PPP] = LayerType.PPPHdlc;
firstLayerByLinkType[LinkType.PPP_HDLC] = LayerType.PPPHdlc;
firstLayerByLinkType[LinkType.RAW_12] = LayerType.Raw;
firstLayerByLinkType[LinkType.RAW_14] = LayerType.Raw;
firstLayerByLinkType[LinkType.RAW] = LayerType.Raw;
firstLayerByLinkType[LinkType.C_HDLC] = LayerType.CHdlc;
firstLayerByLinkType[LinkType.IEEE802_11] = LayerType.Dot11;
firstLayerByLinkType[LinkType.LOOP] = LayerType.Loop;
firstLayerByLinkType[LinkType.LINUX_SLL] = LayerType.SLL;
firstLayerByLinkType[LinkType.IEEE802_11_RADIOTAP] = LayerType.Radiotap;
firstLayerByLinkType[LinkType.IPV4] = LayerType.IPv4;
firstLayerByLinkType[LinkType.IPV6] = LayerType.IPv6;
firstLayerByLinkType[LinkType.NFLOG] = LayerType.NFLOG;
firstLayerByLinkType[LinkType.LINUX_SLL2] = LayerType.SLL2;

export const EtherType = {
  IPv4: 0x0800,
  ARP: 0x0806,
  RARP: 0x8035,
  VLAN: 0x8100,
  IPv6: 0x86dd,
  PPPoEDiscovery: 0x8863,
  PPPoESession: 0x8864,
  MPLSUnicast: 0x8847,
  MPLSMulticast: 0x8848,
  QinQ: 0x88a8,
  PBB: 0x88e7,
  VNTag: 0x8926,
  /** The pre-802.1ad QinQ type; Wireshark's `vlan.qinq_ethertype` default. */
  QinQOld: 0x9100,
} as const;
export type EtherType = (typeof EtherType)[keyof typeof EtherType];

/** Largest 802.3 length; an Ethernet type/length field up to this value is a length (LLC follows). */
export const IEEE_802_3_MAX_LEN = 1500;

/** Next layer by EtherType; None for types we do not decode. */
export const nextByEtherType = new Uint8Array(0x10000);
nextByEtherType[EtherType.IPv4] = LayerType.IPv4;
nextByEtherType[EtherType.IPv6] = LayerType.IPv6;
nextByEtherType[EtherType.ARP] = nextByEtherType[EtherType.RARP] = LayerType.ARP;
nextByEtherType[EtherType.VLAN] = nextByEtherType[EtherType.QinQ] = LayerType.Dot1Q;
nextByEtherType[EtherType.QinQOld] = LayerType.Dot1Q;
nextByEtherType[EtherType.PPPoESession] = LayerType.PPPoE;
nextByEtherType[EtherType.MPLSUnicast] = nextByEtherType[EtherType.MPLSMulticast] = LayerType.MPLS;
nextByEtherType[EtherType.PBB] = LayerType.PbbITag;
nextByEtherType[EtherType.VNTag] = LayerType.VNTag;

export const etherTypeName: ReadonlyMap<number, string> = new Map(
  Object.entries(EtherType).map(([k, v]) => [v, k]),
);

/** Next layer after a type/length field: an EtherType, or LLC when the field is an 802.3 length. */
export function nextByTypeOrLength(typeOrLength: number): LayerType {
  return typeOrLength <= IEEE_802_3_MAX_LEN ? LayerType.LLC : (nextByEtherType[typeOrLength]! as LayerType);
}

export const IpProto = {
  HopByHop: 0,
  ICMP: 1,
  IGMP: 2,
  IPIP: 4,
  TCP: 6,
  UDP: 17,
  IPv6: 41,
  Routing: 43,
  Fragment: 44,
  GRE: 47,
  ESP: 50,
  AH: 51,
  ICMPv6: 58,
  NoNext: 59,
  DestOpts: 60,
  SCTP: 132,
} as const;
export type IpProto = (typeof IpProto)[keyof typeof IpProto];

/** Transport layer by IP protocol number (IPv4 and IPv6 alike, as Wireshark's `ip.proto` table). */
export const nextByIpProto = new Uint8Array(256);
nextByIpProto[IpProto.TCP] = LayerType.TCP;
nextByIpProto[IpProto.UDP] = LayerType.UDP;
nextByIpProto[IpProto.ICMP] = LayerType.ICMPv4;
nextByIpProto[IpProto.ICMPv6] = LayerType.ICMPv6;

/** IPv6 extension headers that are skipped to find the upper-layer protocol (AH and ESP are not). */
export const isIpv6SkippedExt = new Uint8Array(256);
isIpv6SkippedExt[IpProto.HopByHop] = 1;
isIpv6SkippedExt[IpProto.Routing] = 1;
isIpv6SkippedExt[IpProto.Fragment] = 1;
isIpv6SkippedExt[IpProto.DestOpts] = 1;

export const PppProto = {
  IPv4: 0x0021,
  IPv6: 0x0057,
  MPLSUnicast: 0x0281,
  MPLSMulticast: 0x0283,
} as const;
export type PppProto = (typeof PppProto)[keyof typeof PppProto];

export const nextByPppProto = new Uint8Array(0x10000);
nextByPppProto[PppProto.IPv4] = LayerType.IPv4;
nextByPppProto[PppProto.IPv6] = LayerType.IPv6;
nextByPppProto[PppProto.MPLSUnicast] = nextByPppProto[PppProto.MPLSMulticast] = LayerType.MPLS;

/**
 * BSD AF_* values in DLT_NULL / DLT_LOOP headers: 2 (IPv4) and 24/28/30 (IPv6 on the BSDs and macOS), the
 * ones Wireshark decodes. Linux's AF_INET6 (10) is listed for reference but, as in Wireshark, not decoded:
 * DLT_NULL files come from BSD-derived systems.
 */
export const AddressFamily = {
  INET: 2,
  INET6_LINUX: 10,
  INET6_BSD: 24,
  INET6_FREEBSD: 28,
  INET6_DARWIN: 30,
} as const;
export type AddressFamily = (typeof AddressFamily)[keyof typeof AddressFamily];

/** Next layer by AF value (only small values are AF types; larger ones are EtherTypes). */
export const nextByAddressFamily = new Uint8Array(IEEE_802_3_MAX_LEN + 1);
nextByAddressFamily[AddressFamily.INET] = LayerType.IPv4;
nextByAddressFamily[AddressFamily.INET6_BSD] = LayerType.IPv6;
nextByAddressFamily[AddressFamily.INET6_FREEBSD] = LayerType.IPv6;
nextByAddressFamily[AddressFamily.INET6_DARWIN] = LayerType.IPv6;

/** ARPHRD_* values in Linux cooked headers that change how the protocol field is read. */
export const ArpHrd = { IPGRE: 778, NETLINK: 824 } as const;

/** Linux-internal protocol values in SLL/SLL2 headers (≤ 1536; larger values are EtherTypes). */
export const LinuxSllProto = { LLC: 0x0004, PPPHdlc: 0x0007 } as const;

/** 802.2 SAP values. */
export const Sap = { IP: 0x06, SNAP: 0xaa, ARP: 0x98 } as const;
