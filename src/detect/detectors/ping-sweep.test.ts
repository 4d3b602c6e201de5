import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACK, DetectorHarness, SYN } from '../../../test/support/detect-events.js';
import { pingSweep } from './ping-sweep.js';

test('ICMP echo to min_hosts - 1 hosts is quiet, to min_hosts an alert', () => {
  const h = new DetectorHarness(pingSweep);
  for (let i = 1; i < 20; i++) h.packet({ ts: i * 0.01, src: '10.0.0.128', dst: `10.0.0.${i}`, icmpType: 8 });
  assert.equal(h.alerts.length, 0);
  h.packet({ ts: 1, src: '10.0.0.128', dst: '10.0.0.99', icmpType: 8 });
  assert.deepEqual(h.types(), ['ping_sweep/icmp']);
  assert.equal(h.alerts[0]!.mitre, 'T1018');
});

test('echo requests to one host are not a sweep', () => {
  const h = new DetectorHarness(pingSweep);
  for (let i = 0; i < 500; i++) h.packet({ ts: i * 0.01, src: '10.0.0.128', dst: '10.0.0.1', icmpType: 8 });
  assert.equal(h.alerts.length, 0);
});

test('ARP requests for many addresses are an ARP sweep; gratuitous ARP is not', () => {
  const h = new DetectorHarness(pingSweep);
  for (let i = 0; i < 50; i++)
    h.arp(i * 0.01, 1, '52:54:00:77:00:42', '192.168.77.66', '00:00:00:00:00:00', '192.168.77.66');
  assert.equal(h.alerts.length, 0);
  for (let i = 1; i <= 20; i++)
    h.arp(
      1 + i * 0.01,
      1,
      '52:54:00:77:00:42',
      '192.168.77.66',
      '00:00:00:00:00:00',
      `192.168.77.${100 + i}`,
    );
  assert.deepEqual(h.types(), ['ping_sweep/arp']);
  assert.equal(h.alerts[0]!.src, '192.168.77.66');
  assert.equal((h.alerts[0]!.evidence as { mac: string }).mac, '52:54:00:77:00:42');
});

test('bare ACKs to one port of many hosts from one source port are a TCP ACK sweep; connections ACK from their own ports', () => {
  const h = new DetectorHarness(pingSweep);
  // 30 established connections (some opened before the capture: no SYN seen), each with its own port.
  for (let i = 1; i <= 30; i++) {
    if (i % 2 === 0)
      h.packet({
        ts: i * 0.01,
        src: '10.0.0.5',
        dst: `10.0.2.${i}`,
        sport: 40000 + i,
        dport: 443,
        flags: SYN,
      });
    h.packet({
      ts: i * 0.01 + 0.001,
      src: '10.0.0.5',
      dst: `10.0.2.${i}`,
      sport: 40000 + i,
      dport: 443,
      flags: ACK,
    });
  }
  assert.equal(h.alerts.length, 0);
  for (let i = 1; i < 20; i++)
    h.packet({
      ts: 1 + i * 0.001,
      src: '10.0.0.128',
      dst: `10.0.3.${i}`,
      sport: 62528,
      dport: 80,
      flags: ACK,
    });
  assert.equal(h.alerts.length, 0);
  h.packet({ ts: 1.5, src: '10.0.0.128', dst: '10.0.3.200', sport: 62528, dport: 80, flags: ACK });
  assert.deepEqual(h.types(), ['ping_sweep/tcp_ack']);
});
