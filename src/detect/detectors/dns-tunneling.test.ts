import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DetectorHarness } from '../../../test/support/detect-events.js';
import { dnsTunneling, entropy } from './dns-tunneling.js';

const ask = (h: DetectorHarness, ts: number, name: string, qtype = 1, dport = 53): void =>
  h.dns({ ts, src: '10.0.2.30', dst: '10.0.2.20', name, qtype, dport });

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

test('names are compared in lower case without the final dot; mDNS and LLMNR names are not lookups', () => {
  const h = new DetectorHarness(dnsTunneling);
  for (let i = 0; i < 29; i++) ask(h, i, `Q${i}.C2.Example.NET.`, 16);
  for (let i = 0; i < 50; i++) ask(h, 30 + i, `m${i}.c2.example.net`, 16, 5353);
  assert.equal(h.alerts.length, 0, 'the mDNS queries are not counted');
  ask(h, 40, 'q29.c2.example.net', 16);
  assert.deepEqual(h.types(), ['dns_tunneling']);
  const e = h.alerts[0]!.evidence as { domain: string; txt_null_queries: number; flow_uids: string[] };
  assert.equal(e.domain, 'example.net');
  assert.equal(e.txt_null_queries, 30);
  assert.equal(e.flow_uids.length, 5);
});

test('entropy: a repeated letter has none, base32 text much', () => {
  assert.equal(entropy('aaaa'), 0);
  assert.ok(entropy('mzxw6ytboi4dcmrrgiztcnzqgu2q') > 3.5);
});
