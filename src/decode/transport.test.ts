import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Anomaly } from './anomalies.js';
import { be16, cat, decodeFrame, eth, icmp, ipv4, ipv6, tcp, udp, MAC_A } from './frame-builder.js';
import { Network, Status } from './packet.js';

const v4 = (proto: number, payload: Uint8Array): Uint8Array => eth(0x0800, ipv4({ proto, payload }));

test('TCP: ports, all 12 flag bits, payload after the options', () => {
  const seg = tcp({ sport: 443, dport: 50000, flags: 0x1d2, dataOffset: 8, payload: [9, 9, 9] });
  const { out } = decodeFrame(v4(6, seg));
  assert.equal(out.srcPort, 443);
  assert.equal(out.dstPort, 50000);
  assert.equal(out.tcpFlags, 0x1d2);
  assert.equal(out.payloadOff, 14 + 20 + 32);
  assert.equal(out.payloadEnd - out.payloadOff, 3);
});

test('TCP cut short: ports from 4 bytes, flags only once the window is there (16 bytes)', () => {
  const frame = v4(6, tcp({ sport: 1, dport: 2, flags: 0x010 }));
  const at = (n: number) => decodeFrame(frame.subarray(0, 34 + n), 1, frame.length).out;
  assert.equal(at(3).srcPort, -1);
  assert.equal(at(3).network, Network.IPv4);
  assert.equal(at(4).srcPort, 1);
  assert.equal(at(15).tcpFlags, -1);
  assert.equal(at(16).tcpFlags, 0x010);
  assert.equal(at(16).status, Status.Truncated);
  assert.equal(at(16).anomaly, Anomaly.Ipv4TruncatedPayload);
});

test('TCP data offset below 5: ports but no flags; beyond the segment: flags, malformed', () => {
  const small = decodeFrame(v4(6, tcp({ flags: 0x002, dataOffset: 4 }))).out;
  assert.equal(small.srcPort, 40000);
  assert.equal(small.tcpFlags, -1);
  assert.equal(small.anomaly, Anomaly.TcpBadHeaderLength);
  const bigFrame = v4(6, tcp({ flags: 0x002, dataOffset: 5 })).map((x, i) => (i === 46 ? 0xf0 : x));
  const big = decodeFrame(bigFrame, 1, bigFrame.length).out;
  assert.equal(big.tcpFlags, 0x002);
  assert.equal(big.status, Status.Malformed);
  assert.equal(big.payloadEnd - big.payloadOff, 0);
});

test('UDP: the length field bounds the payload; a length past the IP payload is malformed', () => {
  const ok = decodeFrame(v4(17, udp(53, 1024, [1, 2, 3, 4]))).out;
  assert.equal(ok.srcPort, 53);
  assert.equal(ok.payloadEnd - ok.payloadOff, 4);
  const badFrame = v4(17, udp(53, 1024, [1, 2, 3, 4], 400));
  const bad = decodeFrame(badFrame, 1, badFrame.length).out;
  assert.equal(bad.srcPort, 53);
  assert.equal(bad.anomaly, Anomaly.UdpBadLength);
  const tiny = decodeFrame(v4(17, udp(53, 1024, [], 3))).out;
  assert.equal(tiny.anomaly, Anomaly.UdpBadLength);
  const cut = decodeFrame(v4(17, udp(53, 1024)).subarray(0, 34 + 3), 1, 100);
  assert.equal(cut.out.srcPort, -1);
  assert.equal(cut.out.anomaly, Anomaly.Ipv4TruncatedPayload, 'the first anomaly met');
  assert.equal(cut.decoder.counters().byAnomaly['udp.truncated_header'], 1);
});

test('an ICMP error quoting TCP: ICMP type/code, never the quoted ports', () => {
  const quoted = ipv4({ proto: 6, payload: tcp({ sport: 25, dport: 6000 }).subarray(0, 8) });
  const frame = v4(1, icmp(3, 3, [0, 0, 0, 0], quoted));
  const { out } = decodeFrame(frame);
  assert.equal(out.ipProto, 1);
  assert.equal(out.icmpType, 3);
  assert.equal(out.icmpCode, 3);
  assert.equal(out.srcPort, -1);
  assert.equal(out.tcpFlags, -1);
  assert.equal(out.payloadOff, 14 + 20 + 8, 'the quoted packet is the ICMP payload');
});

test('ICMP needs 6 bytes for its type (as Wireshark reads it); ICMPv6 shows the type from 1 byte', () => {
  const frame = v4(1, icmp(8, 0, [0, 1, 0, 2]));
  assert.equal(decodeFrame(frame.subarray(0, 34 + 5), 1, frame.length).out.icmpType, -1);
  assert.equal(decodeFrame(frame.subarray(0, 34 + 6), 1, frame.length).out.icmpType, 8);
  const v6 = eth(0x86dd, ipv6({ nextHeader: 58, payload: icmp(128, 0) }));
  const one = decodeFrame(v6.subarray(0, 14 + 41), 1, v6.length).out;
  assert.equal(one.icmpType, 128);
  assert.equal(one.icmpCode, -1);
});

test('ARP: request opcode; short header; lengths beyond the frame keep the opcode', () => {
  const arp = [0, 1, 8, 0, 6, 4, 0, 1, ...MAC_A, 192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 192, 0, 2, 2];
  const { out } = decodeFrame(eth(0x0806, arp));
  assert.equal(out.network, Network.ARP);
  assert.equal(out.arpOpcode, 1);
  assert.equal(out.srcPort, -1);
  const short = decodeFrame(eth(0x0806, arp.slice(0, 7)), 1, 14 + 7).out;
  assert.equal(short.network, Network.ARP);
  assert.equal(short.arpOpcode, -1);
  assert.equal(short.anomaly, Anomaly.ArpTruncatedHeader);
  const bogus = decodeFrame(eth(0x0806, cat([0, 1, 8, 0, 0x86, 4], be16(2), arp.slice(8))), 1, 60).out;
  assert.equal(bogus.arpOpcode, 2);
  assert.equal(bogus.status, Status.Malformed);
  const rarp = decodeFrame(eth(0x8035, cat(arp.slice(0, 6), be16(3), arp.slice(8)))).out;
  assert.equal(rarp.network, Network.ARP);
  assert.equal(rarp.arpOpcode, 3);
});
