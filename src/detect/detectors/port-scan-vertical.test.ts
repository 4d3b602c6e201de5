import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACK, DetectorHarness, FIN, PSH, RST, SYN, URG } from '../../../test/support/detect-events.js';
import { portScanVertical } from './port-scan-vertical.js';

const probe = (h: DetectorHarness, n: number, flags: number, t0 = 0, step = 0.01): void => {
  for (let i = 0; i < n; i++)
    h.packet({ ts: t0 + i * step, src: '10.0.0.5', dst: '10.0.0.9', sport: 5555, dport: 1000 + i, flags });
};

test('SYN probes: quiet at min_ports - 1 distinct ports, an alert at min_ports', () => {
  const h = new DetectorHarness(portScanVertical);
  probe(h, 19, SYN);
  assert.equal(h.alerts.length, 0);
  probe(h, 20, SYN); // ports 1000..1019: one more distinct port
  assert.deepEqual(h.types(), ['port_scan_vertical/syn']);
  const a = h.alerts[0]!;
  assert.equal(a.src, '10.0.0.5');
  assert.equal(a.dst, '10.0.0.9');
  assert.equal(a.mitre, 'T1046');
  assert.equal((a.evidence as { distinct_ports: number }).distinct_ports, 20);
});

test('the same port probed repeatedly is not a scan', () => {
  const h = new DetectorHarness(portScanVertical);
  for (let i = 0; i < 100; i++)
    h.packet({ ts: i * 0.01, src: '10.0.0.5', dst: '10.0.0.9', dport: 443, flags: SYN });
  assert.equal(h.alerts.length, 0);
});

test('probes spread over more than the window do not add up', () => {
  const h = new DetectorHarness(portScanVertical, { window_s: 10 });
  probe(h, 30, SYN, 0, 1); // 30 ports over 29 s: at most 11 in any window
  assert.equal(h.alerts.length, 0);
});

test('FIN, NULL and Xmas probes are told apart, each its own alert', () => {
  const h = new DetectorHarness(portScanVertical);
  probe(h, 20, FIN, 0);
  probe(h, 20, 0, 1);
  probe(h, 20, FIN | PSH | URG, 2);
  assert.deepEqual(h.types().sort(), [
    'port_scan_vertical/fin',
    'port_scan_vertical/null',
    'port_scan_vertical/xmas',
  ]);
});

test('a scanner completing handshakes is a connect scan; one resetting them a SYN scan', () => {
  const connect = new DetectorHarness(portScanVertical);
  probe(connect, 10, SYN);
  connect.packet({ ts: 0.2, src: '10.0.0.5', dst: '10.0.0.9', sport: 40001, dport: 22, flags: ACK });
  probe(connect, 20, SYN, 0.3);
  assert.deepEqual(connect.types(), ['port_scan_vertical/connect']);
  const syn = new DetectorHarness(portScanVertical);
  probe(syn, 10, SYN);
  syn.packet({ ts: 0.2, src: '10.0.0.5', dst: '10.0.0.9', sport: 5555, dport: 22, flags: RST });
  probe(syn, 20, SYN, 0.3);
  assert.deepEqual(syn.types(), ['port_scan_vertical/syn']);
});

test('UDP probes are counted from the ICMP port unreachables that quote them', () => {
  const h = new DetectorHarness(portScanVertical);
  for (let i = 0; i < 20; i++) {
    const quoted = new Uint8Array(28);
    quoted[0] = 0x45;
    quoted[9] = 17;
    quoted.set([10, 0, 0, 5, 10, 0, 0, 9], 12);
    quoted[22] = (2000 + i) >> 8;
    quoted[23] = (2000 + i) & 255;
    h.packet({ ts: i * 0.01, src: '10.0.0.9', dst: '10.0.0.5', icmpType: 3, icmpCode: 3, payload: quoted });
  }
  assert.deepEqual(h.types(), ['port_scan_vertical/udp']);
  assert.equal(h.alerts[0]!.src, '10.0.0.5');
});

test('a scan that goes on refreshes its alert (evidence, last_seen) without counting new detections', () => {
  const h = new DetectorHarness(portScanVertical);
  probe(h, 30, SYN);
  assert.equal(h.alerts.length, 1);
  const a = h.alerts[0]!;
  assert.equal(a.count, 1);
  h.engine.finish();
  assert.equal(a.count, 1);
  assert.equal((a.evidence as { distinct_ports: number }).distinct_ports, 30);
  assert.equal(a.last, 0.29);
});
