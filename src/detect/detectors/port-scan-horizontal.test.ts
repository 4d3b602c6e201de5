import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACK, DetectorHarness, SYN } from '../../../test/support/detect-events.js';
import { portScanHorizontal } from './port-scan-horizontal.js';

const sweep = (h: DetectorHarness, n: number): void => {
  for (let i = 1; i <= n; i++)
    h.packet({ ts: i * 0.01, src: '10.0.0.128', dst: `10.0.1.${i}`, dport: 445, flags: SYN });
};

test('one port on min_hosts - 1 hosts is quiet, on min_hosts an alert', () => {
  const h = new DetectorHarness(portScanHorizontal);
  sweep(h, 23);
  assert.equal(h.alerts.length, 0);
  h.packet({ ts: 1, src: '10.0.0.128', dst: '10.0.1.200', dport: 445, flags: SYN });
  assert.deepEqual(h.types(), ['port_scan_horizontal/syn']);
  assert.equal(h.alerts[0]!.dstPort, 445);
});

test('hosts that answer with SYN-ACK are connections, not probes (a browser)', () => {
  const h = new DetectorHarness(portScanHorizontal);
  for (let i = 1; i <= 40; i++) {
    h.packet({
      ts: i * 0.01,
      src: '10.0.0.128',
      dst: `93.184.0.${i}`,
      sport: 40000 + i,
      dport: 443,
      flags: SYN,
    });
    h.packet({
      ts: i * 0.01 + 0.005,
      src: `93.184.0.${i}`,
      dst: '10.0.0.128',
      sport: 443,
      dport: 40000 + i,
      flags: SYN | ACK,
    });
  }
  assert.equal(h.alerts.length, 0);
});
