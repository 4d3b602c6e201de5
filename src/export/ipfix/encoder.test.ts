import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConnLog } from '../../schema/conn.js';
import { IpfixEncoder } from './encoder.js';
import { IpfixFlow, toIpfixFlow } from './flow-record.js';

/** The first flow of http-get-simple.pcap, as nta logs it. */
const HTTP_FLOW: ConnLog = {
  ts: 1362692526869344,
  uid: 'CtPZjS20MLrsMUOJi2',
  duration: 0.211402,
  orig_h: '141.142.228.5',
  orig_p: 59856,
  resp_h: '192.150.187.43',
  resp_p: 80,
  proto: 'tcp',
  service: 'http',
  conn_state: 'SF',
  history: 'ShADadFf',
  orig_pkts: 7,
  orig_bytes: 136,
  resp_pkts: 7,
  resp_bytes: 5007,
  orig_ip_bytes: 512,
  resp_ip_bytes: 5379,
  community_id: '1:yvyB8h+3dnggTZW0UEITWCst97w=',
  vlan: null,
  ip_proto: 6,
};

const hex = (s: string): string => s.replace(/\s+/g, '');
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** IPFIX field specifier of a reverse element: id | 0x8000, length, PEN 29305. */
const TEMPLATE_SET = hex(`
  0002 00f4
  0100 000d  0098 0008  0099 0008  0008 0004  000c 0004  0007 0002  000b 0002  0004 0001  003a 0002
             0002 0008  0001 0008  0006 0002  8002 0008 00007279  8001 0008 00007279
  0101 000d  0098 0008  0099 0008  001b 0010  001c 0010  0007 0002  000b 0002  0004 0001  003a 0002
             0002 0008  0001 0008  0006 0002  8002 0008 00007279  8001 0008 00007279
  0102 000b  0098 0008  0099 0008  0008 0004  000c 0004  0020 0002  0004 0001  003a 0002
             0002 0008  0001 0008  8002 0008 00007279  8001 0008 00007279
  0103 000b  0098 0008  0099 0008  001b 0010  001c 0010  008b 0002  0004 0001  003a 0002
             0002 0008  0001 0008  8002 0008 00007279  8001 0008 00007279`);

function flowOf(log: ConnLog): IpfixFlow {
  const f = new IpfixFlow();
  assert.equal(toIpfixFlow(log, f), true);
  return f;
}

interface Captured {
  readonly messages: Uint8Array[];
  readonly records: number[];
}

function encoder(opts: ConstructorParameters<typeof IpfixEncoder>[1] = {}): [IpfixEncoder, Captured] {
  const out: Captured = { messages: [], records: [] };
  const enc = new IpfixEncoder(
    (m, n) => {
      out.messages.push(m);
      out.records.push(n);
    },
    { observationDomainId: 7, now: () => 1_700_000_000, ...opts },
  );
  return [enc, out];
}

/** Sets of a message: [set id, body length]; checks that the sets fill the message exactly. */
function sets(m: Uint8Array): [number, number][] {
  const v = new DataView(m.buffer, m.byteOffset, m.byteLength);
  assert.equal(v.getUint16(0), 10);
  assert.equal(v.getUint16(2), m.length);
  const out: [number, number][] = [];
  let o = 16;
  while (o < m.length) {
    const len = v.getUint16(o + 2);
    assert.ok(len >= 4 && o + len <= m.length, `set at ${o} of length ${len}`);
    out.push([v.getUint16(o), len - 4]);
    o += len;
  }
  assert.equal(o, m.length);
  return out;
}

test('an IPv4 biflow encodes byte for byte: header, template set, data set', () => {
  const [enc, out] = encoder();
  enc.add(flowOf(HTTP_FLOW));
  assert.equal(out.messages.length, 0, 'nothing leaves before the message is full or flushed');
  enc.flush();
  assert.equal(out.messages.length, 1);
  const expected = hex(
    [
      '000a 0149 6553f100 00000000 00000007', // version 10, 329 bytes, export time, sequence 0, domain 7
      TEMPLATE_SET,
      '0100 0045', // data set of template 256: 4 + 65 bytes
      '0000013d46cdd315 0000013d46cdd3e8', // start 1362692526869 ms; end: ts + 211402 µs → …7080 ms
      '8d8ee405 c096bb2b e9d0 0050 06', // 141.142.228.5:59856 → 192.150.187.43:80, TCP
      '0000', // no VLAN
      '0000000000000007 0000000000000200', // originator: 7 packets, 512 IP-level bytes
      '0013', // originator's history S, A, D, F: SYN | ACK | FIN
      '0000000000000007 0000000000001503', // responder (reverse elements): 7 packets, 5379 bytes
    ].join(''),
  );
  assert.equal(toHex(out.messages[0]!), expected);
  assert.deepEqual(out.records, [1]);
});

