import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Anomaly } from './anomalies.js';
import { LinkType } from './enums.js';
import {
  be16,
  be32,
  cat,
  decodeFrame,
  ipv4,
  ipv6,
  le16,
  le32,
  tcp,
  udp,
  MAC_A,
  MAC_B,
} from './frame-builder.js';
import { Network, Status } from './packet.js';

const IP4 = ipv4({ proto: 6, payload: tcp({ sport: 1111, dport: 22 }) });
const IP6 = ipv6({ nextHeader: 17, payload: udp(547, 546, [0, 0]) });
const SNAP_IP4 = cat([0xaa, 0xaa, 0x03, 0, 0, 0], be16(0x0800), IP4);

test('Linux cooked v1 (SLL): EtherType protocol, LLC protocol, short header', () => {
  const sll = (proto: number, haType = 1) => cat(be16(0), be16(haType), be16(6), MAC_A, [0, 0], be16(proto));
  assert.equal(decodeFrame(cat(sll(0x0800), IP4), LinkType.LINUX_SLL).out.srcPort, 1111);
  assert.equal(decodeFrame(cat(sll(0x0004), SNAP_IP4), LinkType.LINUX_SLL).out.network, Network.IPv4);
  assert.equal(
    decodeFrame(cat(sll(0x86dd, 778), IP6), LinkType.LINUX_SLL).out.network,
    Network.IPv6,
    'GRE device',
  );
  assert.equal(
    decodeFrame(cat(sll(0x0800, 824), IP4), LinkType.LINUX_SLL).out.network,
    Network.None,
    'netlink',
  );
  const short = decodeFrame(sll(0x0800).subarray(0, 15), LinkType.LINUX_SLL).out;
  assert.equal(short.anomaly, Anomaly.SllTruncatedHeader);
});

test('Linux cooked v2 (SLL2)', () => {
  const sll2 = cat(be16(0x86dd), [0, 0], be32(3), be16(1), [0, 6], MAC_A, [0, 0]);
  const { out } = decodeFrame(cat(sll2, IP6), LinkType.LINUX_SLL2);
  assert.equal(out.network, Network.IPv6);
  assert.equal(out.srcPort, 547);
  assert.equal(
    decodeFrame(sll2.subarray(0, 19), LinkType.LINUX_SLL2).out.anomaly,
    Anomaly.Sll2TruncatedHeader,
  );
});

test('BSD NULL: AF value in either byte order, 16-bit IRIX form, EtherType form, PPP', () => {
  const cases: [number[], Network][] = [
    [le32(2), Network.IPv4],
    [be32(2), Network.IPv4],
    [le32(30), Network.IPv6],
    [be32(24), Network.IPv6],
    [le32(28), Network.IPv6],
    [[...be16(2), 0, 0], Network.IPv4],
    [le32(0x0800), Network.IPv4],
    [be32(0x86dd), Network.IPv6],
    [le32(10), Network.None], // Linux's AF_INET6: not a BSD value, not decoded (as Wireshark)
  ];
  for (const [hdr, net] of cases) {
    const payload = net === Network.IPv6 ? IP6 : IP4;
    assert.equal(decodeFrame(cat(hdr, payload), LinkType.NULL).out.network, net, `header ${hdr.join(',')}`);
  }
  assert.equal(decodeFrame(cat([0xff, 0x03], be16(0x0021), IP4), LinkType.NULL).out.srcPort, 1111);
  assert.equal(
    decodeFrame(new Uint8Array([2, 0, 0]), LinkType.NULL).out.anomaly,
    Anomaly.NullTruncatedHeader,
  );
});

test('OpenBSD LOOP: AF value in network byte order', () => {
  assert.equal(decodeFrame(cat(be32(2), IP4), LinkType.LOOP).out.network, Network.IPv4);
  assert.equal(decodeFrame(cat(be32(24), IP6), LinkType.LOOP).out.network, Network.IPv6);
  assert.equal(decodeFrame(cat(le32(2), IP4), LinkType.LOOP).out.network, Network.None);
});

test('raw IP link types: 101/12/14 by version nibble, 228 IPv4 only, 229 IPv6 only', () => {
  for (const lt of [LinkType.RAW, LinkType.RAW_12, LinkType.RAW_14]) {
    assert.equal(decodeFrame(IP4, lt).out.network, Network.IPv4);
    assert.equal(decodeFrame(IP6, lt).out.network, Network.IPv6);
  }
  assert.equal(decodeFrame(IP4, LinkType.IPV4).out.srcPort, 1111);
  assert.equal(decodeFrame(IP6, LinkType.IPV4).out.network, Network.None);
  assert.equal(decodeFrame(IP6, LinkType.IPV6).out.srcPort, 547);
  assert.equal(decodeFrame(new Uint8Array([0x45]), LinkType.RAW).out.anomaly, Anomaly.RawTruncatedHeader);
  assert.equal(decodeFrame(new Uint8Array(30).fill(0x11), LinkType.RAW).out.network, Network.None);
});

