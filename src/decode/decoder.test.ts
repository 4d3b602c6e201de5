import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ANOMALY_COUNT, ANOMALY_IS_TRUNCATION, ANOMALY_NAMES, Anomaly, anomalyName } from './anomalies.js';
import { PacketDecoder } from './decoder.js';
import { LinkType, firstLayerByLinkType } from './enums.js';
import { cat, decodeFrame, eth, hex, ipv4, tcp } from './frame-builder.js';
import { DecodedPacket, Network, Status } from './packet.js';

/**
 * Frames from the capture corpus (tshark's reading in the comment), as [link type, frame]. They cover the
 * encapsulations and header shapes the decoder must handle.
 */
const CORPUS_FRAMES: [number, string, string][] = [
  // ipv4-options #4: IHL 15 (timestamp option), TCP 0 → 2693
  [
    1,
    'ipv4-options',
    '080027191c78c412f5ff72e808004f000050000040004006ead80a00008a0a000006072710010203040a00008a0a00008a0000000000000000000000000000000000000000000000000000000a85000000001928c73a50140000b0590000',
  ],
  // ipv6-ext-headers-atomic-frag-http #13: atomic fragment header, TCP 59694 → 80
  [
    1,
    'ipv6-atomic-frag',
    'aa0004000a0400101895316a86dd60000000001c2c4020010db800010000000000000000000220010db80001000000000000000000010600000000000000e92e005069817905000000005002200068660000',
  ],
  // icmp-types-variety #13: source quench quoting TCP
  [
    1,
    'icmp-quoting-tcp',
    '30469a23fbfa080027d75be00800450000384863000040011dd20a0000070a00008a04000c36000000004500001c0c80000040065e490102030405060708000000000008efc1',
  ],
  // vlan-triple-tagged-http #1
  [
    1,
    'vlan-triple',
    '0010db88d2efc8bcc896d2a08100001e810000148100000a080045000040df8e400040066dd38d8ee405c096bb2be9d00050fe21323a00000000b002ffff3bc00000020405b4010303040101080a164add200000000004020000',
  ],
  // pppoe-ipv6-dhcpv6 #30: PPPoE session, IPv6 hop-by-hop, ICMPv6 143
  [
    1,
    'pppoe-ipv6',
    'cc050e880000ca010e880006886411000011004e00576e00000000240001fe80000000000000c8010efffe880008ff0200000000000000000000000000163a000502000001008f009a770000000104000000ff020000000000000000000000000002',
  ],
  // wifi-radiotap-dns-mdns #1: radiotap, QoS data, LLC/SNAP, IPv4/UDP DNS
  [
    127,
    'radiotap-dns',
    '000030006b081c00e1615656000000001000a4154001b6a3014e349740010100a4156c221f010700010000000000000088012c008a15149b5ae090724097b6f5442b03aaab8d10000600aaaa0300000008004500003fd68d00004011aea2ac119c4cd043dcdcf12a0035002bc5dfa72f010000010000000000000763617074697665056170706c6503636f6d00000100010312c6a7',
  ],
  // sll2-arp-icmp-icmpv6 #1: SLL2 + ICMP echo
  [
    276,
    'sll2-icmp',
    '080000000000000103040006000000000000000045000054af8c40004001071ac0000201c0000201080066b400080001e9bdf96200000000e24e0d0000000000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637',
  ],
  // null-loopback-ipv4-ipv6 #2: BSD NULL AF_INET, UDP
  [
    0,
    'null-udp',
    '020000004500002cc169000040115dc3ac100175ac1001ffd84921a4001817ae424a4e42020100000000000000000000',
  ],
  // vlan-mpls-mixed #1: MPLS, TCP SYN
  [
    1,
    'mpls-tcp',
    '003096e6fc3900309605283888470001ddff45c0002c00000000ff06a4e70a0102010a2200012af9001798320ffb0000000060021020a240000002040218',
  ],
  // ipv4-fragmented-tcp-syn-vlan #1: first fragment with 8 bytes of TCP
  [
    1,
    'vlan-tiny-frag',
    '0504030201000001020304058100000608004500001c00012000400654d6010101010202020230391f9000000001',
  ],
  // ipv6-options-misc #1 (prefix): hop-by-hop, destination options, routing, AH, OSPF
  [
    1,
    'ipv6-options',
    '333300000005c20168b3000186dd6e00000000680001fe800000000000000000000000000002ff0200000000000000000000000000053c000502000001002b000b010901010033020001000000002200000000000210000200000000000459040000000001000000002035482148b2435a23dcdd5536030100280202020200000001f17300000000000501000013000a0028020202020101010101010101',
  ],
  // icmpv6-errors-quoting-udp #5: neighbour solicitation
  [
    1,
    'icmpv6-ns',
    '0060970769ea0000860580da86dd6000000000203aff3ffe050700000001020086fffe0580da3ffe050700000001026097fffe0769ea8700952d000000003ffe050700000001026097fffe0769ea01010000860580da',
  ],
  // sll-tcp-handshake-nanosecond #1: SLL, TCP SYN with options
  [
    113,
    'sll-syn',
    '000402000000000000000000000008004500003c29a940004006db5f839bd7458974515eb64000502f842acb00000000a0026a4050c40000020405500402080a436a03620000000001030307',
  ],
  // icmp-port-unreachable-quoting-dns #1 (prefix)
  [
    1,
    'icmp-unreach-dns',
    '0019e3e75d23000bdb6358a60800450000b0281e000080018e77c0a80166c0a80101030303bb00000000450000a3371100004011bf81c0a80101c0a801660035e747008f76d298a4818000010001000400000673656375726503656434036e6574000001000100',
  ],
];

