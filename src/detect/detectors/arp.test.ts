import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DetectorHarness } from '../../../test/support/detect-events.js';
import { arpSpoof } from './arp-spoof.js';
import { gratuitousArpStorm } from './gratuitous-arp-storm.js';

const GW = '192.168.77.1';
const GW_MAC = '52:54:00:77:00:01';
const EVIL = '52:54:00:77:00:42';
const ZERO = '00:00:00:00:00:00';

test('arp_spoof: a gateway whose MAC changes; src_ip is the claimed address, the MACs in the evidence', () => {
  const h = new DetectorHarness(arpSpoof);
  h.arp(0, 2, GW_MAC, GW, '52:54:00:77:00:14', '192.168.77.20');
  h.arp(5, 2, GW_MAC, GW, '52:54:00:77:00:14', '192.168.77.20');
  assert.equal(h.alerts.length, 0);
  h.arp(10, 2, EVIL, GW, '52:54:00:77:00:14', '192.168.77.20');
  assert.equal(h.alerts.length, 1);
  const a = h.alerts[0]!;
  assert.equal(a.src, GW);
  const ev = a.evidence as { mac: string; previous_mac: string };
  assert.equal(ev.mac, EVIL);
  assert.equal(ev.previous_mac, GW_MAC);
  assert.equal(a.mitre, 'T1557.002');
});

test('arp_spoof: one MAC claiming two addresses in unsolicited replies; solicited replies and probes do not count', () => {
  const quiet = new DetectorHarness(arpSpoof);
  quiet.arp(0, 1, '52:54:00:77:00:14', '192.168.77.20', ZERO, '192.168.77.30');
  quiet.arp(0.1, 2, '52:54:00:77:00:1e', '192.168.77.30', '52:54:00:77:00:14', '192.168.77.20');
  quiet.arp(1, 1, EVIL, '0.0.0.0', ZERO, '192.168.77.30'); // RFC 5227 probe
  assert.equal(quiet.alerts.length, 0);
  const h = new DetectorHarness(arpSpoof);
  h.arp(0, 2, EVIL, '10.0.0.153', '00:00:00:00:00:57', '10.0.0.157');
  assert.equal(h.alerts.length, 0);
  h.arp(1, 2, EVIL, '10.0.0.157', '00:00:00:00:00:53', '10.0.0.153');
  assert.equal(h.alerts.length, 1);
  assert.equal(h.alerts[0]!.src, '10.0.0.157');
});

test('gratuitous_arp_storm: min_packets - 1 gratuitous ARPs quiet, min_packets an alert', () => {
  const h = new DetectorHarness(gratuitousArpStorm);
  for (let i = 0; i < 19; i++) h.arp(i * 0.05, 1, EVIL, '192.168.77.66', ZERO, '192.168.77.66');
  assert.equal(h.alerts.length, 0);
  h.arp(1, 1, EVIL, '192.168.77.66', ZERO, '192.168.77.66');
  assert.deepEqual(h.types(), ['gratuitous_arp_storm']);
  assert.equal((h.alerts[0]!.evidence as { mac: string }).mac, EVIL);
});

test('gratuitous_arp_storm: a few announcements per window never add up', () => {
  const h = new DetectorHarness(gratuitousArpStorm);
  for (let i = 0; i < 100; i++) h.arp(i * 2, 1, EVIL, '192.168.77.66', ZERO, '192.168.77.66'); // 5 per 10 s
  assert.equal(h.alerts.length, 0);
});

test('arp_spoof: ARP whose sender MAC is a group address or differs from the frame source is not a claim', () => {
  const h = new DetectorHarness(arpSpoof);
  h.arp(0, 2, GW_MAC, GW, '52:54:00:77:00:14', '192.168.77.20');
  h.arp(1, 2, '01:00:5e:00:00:01', GW, '52:54:00:77:00:14', '192.168.77.20');
  h.engine.arp(
    new Uint8Array([
      ...[0x52, 0x54, 0, 0x77, 0, 0x42],
      ...[0, 1, 8, 0, 6, 4, 0, 2, 0x52, 0x54, 0, 0x77, 0, 0x99, 192, 168, 77, 1],
      ...[0x52, 0x54, 0, 0x77, 0, 0x14, 192, 168, 77, 20],
    ]),
    6,
    34,
    2,
    99,
    0,
    -1,
  );
  assert.equal(h.alerts.length, 0);
});
