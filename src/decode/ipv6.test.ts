import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIPv6 } from '../core/addr.js';
import { Anomaly } from './anomalies.js';
import {
  be16,
  be32,
  cat,
  decodeFrame,
  eth,
  hex,
  icmp,
  ipv6,
  optionsHeader,
  tcp,
  udp,
} from './frame-builder.js';
import { Network, Status } from './packet.js';

const TCP = tcp({ sport: 36951, dport: 80, flags: 0x002 });
const fragment = (next: number, offset: number, more: boolean): number[] => [
  next,
  0,
  ...be16(offset | (more ? 1 : 0)),
  ...be32(0xabcd),
];
const routing = (next: number): number[] => [next, 0, 0, 0, 0, 0, 0, 0];

/** Hop-by-hop → routing → destination options → fragment (atomic) → TCP. */
const CHAIN = cat(optionsHeader(43), routing(60), optionsHeader(44), fragment(6, 0, false), TCP);

test('the extension-header chain is walked to the upper-layer protocol', () => {
  const frame = eth(0x86dd, ipv6({ nextHeader: 0, payload: CHAIN }));
  const { out } = decodeFrame(frame);
  assert.equal(out.status, Status.Ok);
  assert.equal(out.network, Network.IPv6);
  assert.equal(formatIPv6(frame, out.srcOff), '2001:db8::1');
  assert.equal(formatIPv6(frame, out.dstOff), '2001:db8::2');
  assert.equal(out.ipProto, 6);
  assert.equal(out.srcPort, 36951);
  assert.equal(out.l4Off, 14 + 40 + 32);
});

test('a chain cut by the capture reports the last next-header value read', () => {
  const frame = eth(0x86dd, ipv6({ nextHeader: 0, payload: CHAIN }));
  const cases: [number, number][] = [
    [14 + 40 + 1, 0], // one byte of hop-by-hop: its next header is not read yet
    [14 + 40 + 2, 43], // hop-by-hop next header read, routing header missing
    [14 + 40 + 9, 60], // routing header: the first byte is enough for its next header
    [14 + 40 + 20, 44], // destination options read; fragment header needs all 8 bytes
    [14 + 40 + 31, 44],
    [14 + 40 + 32, 6], // chain complete, TCP header missing
  ];
  for (const [len, proto] of cases) {
    const { out } = decodeFrame(frame.subarray(0, len), 1, frame.length);
    assert.equal(out.network, Network.IPv6, `len ${len}`);
    assert.equal(out.ipProto, proto, `len ${len}`);
    assert.equal(out.srcPort, -1, `len ${len}`);
    assert.equal(out.status, Status.Truncated, `len ${len}`);
  }
});

test('an extension header longer than the payload length is malformed', () => {
  const hbh = [6, 3, 1, 4, 0, 0, 0, 0]; // says 32 bytes
  const { out } = decodeFrame(eth(0x86dd, ipv6({ nextHeader: 0, payloadLength: 8, payload: cat(hbh, TCP) })));
  assert.equal(out.network, Network.IPv6);
  assert.equal(out.ipProto, 6);
  assert.equal(out.srcPort, -1);
  assert.equal(out.anomaly, Anomaly.Ipv6BadExtHeaderLength);
});

test('an option running past the packet stops the walk', () => {
  const hbh = [58, 0, 0x05, 0x45, 0, 0, 0, 0]; // router alert with length 69
  const { out } = decodeFrame(eth(0x86dd, ipv6({ nextHeader: 0, payload: cat(hbh, icmp(143, 0)) })));
  assert.equal(out.ipProto, 58);
  assert.equal(out.icmpType, -1);
  assert.equal(out.anomaly, Anomaly.Ipv6BadOptionLength);
});

test('fragments: the first has ports, a later one does not', () => {
  const first = decodeFrame(
    eth(0x86dd, ipv6({ nextHeader: 44, payload: cat(fragment(17, 0, true), udp(53, 5000, [1], 1200)) })),
  ).out;
  assert.equal(first.ipProto, 17);
  assert.equal(first.srcPort, 53);
  assert.equal(first.moreFragments, true);
  const later = decodeFrame(
    eth(0x86dd, ipv6({ nextHeader: 44, payload: cat(fragment(17, 1448, false), [1, 2, 3, 4, 5, 6, 7, 8]) })),
  ).out;
  assert.equal(later.ipProto, 17);
  assert.equal(later.fragOffset, 1448);
  assert.equal(later.srcPort, -1);
});

test('AH and ESP are the protocol, not skipped', () => {
  const ah = decodeFrame(
    eth(0x86dd, ipv6({ nextHeader: 51, payload: cat([6, 4, 0, 0], new Array(20).fill(0), TCP) })),
  ).out;
  assert.equal(ah.ipProto, 51);
  assert.equal(ah.srcPort, -1);
  const esp = decodeFrame(
    eth(0x86dd, ipv6({ nextHeader: 60, payload: cat(optionsHeader(50), be32(0x100), be32(1)) })),
  ).out;
  assert.equal(esp.ipProto, 50);
});

test('payload length 0: a jumbogram with a hop-by-hop jumbo option, else an empty payload', () => {
  const jumboOpt = [6, 0, 0xc2, 4, ...be32(TCP.length + 8)];
  const jumbo = decodeFrame(
    eth(0x86dd, ipv6({ nextHeader: 0, payloadLength: 0, payload: cat(jumboOpt, TCP) })),
  ).out;
  assert.equal(jumbo.srcPort, 36951);
  assert.equal(jumbo.status, Status.Ok);
  const tso = decodeFrame(eth(0x86dd, ipv6({ nextHeader: 6, payloadLength: 0, payload: TCP }))).out;
  assert.equal(tso.network, Network.IPv6);
  assert.equal(tso.ipProto, 6);
  assert.equal(tso.srcPort, -1);
  assert.equal(tso.anomaly, Anomaly.Ipv6ZeroPayloadLength);
});

test('bad version and a header cut short', () => {
  const v4 = ipv6({ nextHeader: 6, payload: TCP });
  v4[0] = 0x45;
  assert.equal(decodeFrame(eth(0x86dd, v4)).out.anomaly, Anomaly.Ipv6BadVersion);
  const short = decodeFrame(
    eth(0x86dd, ipv6({ nextHeader: 6, payload: TCP })).subarray(0, 14 + 39),
    1,
    200,
  ).out;
  assert.equal(short.network, Network.None);
  assert.equal(short.anomaly, Anomaly.Ipv6TruncatedHeader);
});

test('IPv6 addresses print as tshark prints them', () => {
  const frame = eth(
    0x86dd,
    ipv6({
      nextHeader: 59,
      src: hex('00000000000000000000000008000001'),
      dst: hex('00000000000000000000ffffc0000201'),
    }),
  );
  const { out } = decodeFrame(frame);
  assert.equal(formatIPv6(frame, out.srcOff), '::8.0.0.1');
  assert.equal(formatIPv6(frame, out.dstOff), '::ffff:192.0.2.1');
});
