import assert from 'node:assert/strict';
import { test } from 'node:test';
import { be16, be32, cat, type Bytes } from '../../decode/frame-builder.js';
import { AppHarness } from '../app-harness.js';
import { DnsAnomaly } from './anomalies.js';
import { DnsMessage, parseDnsMessage } from './parser.js';

const name = (n: string): number[] =>
  n === '' ? [0] : [...n.split('.').flatMap((l) => [l.length, ...Buffer.from(l, 'latin1')]), 0];
const header = (id: number, flags: number, qd: number, an: number): number[] => [
  ...be16(id),
  ...be16(flags),
  ...be16(qd),
  ...be16(an),
  0,
  0,
  0,
  0,
];
const question = (n: Bytes, type: number, cls = 1): Uint8Array => cat(n, be16(type), be16(cls));
const rr = (owner: Bytes, type: number, ttl: number, rdata: Bytes): Uint8Array =>
  cat(owner, be16(type), be16(1), be32(ttl), be16(rdata.length), rdata);
/** A pointer to offset `o` of the message. */
const ptr = (o: number): number[] => [0xc0 | (o >> 8), o & 0xff];

const QUERY = cat(header(0x1234, 0x0100, 1, 0), question(name('www.example.com'), 1));
/** www.example.com: CNAME web.example.com (compressed), A, AAAA, MX, TXT, PTR. Question name at 12. */
const RESPONSE = cat(
  header(0x1234, 0x8180, 1, 6),
  question(name('www.example.com'), 1),
  rr(ptr(12), 5, 300, [3, ...Buffer.from('web'), ...ptr(16)]),
  rr(ptr(16), 1, 60, [192, 0, 2, 7]),
  rr(ptr(16), 28, 61, [0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 1]),
  rr(ptr(16), 15, 62, [0, 10, 4, ...Buffer.from('mail'), ...ptr(16)]),
  rr(ptr(16), 16, 63, [5, ...Buffer.from('hello'), 3, ...Buffer.from('abc')]),
  rr(ptr(16), 12, 64, name('host.example')),
);

test('a response with compressed names: every answer type and TTL', () => {
  const m = new DnsMessage();
  assert.equal(parseDnsMessage(RESPONSE, 0, RESPONSE.length, m), true);
  assert.equal(m.anomalies, 0);
  assert.equal(m.id, 0x1234);
  assert.equal(m.qr, true);
  assert.equal(m.rd && m.ra, true);
  assert.equal(m.qname, 'www.example.com');
  assert.deepEqual(m.answers, [
    'web.example.com',
    '192.0.2.7',
    '2001:db8::1',
    'mail.example.com',
    'TXT 8',
    'host.example',
  ]);
  assert.deepEqual(m.ttls, [300, 60, 61, 62, 63, 64]);
});

test('pointer loops, forward pointers and reserved label types end the walk with an anomaly', () => {
  const m = new DnsMessage();
  // The question name is a pointer to itself, then one to a later offset, then a 0x40 label type.
  for (const [qname, anomaly] of [
    [ptr(12), DnsAnomaly.PointerLoop],
    [ptr(20), DnsAnomaly.PointerLoop],
    [[3, 0x61, 0x62, 0x63, ...ptr(12)], DnsAnomaly.PointerLoop],
    [[0x40, 0], DnsAnomaly.BadLabelType],
  ] as const) {
    const msg = cat(header(1, 0x8180, 1, 0), qname, be16(1), be16(1), new Array<number>(16).fill(0));
    assert.equal(parseDnsMessage(msg, 0, msg.length, m), true);
    assert.equal(m.hasQuestion, false);
    assert.ok((m.anomalies & (1 << anomaly)) !== 0, `anomaly ${anomaly}`);
  }
  // A name longer than 255 bytes (five 63-byte labels).
  const long = cat(
    header(1, 0, 1, 0),
    ...Array.from({ length: 5 }, () => [63, ...new Array<number>(63).fill(0x61)]),
    [0],
    be16(1),
    be16(1),
  );
  assert.equal(parseDnsMessage(long, 0, long.length, m), true);
  assert.ok((m.anomalies & (1 << DnsAnomaly.NameTooLong)) !== 0);
});

test('every truncation and random bytes never throw', () => {
  const m = new DnsMessage();
  for (let n = 0; n <= RESPONSE.length; n++) parseDnsMessage(RESPONSE, 0, n, m);
  assert.equal(parseDnsMessage(RESPONSE, 0, 11, m), false);
  let seed = 1;
  const rand = (): number => ((seed = Math.imul(seed, 48271) % 0x7fffffff) & 0xffff) / 0x10000;
  for (let i = 0; i < 20_000; i++) {
    const b = new Uint8Array(RESPONSE);
    for (let k = 0; k < 4; k++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
    parseDnsMessage(b, 0, b.length, m);
    assert.ok(m.answers.length <= 32);
  }
});

test('UDP: a query and its response make one record with rtt; an unanswered query is logged at flow end', () => {
  const h = new AppHarness(53);
  h.udp(true, QUERY);
  h.wait(25);
  h.udp(false, RESPONSE);
  h.udp(true, cat(header(0x9999, 0x0100, 1, 0), question(name('lost.example'), 28)));
  h.end();
  assert.equal(h.dns.length, 2);
  const [answered, lost] = h.dns;
  assert.equal(answered!.query, 'www.example.com');
  assert.equal(answered!.qtype_name, 'A');
  assert.equal(answered!.rcode_name, 'NOERROR');
  assert.equal(answered!.rtt, 0.025);
  assert.equal(answered!.proto, 'udp');
  assert.equal(answered!.orig_h, '192.0.2.1');
  assert.equal(answered!.resp_p, 53);
  assert.deepEqual(answered!.TTLs, [300, 60, 61, 62, 63, 64]);
  assert.equal(answered!.RD, true);
  assert.equal(lost!.query, 'lost.example');
  assert.equal(lost!.qtype_name, 'AAAA');
  assert.equal(lost!.rcode, null);
  assert.equal(lost!.rtt, null);
  assert.deepEqual(h.services, ['dns']);
});

test('TCP: length-prefixed messages, two in one segment and one split across segments (prefix too)', () => {
  const h = new AppHarness(53);
  h.handshake();
  const q2 = cat(header(7, 0x0100, 1, 0), question(name('second.example'), 1));
  h.tcp(true, cat(be16(QUERY.length), QUERY, be16(q2.length), q2));
  const framed = cat(be16(RESPONSE.length), RESPONSE);
  h.tcp(false, framed.subarray(0, 1));
  h.tcp(false, framed.subarray(1, 40));
  h.tcp(false, framed.subarray(1, 40), h.serverSeq - 39); // a retransmission: ignored
  h.tcp(false, framed.subarray(40));
  h.end();
  assert.deepEqual(
    h.dns.map((l) => [l.query, l.proto, l.rcode_name, l.answers?.length ?? 0]),
    [
      ['www.example.com', 'tcp', 'NOERROR', 6],
      ['second.example', 'tcp', null, 0],
    ],
  );
});

test('mDNS answers without a query are logged, not counted as unmatched', () => {
  const h = new AppHarness(5353);
  const announce = cat(header(0, 0x8400, 0, 1), rr(name('printer.local'), 1, 120, [10, 0, 0, 9]));
  h.udp(false, announce);
  h.end();
  assert.equal(h.dns.length, 1);
  assert.deepEqual(h.dns[0]!.answers, ['10.0.0.9']);
  assert.equal(h.dns[0]!.AA, true);
  assert.deepEqual(h.app.anomalies(), {});
});
