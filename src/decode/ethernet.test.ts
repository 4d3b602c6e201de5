import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIPv4, formatIPv6 } from '../core/addr.js';
import { Anomaly } from './anomalies.js';
import { LayerType } from './enums.js';
import {
  be16,
  be32,
  cat,
  decodeFrame,
  eth,
  ipv4,
  ipv6,
  tcp,
  udp,
  vlanTag,
  MAC_A,
  MAC_B,
} from './frame-builder.js';
import { Network, Status } from './packet.js';

const IPV4_TCP = ipv4({ proto: 6, payload: tcp({ sport: 1234, dport: 80, flags: 0x012 }) });
const IPV6_UDP = ipv6({ nextHeader: 17, payload: udp(5353, 5353, [1, 2, 3]) });

test('Ethernet II with IPv4/TCP', () => {
  const { out, decoder } = decodeFrame(eth(0x0800, IPV4_TCP));
  assert.equal(out.status, Status.Ok);
  assert.equal(out.network, Network.IPv4);
  assert.equal(formatIPv4(eth(0x0800, IPV4_TCP), out.srcOff), '192.0.2.1');
  assert.equal(out.ipProto, 6);
  assert.equal(out.srcPort, 1234);
  assert.equal(out.dstPort, 80);
  assert.equal(out.tcpFlags, 0x012);
  assert.equal(out.macDstOff, 0);
  assert.equal(out.macSrcOff, 6);
  assert.equal(out.l3Off, 14);
  assert.equal(out.l4Off, 34);
  assert.deepEqual(
    [...decoder.decoded.subarray(0, decoder.decodedCount)],
    [LayerType.Ethernet, LayerType.IPv4, LayerType.TCP],
  );
});

test('Ethernet shorter than its header is truncated, never IP', () => {
  const frame = eth(0x0800, IPV4_TCP).subarray(0, 13);
  const { out, decoder } = decodeFrame(frame);
  assert.equal(out.status, Status.Truncated);
  assert.equal(out.network, Network.None);
  assert.equal(out.anomaly, Anomaly.EthTruncatedHeader);
  assert.equal(decoder.counters().byAnomaly['eth.truncated_header'], 1);
});

test('unknown EtherType is not an anomaly', () => {
  const { out } = decodeFrame(eth(0x88cc, [1, 2, 3, 4]));
  assert.equal(out.status, Status.Ok);
  assert.equal(out.network, Network.None);
});

test('stacked 802.1Q / 802.1ad / 0x9100 tags: the outer VLAN id is reported', () => {
  const frame = eth(0x88a8, cat(vlanTag(100, 0x8100), vlanTag(200, 0x9100), vlanTag(300, 0x86dd), IPV6_UDP));
  const { out, decoder } = decodeFrame(frame);
  assert.equal(out.vlan, 100);
  assert.equal(out.network, Network.IPv6);
  assert.equal(formatIPv6(frame, out.srcOff), '2001:db8::1');
  assert.equal(out.srcPort, 5353);
  assert.equal(decoder.decodedCount, 6);
});

test('a VLAN tag cut in half is truncated', () => {
  const frame = cat(eth(0x8100, []), [0x00]);
  const { out } = decodeFrame(frame);
  assert.equal(out.status, Status.Truncated);
  assert.equal(out.anomaly, Anomaly.VlanTruncatedHeader);
  assert.equal(out.vlan, -1);
});

test('802.3 length field: LLC/SNAP with OUI 0 carries an EtherType; the trailer is ignored', () => {
  const payload = cat([0xaa, 0xaa, 0x03, 0, 0, 0], be16(0x0800), IPV4_TCP);
  const frame = cat(MAC_A, MAC_B, be16(payload.length), payload, [0xde, 0xad]);
  const { out } = decodeFrame(frame);
  assert.equal(out.network, Network.IPv4);
  assert.equal(out.srcPort, 1234);
});