/** What tshark reports for the whole frames above: [network, ip_proto, src port, dst port]. */
const EXPECTED: Record<string, [Network, number, number, number]> = {
  'ipv4-options': [Network.IPv4, 6, 0, 2693],
  'ipv6-atomic-frag': [Network.IPv6, 6, 59694, 80],
  'icmp-quoting-tcp': [Network.IPv4, 1, -1, -1],
  'vlan-triple': [Network.IPv4, 6, 59856, 80],
  'pppoe-ipv6': [Network.IPv6, 58, -1, -1],
  'radiotap-dns': [Network.IPv4, 17, 61738, 53],
  'sll2-icmp': [Network.IPv4, 1, -1, -1],
  'null-udp': [Network.IPv4, 17, 55369, 8612],
  'mpls-tcp': [Network.IPv4, 6, 11001, 23],
  'vlan-tiny-frag': [Network.IPv4, 6, 12345, 8080],
  'ipv6-options': [Network.IPv6, 51, -1, -1],
  'icmpv6-ns': [Network.IPv6, 58, -1, -1],
  'sll-syn': [Network.IPv4, 6, 46656, 80],
  'icmp-unreach-dns': [Network.IPv4, 1, -1, -1],
};

const ADDR_LEN: Record<number, number> = { [Network.IPv4]: 4, [Network.IPv6]: 16 };

/** Everything the decoder reports must lie inside the bytes it was given. */
function assertInside(out: DecodedPacket, off: number, end: number, what: string): void {
  assert.ok(out.status <= Status.Malformed, `${what}: status ${out.status}`);
  const addr = ADDR_LEN[out.network];
  if (addr !== undefined) {
    assert.ok(out.srcOff >= off && out.srcOff + addr <= end, `${what}: src address outside the frame`);
    assert.ok(out.dstOff >= off && out.dstOff + addr <= end, `${what}: dst address outside the frame`);
  }
  if (out.srcPort >= 0) {
    assert.ok(out.l4Off >= off && out.l4Off + 4 <= end, `${what}: ports outside the captured bytes`);
  }
  if (out.tcpFlags >= 0) assert.ok(out.l4Off + 16 <= end, `${what}: TCP flags outside the captured bytes`);
  if (out.arpOpcode >= 0) assert.ok(out.l3Off + 8 <= end, `${what}: ARP opcode outside the captured bytes`);
  assert.ok(out.payloadOff <= out.payloadEnd, `${what}: payload reversed`);
  if (out.payloadEnd > 0)
    assert.ok(out.payloadOff >= off && out.payloadEnd <= end, `${what}: payload outside`);
}

/** The fields of a decode, with offsets made relative to the frame start. */
function snapshot(out: DecodedPacket, off: number): string {
  const rel = (x: number): number => (x >= 0 && x >= off ? x - off : x);
  return JSON.stringify([
    out.status,
    out.network,
    rel(out.srcOff),
    rel(out.dstOff),
    out.ipProto,
    out.srcPort,
    out.dstPort,
    out.tcpFlags,
    out.icmpType,
    out.icmpCode,
    out.arpOpcode,
    out.fragOffset,
    out.moreFragments,
    out.vlan,
    rel(out.payloadOff),
    rel(out.payloadEnd),
    rel(out.l3Off),
    rel(out.l4Off),
    out.anomaly,
  ]);
}

let seed = 0x2545f491;
function random(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
}

/**
 * Decodes `frame` twice, each time placed at an offset inside a larger buffer of different random bytes,
 * and requires the same result: a decoder that read outside [off, end) would see the difference.
 */
function decodeBoxed(
  decoder: PacketDecoder,
  frame: Uint8Array,
  linkType: number,
  wireLen: number,
  what: string,
) {
  const results: string[] = [];
  let last = new DecodedPacket();
  for (let round = 0; round < 2; round++) {
    const before = 1 + Math.floor(random() * 40);
    const buf = new Uint8Array(before + frame.length + 64);
    for (let i = 0; i < buf.length; i++) buf[i] = Math.floor(random() * 256);
    buf.set(frame, before);
    const out = new DecodedPacket();
    assert.doesNotThrow(
      () => decoder.decode(buf, before, before + frame.length, linkType, out, wireLen),
      what,
    );
    assertInside(out, before, before + frame.length, what);
    results.push(snapshot(out, before));
    last = out;
  }
  assert.equal(results[0], results[1], `${what}: result depends on bytes outside the frame`);
  return last;
}

