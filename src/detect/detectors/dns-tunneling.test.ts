import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DetectorHarness } from '../../../test/support/detect-events.js';
import { dnsTunneling, entropy } from './dns-tunneling.js';

/** A DNS query datagram payload for `name` with type `qtype`. */
function query(name: string, qtype = 1): Uint8Array {
  const labels = name.split('.').flatMap((l) => [l.length, ...new TextEncoder().encode(l)]);
  return new Uint8Array([
    0x12,
    0x34,
    0x01,
    0x00,
    0,
    1,
    0,
    0,
    0,
    0,
    0,
    0,
    ...labels,
    0,
    qtype >> 8,
    qtype & 255,
  ]);
}
const ask = (h: DetectorHarness, ts: number, name: string, qtype = 1): void =>
  h.packet({ ts, src: '10.0.2.30', dst: '10.0.2.20', sport: 5353, dport: 53, payload: query(name, qtype) });

const longName = (i: number): string => `${'a'.repeat(40)}${i.toString(36).padStart(12, 'x')}.t1.tunnel.test`;

test('min_long_queries - 1 long names are quiet, min_long_queries an alert naming the domain', () => {
  const h = new DetectorHarness(dnsTunneling);
  for (let i = 0; i < 9; i++) ask(h, i, longName(i), 10);
  assert.equal(h.alerts.length, 0);
  ask(h, 10, longName(99), 10);
  assert.deepEqual(h.types(), ['dns_tunneling']);
  const a = h.alerts[0]!;
  assert.equal(a.src, '10.0.2.30');
  assert.equal((a.evidence as { domain: string }).domain, 'tunnel.test');
  assert.equal(a.mitre, 'T1071.004');
});

test('ordinary lookups and reverse lookups stay quiet', () => {
  const h = new DetectorHarness(dnsTunneling);
  for (let i = 0; i < 400; i++) ask(h, i * 0.1, `host${i % 20}.example.com`);
  for (let i = 0; i < 400; i++) ask(h, 50 + i * 0.1, `${i & 255}.${i >> 8}.168.192.in-addr.arpa`, 12);
  assert.equal(h.alerts.length, 0);
});

test('many distinct TXT queries under one domain are a tunnel', () => {
  const h = new DetectorHarness(dnsTunneling);
  for (let i = 0; i < 30; i++) ask(h, i, `q${i}.c2.example.net`, 16);
  assert.deepEqual(h.types(), ['dns_tunneling']);
});

test('entropy: a repeated letter has none, base32 text much', () => {
  assert.equal(entropy('aaaa'), 0);
  assert.ok(entropy('mzxw6ytboi4dcmrrgiztcnzqgu2q') > 3.5);
});
