import assert from 'node:assert/strict';
import { test } from 'node:test';
import { be16, cat, hex } from '../../decode/frame-builder.js';
import { AppHarness, ascii } from '../app-harness.js';
import { Dhcpv6Anomaly } from './anomalies.js';
import { Dhcpv6Message, parseDhcpv6Message } from './parser.js';

const opt = (code: number, data: Uint8Array | readonly number[]): Uint8Array =>
  cat(be16(code), be16(data.length), data);
const DUID_LL = [0, 3, 0, 1, 0x90, 0xb1, 0x1c, 0x99, 0x49, 0x29];
const DUID_EN = [0, 2, 0, 0, 0x01, 0x37, 1, 2, 3, 4];
const ADDR = hex('20010db8000000000000000000000abc');
const PREFIX = hex('20010db8ff0000000000000000000000');
const iaAddr = opt(5, cat(ADDR, [0, 0, 0x0e, 0x10, 0, 0, 0x1c, 0x20]));
const iaNa = opt(3, cat([0, 0, 0, 1], new Array<number>(8).fill(0), iaAddr));
const iaPd = opt(
  25,
  cat([0, 0, 0, 2], new Array<number>(8).fill(0), opt(26, cat(new Array<number>(8).fill(0), [48], PREFIX))),
);
const fqdn = opt(39, cat([1], [6], ascii('laptop'), [7], ascii('example'), [0]));
const vendor = opt(16, cat([0, 0, 0x01, 0x37], be16(8), ascii('MSFT 5.0')));
const message = (type: number, xid: number, ...options: Uint8Array[]): Uint8Array =>
  cat([type, (xid >> 16) & 0xff, (xid >> 8) & 0xff, xid & 0xff], ...options);

test('a DHCPv6 REQUEST and REPLY join into one record: DUIDs, MAC, FQDN, vendor class, address and prefix', () => {
  const h = new AppHarness(547);
  const xid = 0xfcf776;
  h.udp(true, message(3, xid, opt(1, DUID_LL), opt(2, DUID_EN), iaNa, fqdn, vendor));
  h.wait(7);
  assert.equal(h.dhcpv6.length, 0);
  h.udp(false, message(7, xid, opt(1, DUID_LL), opt(2, DUID_EN), iaNa, iaPd));
  assert.equal(h.dhcpv6.length, 1, 'logged at the REPLY');
  const r = h.dhcpv6[0]!;
  assert.equal(r.trans_id, xid);
  assert.deepEqual(r.msg_types, ['REQUEST', 'REPLY']);
  assert.equal(r.client_duid, '00:03:00:01:90:b1:1c:99:49:29');
  assert.equal(r.server_duid, '00:02:00:00:01:37:01:02:03:04');
  assert.equal(r.mac, '90:b1:1c:99:49:29');
  assert.equal(r.client_fqdn, 'laptop.example');
  assert.equal(r.vendor_class, 'MSFT 5.0');
  assert.deepEqual(r.requested_addrs, ['2001:db8::abc']);
  assert.deepEqual(r.assigned_addrs, ['2001:db8::abc']);
  assert.deepEqual(r.delegated_prefixes, ['2001:db8:ff00::/48']);
  assert.equal(r.client_addr, '192.0.2.1');
  assert.equal(r.server_addr, '198.51.100.2');
  assert.equal(r.duration, 0.007);
  h.end();
  assert.deepEqual(h.services, ['dhcpv6']);
});

test('a relayed message is unwrapped; relay chains are bounded', () => {
  const m = new Dhcpv6Message();
  const inner = message(1, 0x123456, opt(1, DUID_LL));
  const relay = (msg: Uint8Array): Uint8Array => cat([12, 0], new Array<number>(32).fill(0), opt(9, msg));
  const once = relay(inner);
  assert.equal(parseDhcpv6Message(once, 0, once.length, m), -1);
  assert.equal(m.type, 1);
  assert.equal(m.xid, 0x123456);
  assert.equal(m.mac, '90:b1:1c:99:49:29');
  let deep = inner;
  for (let i = 0; i < 9; i++) deep = relay(deep);
  assert.equal(parseDhcpv6Message(deep, 0, deep.length, m), Dhcpv6Anomaly.RelayTooDeep);
  assert.equal(m.type, 0);
});

test('truncated and mutated messages are counted, never thrown', () => {
  const m = new Dhcpv6Message();
  const good = message(3, 1, opt(1, DUID_LL), iaNa, iaPd, fqdn, vendor);
  assert.equal(parseDhcpv6Message(good, 0, 3, m), Dhcpv6Anomaly.TruncatedHeader);
  assert.equal(parseDhcpv6Message(good, 0, good.length - 2, m), Dhcpv6Anomaly.TruncatedOption);
  assert.equal(m.clientDuid, '00:03:00:01:90:b1:1c:99:49:29', 'options before the cut are kept');
  for (let n = 0; n <= good.length; n++) parseDhcpv6Message(good, 0, n, m);
  let seed = 5;
  const rand = (): number => ((seed = Math.imul(seed, 48271) % 0x7fffffff) & 0xffff) / 0x10000;
  const h = new AppHarness(546);
  for (let i = 0; i < 3000; i++) {
    const b = new Uint8Array(good);
    for (let k = 0; k < 3; k++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
    parseDhcpv6Message(b, 0, b.length, m);
    assert.ok(m.addresses.length <= 16 && m.prefixes.length <= 16);
    h.udp(i % 2 === 0, b);
  }
  h.end();
  assert.ok(h.dhcpv6.length > 0);
});
