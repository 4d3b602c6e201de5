import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACK, DetectorHarness, SYN } from '../../../test/support/detect-events.js';
import { icmpFlood } from './icmp-flood.js';
import { synFlood } from './syn-flood.js';
import { udpFlood } from './udp-flood.js';

test('syn_flood: rate - 1 SYNs within a second are quiet, rate SYNs an alert', () => {
  const h = new DetectorHarness(synFlood);
  for (let i = 0; i < 149; i++) h.packet({ ts: i * 0.005, src: '10.0.0.66', dst: '10.0.0.20', flags: SYN });
  assert.equal(h.alerts.length, 0);
  h.packet({ ts: 0.9, src: '10.0.0.66', dst: '10.0.0.20', flags: SYN });
  assert.deepEqual(h.types(), ['syn_flood']);
  assert.equal(h.alerts[0]!.src, '10.0.0.66');
  assert.equal(h.alerts[0]!.dst, '10.0.0.20');
});

test('syn_flood: the same number of SYNs over several seconds is no flood, SYN-ACKs never count', () => {
  const h = new DetectorHarness(synFlood);
  for (let i = 0; i < 300; i++) h.packet({ ts: i * 0.02, src: '10.0.0.66', dst: '10.0.0.20', flags: SYN });
  for (let i = 0; i < 300; i++)
    h.packet({ ts: 10 + i * 0.001, src: '10.0.0.66', dst: '10.0.0.20', flags: SYN | ACK });
  assert.equal(h.alerts.length, 0);
});

test('syn_flood from spoofed sources is one alert for the target, with the source count', () => {
  const h = new DetectorHarness(synFlood);
  for (let i = 0; i < 400; i++)
    h.packet({ ts: i * 0.002, src: `${(i % 200) + 1}.${i % 7}.0.1`, dst: '10.10.10.10', flags: SYN });
  assert.equal(h.alerts.length, 1);
  const ev = h.alerts[0]!.evidence as { distinct_sources: number; single_source: boolean };
  assert.equal(ev.single_source, false);
  assert.equal(ev.distinct_sources, 150, 'sources seen when the rate was reached');
  assert.match(h.alerts[0]!.message, /spoofed or distributed/);
});

test('icmp_flood counts echo requests only', () => {
  const h = new DetectorHarness(icmpFlood);
  for (let i = 0; i < 500; i++) h.packet({ ts: i * 0.001, src: '10.0.0.30', dst: '10.0.0.66', icmpType: 0 });
  assert.equal(h.alerts.length, 0);
  for (let i = 0; i < 150; i++)
    h.packet({ ts: 1 + i * 0.001, src: '10.0.0.66', dst: '10.0.0.30', icmpType: 8 });
  assert.deepEqual(h.types(), ['icmp_flood']);
});

test('udp_flood: rate - 1 datagrams quiet, rate an alert', () => {
  const h = new DetectorHarness(udpFlood);
  for (let i = 0; i < 499; i++) h.packet({ ts: i * 0.001, src: '10.0.0.66', dst: '10.0.0.30', dport: 5000 });
  assert.equal(h.alerts.length, 0);
  h.packet({ ts: 0.6, src: '10.0.0.66', dst: '10.0.0.30', dport: 5000 });
  assert.deepEqual(h.types(), ['udp_flood']);
  assert.equal(h.alerts[0]!.dstPort, 5000);
});

test('udp_flood: a destination answering more than max_reply_ratio of the datagrams is a conversation (QUIC)', () => {
  const h = new DetectorHarness(udpFlood);
  for (let i = 0; i < 800; i++) {
    h.packet({ ts: i * 0.001, src: '10.0.0.5', dst: '10.0.0.6', sport: 443, dport: 50000 });
    if (i % 5 === 0) h.packet({ ts: i * 0.001, src: '10.0.0.6', dst: '10.0.0.5', sport: 50000, dport: 443 });
  }
  assert.equal(h.alerts.length, 0, '20% answered');
  const g = new DetectorHarness(udpFlood);
  for (let i = 0; i < 800; i++) {
    g.packet({ ts: i * 0.001, src: '10.0.0.5', dst: '10.0.0.6', sport: 443, dport: 50000 });
    if (i % 20 === 0) g.packet({ ts: i * 0.001, src: '10.0.0.6', dst: '10.0.0.5', sport: 50000, dport: 443 });
  }
  assert.deepEqual(g.types(), ['udp_flood'], '5% answered');
});
