import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIPv4 } from '../core/addr.js';
import { Anomaly } from './anomalies.js';
import { cat, decodeFrame, eth, icmp, ipv4, tcp, udp } from './frame-builder.js';
import { Network, Status } from './packet.js';

const TCP = tcp({ sport: 1234, dport: 443, flags: 0x018, payload: [1, 2, 3, 4] });

test('IPv4 with options: ports after the options, payload bounded by the total length', () => {
  const ip = ipv4({ proto: 6, options: [0x94, 0x04, 0, 0], payload: TCP });
  const frame = eth(0x0800, cat(ip, [0, 0, 0, 0, 0, 0])); // Ethernet padding after the datagram
  const { out } = decodeFrame(frame);
  assert.equal(out.status, Status.Ok);
  assert.equal(out.srcPort, 1234);
  assert.equal(out.l4Off, 14 + 24);
  assert.equal(out.payloadEnd - out.payloadOff, 4);
  assert.equal(out.payloadEnd, 14 + ip.length);
});

test('a loose/strict source route: the destination is the last hop of the route', () => {
  const ssrr = [0x01, 0x89, 0x07, 0x04, 10, 9, 8, 7]; // NOP, SSRR len 7 ptr 4, one address
  const frame = eth(0x0800, ipv4({ proto: 1, options: ssrr, payload: icmp(8, 0) }));
  const { out } = decodeFrame(frame);
  assert.equal(formatIPv4(frame, out.dstOff), '10.9.8.7');
  assert.equal(out.icmpType, 8);
  // A pointer that is not a multiple of 4 makes Wireshark (and us) keep the header's destination.
  const bad = eth(
    0x0800,
    ipv4({ proto: 1, options: [0x01, 0x89, 0x07, 0x05, 10, 9, 8, 7], payload: icmp(8, 0) }),
  );
  assert.equal(formatIPv4(bad, decodeFrame(bad).out.dstOff), '198.51.100.2');
});

test('IHL below 5 is malformed: no addresses', () => {
  const { out } = decodeFrame(eth(0x0800, ipv4({ proto: 6, ihl: 4, payload: TCP })));
  assert.equal(out.network, Network.None);
  assert.equal(out.status, Status.Malformed);
  assert.equal(out.anomaly, Anomaly.Ipv4BadHeaderLength);
});

test('total length below the header length is malformed', () => {
  const { out } = decodeFrame(eth(0x0800, ipv4({ proto: 6, totalLength: 11, payload: TCP })));
  assert.equal(out.network, Network.None);
  assert.equal(out.anomaly, Anomaly.Ipv4BadTotalLength);
});

test('total length 0 is TCP segmentation offload: the datagram runs to the end of the frame', () => {
  const { out } = decodeFrame(eth(0x0800, ipv4({ proto: 6, totalLength: 0, payload: TCP })));
  assert.equal(out.status, Status.Ok);
  assert.equal(out.network, Network.IPv4);
  assert.equal(out.srcPort, 1234);
});

test('a header cut by the capture has no addresses; options cut keep the addresses', () => {
  const frame = eth(0x0800, ipv4({ proto: 6, payload: TCP }));
  const short = decodeFrame(frame.subarray(0, 14 + 19), 1, frame.length).out;
  assert.equal(short.network, Network.None);
  assert.equal(short.status, Status.Truncated);
  assert.equal(short.anomaly, Anomaly.Ipv4TruncatedHeader);

  const withOpts = eth(0x0800, ipv4({ proto: 6, options: [1, 1, 1, 1, 1, 1, 1, 0], payload: TCP }));
  const cut = decodeFrame(withOpts.subarray(0, 14 + 24), 1, withOpts.length).out;
  assert.equal(cut.network, Network.IPv4);
  assert.equal(cut.ipProto, 6);
  assert.equal(cut.srcPort, -1);
  assert.equal(cut.status, Status.Truncated);
});

test('snaplen cut inside the payload: truncated with wire length, malformed without room on the wire', () => {
  const frame = eth(0x0800, ipv4({ proto: 17, payload: udp(53, 53, new Array(100).fill(0)) }));
  const cut = frame.subarray(0, 60);
  const snap = decodeFrame(cut, 1, frame.length).out;
  assert.equal(snap.status, Status.Truncated);
  assert.equal(snap.anomaly, Anomaly.Ipv4TruncatedPayload);
  assert.equal(snap.srcPort, 53);
  const lying = decodeFrame(cut, 1, cut.length).out;
  assert.equal(lying.status, Status.Malformed);
  assert.equal(lying.anomaly, Anomaly.Ipv4BadTotalLength);
});

test('fragments: only the first fragment has ports', () => {
  const first = decodeFrame(
    eth(
      0x0800,
      ipv4({ proto: 17, moreFragments: true, payload: udp(5060, 5060, new Array(64).fill(7), 1400) }),
    ),
  ).out;
  assert.equal(first.srcPort, 5060);
  assert.equal(first.moreFragments, true);
  assert.equal(first.status, Status.Ok, 'a first fragment shorter than the UDP length is normal');
  const later = decodeFrame(
    eth(0x0800, ipv4({ proto: 17, fragOffset: 1480, payload: udp(1, 2, [3, 4]) })),
  ).out;
  assert.equal(later.ipProto, 17);
  assert.equal(later.fragOffset, 1480);
  assert.equal(later.srcPort, -1);
  assert.equal(later.l4Off, 34, 'the fragment data starts after the IP header');
});

test('a first fragment too short for a whole TCP header has ports but no flags', () => {
  const frag = ipv4({ proto: 6, moreFragments: true, payload: TCP.subarray(0, 8) });
  const { out } = decodeFrame(eth(0x0800, frag));
  assert.equal(out.srcPort, 1234);
  assert.equal(out.dstPort, 443);
  assert.equal(out.tcpFlags, -1);
});

test('IP protocols without a decoded transport (GRE, ESP, IP-in-IP) have no ports', () => {
  for (const proto of [47, 50, 4, 41, 132]) {
    const { out } = decodeFrame(eth(0x0800, ipv4({ proto, payload: TCP })));
    assert.equal(out.ipProto, proto);
    assert.equal(out.srcPort, -1);
    assert.equal(out.l4Off, 34);
  }
});