test('IPv6, ICMP and ICMPv6 flows go to their own templates; a VLAN id is carried', () => {
  const [enc, out] = encoder();
  enc.add(flowOf({ ...HTTP_FLOW, orig_h: '2001:db8::1', resp_h: '2001:db8::2:1', vlan: 118, history: 'S' }));
  enc.add(flowOf({ ...HTTP_FLOW, proto: 'icmp', ip_proto: 1, orig_p: 3, resp_p: 3, history: null }));
  enc.add(flowOf({ ...HTTP_FLOW, proto: 'icmp', ip_proto: 1, orig_p: 8, resp_p: 0, history: null }));
  enc.add(
    flowOf({
      ...HTTP_FLOW,
      orig_h: 'fe80::1',
      resp_h: 'ff02::1',
      proto: 'icmp',
      ip_proto: 58,
      orig_p: 135,
      resp_p: 136,
    }),
  );
  enc.flush();
  const m = out.messages[0]!;
  assert.deepEqual(sets(m), [
    [2, 240],
    [257, 89],
    [258, 2 * 61],
    [259, 85],
  ]);
  const ipv6 = toHex(m.subarray(16 + 244 + 4, 16 + 244 + 4 + 89));
  assert.equal(
    ipv6,
    hex(`0000013d46cdd315 0000013d46cdd3e8 20010db8000000000000000000000001 20010db8000000000000000000020001
         e9d0 0050 06 0076 0000000000000007 0000000000000200 0002 0000000000000007 0000000000001503`),
  );
  const icmp = 16 + 244 + 4 + 89 + 4;
  // type 3 has no counterpart: resp_p is the code; echo request (8) pairs with its reply: code 0.
  assert.equal(toHex(m.subarray(icmp + 24, icmp + 27)), '030301');
  assert.equal(toHex(m.subarray(icmp + 61 + 24, icmp + 61 + 27)), '080001');
  const icmp6 = icmp + 2 * 61 + 4;
  assert.equal(toHex(m.subarray(icmp6 + 48, icmp6 + 51)), '87003a'); // neighbour solicitation 135.0, proto 58
  assert.deepEqual(out.records, [4]);
});

test('messages stay within the size limit, batch many records, and count them in the sequence numbers', () => {
  const [enc, out] = encoder({ maxMessageBytes: 1400 });
  for (let i = 0; i < 1000; i++) {
    const v6 = i % 7 === 0;
    enc.add(flowOf({ ...HTTP_FLOW, orig_p: i + 1, ...(v6 ? { orig_h: '2001:db8::1', resp_h: '::1' } : {}) }));
  }
  enc.flush();
  let total = 0;
  let sequence = 0;
  for (const [k, m] of out.messages.entries()) {
    assert.ok(m.length <= 1400, `message ${k}: ${m.length} bytes`);
    const v = new DataView(m.buffer, m.byteOffset, m.byteLength);
    assert.equal(v.getUint32(8), sequence, `message ${k}: sequence number counts the records before it`);
    let records = 0;
    for (const [id, len] of sets(m)) {
      if (id === 256) records += len / 65;
      else if (id === 257) records += len / 89;
      else assert.equal(id, 2);
    }
    assert.equal(records, out.records[k]);
    // A message is only cut when the next record would not fit.
    if (k < out.messages.length - 1) assert.ok(m.length + 89 + 4 > 1400, `message ${k} is full`);
    sequence += records;
    total += records;
  }
  assert.equal(total, 1000);
  assert.equal(enc.sequence, 1000);
  assert.ok(out.messages.length < 1000 / 15, `${out.messages.length} messages`);
});

test('templates lead the first message and return every N messages and every T seconds', () => {
  let now = 1_700_000_000;
  const [enc, out] = encoder({
    maxMessageBytes: 400,
    templateEveryMessages: 3,
    templateEverySeconds: 60,
    now: () => now,
  });
  const withTemplates = (): boolean[] => out.messages.map((m) => sets(m)[0]![0] === 2);
  for (let i = 0; i < 7; i++) {
    enc.add(flowOf(HTTP_FLOW));
    enc.flush();
  }
  assert.deepEqual(withTemplates(), [true, false, false, true, false, false, true]);
  now += 60;
  enc.add(flowOf(HTTP_FLOW));
  enc.flush();
  assert.equal(withTemplates()[7], true, 'after templateEverySeconds');
});

test('a size limit too small for one record with the templates is refused at setup', () => {
  assert.throws(() => encoder({ maxMessageBytes: 200 }), RangeError);
});