test('PPP link: HDLC framing optional, protocol field compression', () => {
  assert.equal(decodeFrame(cat([0xff, 0x03], be16(0x0021), IP4), LinkType.PPP).out.network, Network.IPv4);
  assert.equal(decodeFrame(cat(be16(0x0057), IP6), LinkType.PPP).out.network, Network.IPv6);
  assert.equal(decodeFrame(cat([0xff, 0x03, 0x21], IP4), LinkType.PPP).out.srcPort, 1111);
  assert.equal(decodeFrame(cat([0xff, 0x03], be16(0xc021), [1, 2]), LinkType.PPP).out.network, Network.None);
  assert.equal(
    decodeFrame(new Uint8Array([0xff, 0x03, 0x00]), LinkType.PPP).out.anomaly,
    Anomaly.PppTruncatedHeader,
  );
});

test('Cisco HDLC', () => {
  assert.equal(decodeFrame(cat([0x0f, 0x00], be16(0x0800), IP4), LinkType.C_HDLC).out.srcPort, 1111);
});

test('NFLOG: payload TLV, host-order TLV headers, hardware protocol over family', () => {
  const tlv = (type: number, value: number[] | Uint8Array): Uint8Array => {
    const body = cat(le16(4 + value.length), le16(type), value);
    return cat(body, new Array((4 - (body.length % 4)) % 4).fill(0));
  };
  const prefix = tlv(10, [0x61, 0x62, 0]);
  const v4 = cat([2, 0, 0, 0], prefix, tlv(9, IP4));
  assert.equal(decodeFrame(v4, LinkType.NFLOG).out.srcPort, 1111);
  const v6 = cat([10, 0, 0, 0], tlv(1, [...be16(0x86dd), 0, 0]), tlv(9, IP6));
  assert.equal(decodeFrame(v6, LinkType.NFLOG).out.network, Network.IPv6);
  const badTlv = cat([2, 0, 0, 0], le16(2), le16(9), IP4);
  const bad = decodeFrame(badTlv, LinkType.NFLOG).out;
  assert.equal(bad.network, Network.None);
  assert.equal(bad.anomaly, Anomaly.NflogBadTlvLength);
  const noPayload = decodeFrame(cat([2, 0, 0, 0], prefix), LinkType.NFLOG).out;
  assert.equal(noPayload.status, Status.Ok);
  assert.equal(noPayload.network, Network.None);
});

/** An 802.11 data frame header: FC, duration, three addresses, sequence control (+ address 4, + QoS). */
function dot11(fc0: number, flags: number, qos = false): Uint8Array {
  const parts: (number[] | Uint8Array)[] = [
    [fc0, flags, 0, 0],
    MAC_A,
    MAC_B,
    [2, 0, 0, 0, 0, 0x0c],
    [0x10, 0],
  ];
  if ((flags & 3) === 3) parts.push([2, 0, 0, 0, 0, 0x0d]);
  if (qos) parts.push([0, 0]);
  return cat(...parts);
}

test('802.11 data frames through LLC/SNAP: plain, QoS with 4 addresses, protected, fragments', () => {
  const plain = decodeFrame(cat(dot11(0x08, 0x01), SNAP_IP4), LinkType.IEEE802_11).out;
  assert.equal(plain.srcPort, 1111);
  assert.equal(plain.macSrcOff, 10, 'to-DS frame: source is address 2');
  const wds = decodeFrame(cat(dot11(0x88, 0x03, true), SNAP_IP4), LinkType.IEEE802_11).out;
  assert.equal(wds.network, Network.IPv4);
  assert.equal(wds.macSrcOff, 24, 'WDS frame: source is address 4');
  assert.equal(decodeFrame(cat(dot11(0x08, 0x41), SNAP_IP4), LinkType.IEEE802_11).out.network, Network.None);
  assert.equal(decodeFrame(cat(dot11(0x08, 0x05), SNAP_IP4), LinkType.IEEE802_11).out.network, Network.None);
  assert.equal(
    decodeFrame(cat(dot11(0xc8, 0x01, true)), LinkType.IEEE802_11).out.network,
    Network.None,
    'QoS null',
  );
  assert.equal(decodeFrame(cat([0x80, 0], new Array(30).fill(0)), LinkType.IEEE802_11).out.status, Status.Ok);
  const short = decodeFrame(dot11(0x08, 0x01).subarray(0, 20), LinkType.IEEE802_11).out;
  assert.equal(short.anomaly, Anomaly.WlanTruncatedHeader);
});

test('radiotap: header length, FCS at the end, data padding', () => {
  const rt = (flags: number) => cat([0, 0], le16(10), le32(0x2), [flags, 0]);
  const frame = cat(rt(0x10), dot11(0x08, 0x02), SNAP_IP4, [0xde, 0xad, 0xbe, 0xef]);
  const { out } = decodeFrame(frame, LinkType.IEEE802_11_RADIOTAP, frame.length);
  assert.equal(out.srcPort, 1111);
  const padded = cat(rt(0x20), dot11(0x88, 0x02, true), [0, 0], SNAP_IP4); // 26-byte header padded to 28
  assert.equal(decodeFrame(padded, LinkType.IEEE802_11_RADIOTAP).out.network, Network.IPv4);
  const bad = cat([0, 0], le16(4), le32(0));
  assert.equal(decodeFrame(bad, LinkType.IEEE802_11_RADIOTAP).out.anomaly, Anomaly.RadiotapBadHeaderLength);
});