test('the anomaly table: ids are 0..n-1, names are unique <proto>.<snake_case>', () => {
  const ids = Object.values(Anomaly);
  assert.deepEqual(
    ids,
    ids.map((_, i) => i),
  );
  assert.equal(ANOMALY_NAMES.length, ids.length);
  assert.equal(ANOMALY_COUNT, ids.length);
  assert.equal(new Set(ANOMALY_NAMES).size, ANOMALY_NAMES.length);
  for (const name of ANOMALY_NAMES.slice(1)) assert.match(name, /^[a-z0-9]+\.[a-z0-9]+(_[a-z0-9]+)*$/);
  assert.equal(anomalyName(Anomaly.TcpTruncatedHeader), 'tcp.truncated_header');
  assert.equal(ANOMALY_IS_TRUNCATION[Anomaly.TcpTruncatedHeader], 1);
  assert.equal(ANOMALY_IS_TRUNCATION[Anomaly.TcpBadHeaderLength], 0);
});

test('corpus frames decode as tshark reads them', () => {
  for (const [linkType, name, h] of CORPUS_FRAMES) {
    const frame = hex(h);
    const { out } = decodeFrame(frame, linkType, frame.length);
    const [network, proto, sport, dport] = EXPECTED[name]!;
    assert.deepEqual(
      [out.network, out.ipProto, out.srcPort, out.dstPort],
      [network, proto, sport, dport],
      name,
    );
  }
});

test('every prefix of every corpus frame: no throw, nothing reported beyond the captured bytes', () => {
  const decoder = new PacketDecoder();
  for (const [linkType, name, h] of CORPUS_FRAMES) {
    const frame = hex(h);
    for (let len = 0; len <= frame.length; len++) {
      decodeBoxed(decoder, frame.subarray(0, len), linkType, frame.length, `${name}[0,${len})`);
    }
  }
});

test('random bytes under every link type: no throw, nothing reported beyond the frame', () => {
  const decoder = new PacketDecoder();
  const linkTypes = Object.values(LinkType);
  const seeds = CORPUS_FRAMES.map(([, , h]) => hex(h));
  for (let i = 0; i < 6000; i++) {
    const linkType = linkTypes[i % linkTypes.length]!;
    let frame: Uint8Array;
    if (i % 2 === 0) {
      frame = new Uint8Array(Math.floor(random() * 96));
      for (let j = 0; j < frame.length; j++) frame[j] = Math.floor(random() * 256);
    } else {
      // A real frame with a few bytes flipped, under a possibly wrong link type.
      frame = seeds[Math.floor(random() * seeds.length)]!.slice();
      for (let k = 0; k < 3; k++)
        frame[Math.floor(random() * Math.min(frame.length, 80))] = Math.floor(random() * 256);
    }
    const wire = random() < 0.5 ? frame.length : frame.length + Math.floor(random() * 100);
    decodeBoxed(decoder, frame, linkType, wire, `random #${i} linktype ${linkType}`);
  }
});

test('every link type in the table has a first layer; others are unknown', () => {
  for (const lt of Object.values(LinkType)) assert.notEqual(firstLayerByLinkType[lt], 0, `link type ${lt}`);
  const { out } = decodeFrame(new Uint8Array(40), 0xffff);
  assert.equal(out.status, Status.UnknownLinkType);
});

test('counters: frames by status, anomalies by name, reset', () => {
  const decoder = new PacketDecoder();
  const out = new DecodedPacket();
  const good = eth(0x0800, ipv4({ proto: 6, payload: tcp() }));
  const bad = eth(0x0800, ipv4({ proto: 6, ihl: 2, payload: tcp() }));
  const cut = good.subarray(0, 20);
  for (const f of [good, bad, bad, cut]) decoder.decode(f, 0, f.length, 1, out, good.length);
  decoder.decode(good, 0, good.length, 9999, out);
  const c = decoder.counters();
  assert.equal(c.malformed, 2);
  assert.equal(c.truncated, 1);
  assert.equal(c.unknownLinkType, 1);
  assert.deepEqual(c.byAnomaly, { 'ipv4.bad_header_length': 2, 'ipv4.truncated_header': 1 });
  assert.equal(decoder.counts.malformed, 2);
  decoder.resetCounters();
  assert.deepEqual(decoder.counters(), { malformed: 0, truncated: 0, unknownLinkType: 0, byAnomaly: {} });
});

test('the decoder keeps no state between frames', () => {
  const decoder = new PacketDecoder();
  const out = new DecodedPacket();
  const vlan = cat(
    eth(0x8100, [0, 7, 0x08, 0x00]).subarray(0, 18),
    ipv4({ proto: 17, payload: [0, 53, 0, 53, 0, 8, 0, 0] }),
  );
  decoder.decode(vlan, 0, vlan.length, 1, out);
  assert.equal(out.vlan, 7);
  const plain = eth(0x0806, new Uint8Array(28));
  decoder.decode(plain, 0, plain.length, 1, out);
  assert.equal(out.vlan, -1);
  assert.equal(out.network, Network.ARP);
  assert.equal(out.srcPort, -1);
  assert.equal(out.anomaly, Anomaly.None);
});
