import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { be32, cat } from '../../decode/frame-builder.js';
import { AppHarness } from '../app-harness.js';
import { DhcpAnomaly } from './anomalies.js';
import { DhcpMessage, parseDhcpMessage } from './parser.js';

const MAC = [0x90, 0xb1, 0x1c, 0x99, 0x49, 0x29];
const opt = (code: number, data: readonly number[]): number[] => [code, data.length, ...data];
const text = (s: string): number[] => [...Buffer.from(s, 'latin1')];

/** A BOOTP header (op, xid, ciaddr, yiaddr, Ethernet chaddr), the magic cookie and `options`, then END. */
function dhcp(op: number, xid: number, yiaddr: number[], options: number[]): Uint8Array {
  const h = new Uint8Array(236);
  h.set([op, 1, 6, 0, ...be32(xid)]);
  h.set(yiaddr, 16);
  h.set(MAC, 28);
  return cat(h, [0x63, 0x82, 0x53, 0x63], options, [255]);
}

test('a DHCP exchange: DISCOVER, OFFER, REQUEST, ACK join into one record by transaction id', () => {
  const h = new AppHarness(67);
  const xid = 0x3903f326;
  const client = (type: number): number[] => [
    ...opt(53, [type]),
    ...opt(12, text('laptop-7\0')),
    ...opt(50, [192, 0, 2, 1]),
    ...opt(60, text('MSFT 5.0')),
    ...opt(55, [1, 3, 6, 15, 119, 252]),
    ...opt(61, [1, ...MAC]),
    ...opt(81, [0x04, 0, 0, 6, ...text('laptop'), 7, ...text('example'), 0]),
  ];
  const server = (type: number): number[] => [
    ...opt(53, [type]),
    ...opt(54, [198, 51, 100, 2]),
    ...opt(51, be32(3600)),
    ...opt(15, text('example')),
  ];
  h.udp(true, dhcp(1, xid, [0, 0, 0, 0], client(1)));
  h.udp(false, dhcp(2, xid, [192, 0, 2, 1], server(2)));
  h.wait(5);
  h.udp(true, dhcp(1, xid, [0, 0, 0, 0], client(3)));
  h.udp(false, dhcp(2, xid, [192, 0, 2, 1], server(5)));
  assert.equal(h.dhcp.length, 1, 'logged at the ACK');
  const r = h.dhcp[0]!;
  assert.deepEqual(r.msg_types, ['DISCOVER', 'OFFER', 'REQUEST', 'ACK']);
  assert.equal(r.mac, '90:b1:1c:99:49:29');
  assert.equal(r.host_name, 'laptop-7');
  assert.equal(r.client_fqdn, 'laptop.example');
  assert.equal(r.client_software, 'MSFT 5.0');
  assert.equal(r.fingerprint, '1,3,6,15,119,252');
  assert.equal(r.client_id, '01:90:b1:1c:99:49:29');
  assert.equal(r.requested_addr, '192.0.2.1');
  assert.equal(r.assigned_addr, '192.0.2.1');
  assert.equal(r.server_addr, '198.51.100.2');
  assert.equal(r.domain, 'example');
  assert.equal(r.lease_time, 3600);
  assert.equal(r.client_addr, '192.0.2.1', 'the source address of the client messages');
  assert.equal(r.duration, 0.005);
  assert.equal(r.uids.length, 1);
  h.end();
  assert.deepEqual(h.services, ['dhcp']);
});

test('an exchange with no answer is logged at the end of the capture', () => {
  const h = new AppHarness(67);
  h.udp(true, dhcp(1, 7, [0, 0, 0, 0], opt(53, [1])));
  assert.equal(h.dhcp.length, 0);
  h.end();
  assert.deepEqual(h.dhcp[0]?.msg_types, ['DISCOVER']);
});

test('truncated and malformed messages are counted, never thrown', () => {
  const m = new DhcpMessage();
  const good = dhcp(1, 1, [0, 0, 0, 0], [...opt(53, [1]), ...opt(12, text('abc'))]);
  assert.equal(parseDhcpMessage(good, 0, good.length, m), -1);
  assert.equal(parseDhcpMessage(good, 0, 200, m), DhcpAnomaly.TruncatedHeader);
  const bad = good.slice();
  bad[236] = 0;
  assert.equal(parseDhcpMessage(bad, 0, bad.length, m), DhcpAnomaly.BadMagicCookie);
  // The host name option claims more bytes than there are.
  assert.equal(parseDhcpMessage(good, 0, good.length - 3, m), DhcpAnomaly.TruncatedOption);
  assert.equal(m.type, 1, 'options before the cut are kept');
  const h = new AppHarness(68);
  for (let i = 0; i < 2000; i++) {
    const g = randomBytes(200 + (i % 300));
    if (g.length > 240) g.set([0x63, 0x82, 0x53, 0x63], 236); // past the cookie half the time
    parseDhcpMessage(g, 0, g.length, m);
    h.udp(i % 2 === 0, g);
  }
  h.end();
});