test('LLC SAP 0x06 is IP; a non-UI LLC frame and Cisco SNAP lead nowhere', () => {
  const ui = cat(MAC_A, MAC_B, be16(IPV4_TCP.length + 3), [0x06, 0x06, 0x03], IPV4_TCP);
  assert.equal(decodeFrame(ui).out.network, Network.IPv4);
  const disc = cat(MAC_A, MAC_B, be16(IPV4_TCP.length + 3), [0x06, 0x06, 0x43], IPV4_TCP);
  assert.equal(decodeFrame(disc).out.network, Network.None);
  const cdp = cat(
    MAC_A,
    MAC_B,
    be16(40),
    [0xaa, 0xaa, 0x03, 0, 0, 0x0c],
    be16(0x2000),
    new Array(32).fill(0),
  );
  assert.equal(decodeFrame(cdp).out.network, Network.None);
});

test('LLC header cut short', () => {
  const frame = cat(MAC_A, MAC_B, be16(10), [0xaa, 0xaa, 0x03, 0, 0]);
  const { out } = decodeFrame(frame);
  assert.equal(out.status, Status.Truncated);
  assert.equal(out.anomaly, Anomaly.LlcTruncatedHeader);
});

test('VN-Tag and PBB I-TAG', () => {
  const vn = eth(0x8926, cat(be32(0x80010002), be16(0x0800), IPV4_TCP));
  assert.equal(decodeFrame(vn).out.srcPort, 1234);
  const pbb = eth(0x88e7, cat(be32(0x00000005), MAC_B, MAC_A, be16(0x86dd), IPV6_UDP));
  const { out } = decodeFrame(pbb);
  assert.equal(out.network, Network.IPv6);
  assert.equal(out.macSrcOff, 6, 'outer MAC addresses are reported');
});

test('PPPoE session with IPv6 (0x0057) and IPv4 (0x0021, compressed protocol field)', () => {
  const v6 = eth(0x8864, cat([0x11, 0x00], be16(1), be16(IPV6_UDP.length + 2), be16(0x0057), IPV6_UDP));
  assert.equal(decodeFrame(v6).out.network, Network.IPv6);
  const v4 = eth(0x8864, cat([0x11, 0x00], be16(1), be16(IPV4_TCP.length + 1), [0x21], IPV4_TCP));
  assert.equal(decodeFrame(v4).out.srcPort, 1234);
  const lcp = eth(0x8864, cat([0x11, 0x00], be16(1), be16(6), be16(0xc021), [1, 1, 0, 4]));
  assert.equal(decodeFrame(lcp).out.network, Network.None);
});

test('MPLS label stack: bottom of stack, then the version nibble', () => {
  const labels = cat(be32((16 << 12) | 64), be32((17 << 12) | 0x100 | 64));
  const { out, decoder } = decodeFrame(eth(0x8847, cat(labels, IPV4_TCP)));
  assert.equal(out.network, Network.IPv4);
  assert.equal(decoder.decoded[1], LayerType.MPLS);
  const v6 = decodeFrame(eth(0x8847, cat(be32(0x100), IPV6_UDP))).out;
  assert.equal(v6.network, Network.IPv6);
});

test('MPLS pseudowire with control word carrying Ethernet', () => {
  const inner = eth(0x0800, IPV4_TCP);
  const frame = eth(0x8847, cat(be32((99 << 12) | 0x100 | 64), [0, 0, 0, 1], inner));
  // The decoder looks at the type field where plain Ethernet would have it first, then after a CW.
  const { out } = decodeFrame(frame);
  assert.equal(out.network, Network.IPv4);
  assert.equal(out.l3Off, 14 + 4 + 4 + 14);
});

test('an MPLS stack without bottom of stack is truncated', () => {
  const { out } = decodeFrame(eth(0x8847, cat(be32(16 << 12), be32(17 << 12))));
  assert.equal(out.status, Status.Truncated);
  assert.equal(out.anomaly, Anomaly.MplsTruncatedHeader);
});

test('an IPv4 EtherType over an IPv6 header is not IP', () => {
  const { out } = decodeFrame(eth(0x0800, IPV6_UDP));
  assert.equal(out.network, Network.None);
  assert.equal(out.status, Status.Malformed);
  assert.equal(out.anomaly, Anomaly.Ipv4BadVersion);
});

test('unknown link type', () => {
  const { out, decoder } = decodeFrame(eth(0x0800, IPV4_TCP), 147);
  assert.equal(out.status, Status.UnknownLinkType);
  assert.equal(decoder.counters().unknownLinkType, 1);
});
