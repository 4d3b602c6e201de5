import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DetectorHarness } from '../../../test/support/detect-events.js';
import { newDevice } from './new-device.js';
import { trafficVolumeAnomaly } from './traffic-volume-anomaly.js';

test('new_device: devices seen during the learning period are known; a later one alerts once', () => {
  const h = new DetectorHarness(newDevice, {}, { home: ['192.168.77.0/24'] });
  h.packet({ ts: 0, src: '192.168.77.20', dst: '192.168.77.1', mac: '52:54:00:77:00:14', icmpType: 8 });
  h.arp(30, 2, '52:54:00:77:00:01', '192.168.77.1', '52:54:00:77:00:14', '192.168.77.20');
  h.packet({ ts: 59.9, src: '192.168.77.30', dst: '192.168.77.1', mac: '52:54:00:77:00:1e', icmpType: 8 });
  assert.equal(h.alerts.length, 0);
  h.packet({ ts: 61, src: '192.168.77.20', dst: '192.168.77.1', mac: '52:54:00:77:00:14', icmpType: 8 });
  h.packet({ ts: 61, src: '8.8.8.8', dst: '192.168.77.20', mac: '52:54:00:77:00:01', icmpType: 0 });
  assert.equal(h.alerts.length, 0);
  h.arp(62, 1, '52:54:00:77:00:63', '192.168.77.99', '00:00:00:00:00:00', '192.168.77.99');
  h.packet({ ts: 63, src: '192.168.77.99', dst: '192.168.77.1', mac: '52:54:00:77:00:63', icmpType: 8 });
  assert.deepEqual(h.types(), ['new_device']);
  assert.equal(h.alerts[0]!.src, '192.168.77.99');
  assert.equal(h.alerts[0]!.count, 1);
});

test('traffic_volume_anomaly: a burst far above the learned baseline alerts; the same burst while learning does not', () => {
  const base = (h: DetectorHarness, from: number, to: number): void => {
    for (let t = from; t < to; t += 2)
      h.packet({ ts: t, src: '192.168.77.20', dst: '203.0.113.10', dport: 80, flags: 0x18, length: 1500 });
  };
  const burst = (h: DetectorHarness, t: number, packets: number): void => {
    for (let i = 0; i < packets; i++)
      h.packet({
        ts: t + i * 0.0001,
        src: '192.168.77.20',
        dst: '203.0.113.10',
        dport: 9000,
        flags: 0x10,
        length: 1500,
      });
  };
  const learning = new DetectorHarness(trafficVolumeAnomaly);
  base(learning, 0, 30);
  burst(learning, 30.5, 4000);
  assert.equal(learning.alerts.length, 0);
  const h = new DetectorHarness(trafficVolumeAnomaly);
  base(h, 0, 180);
  burst(h, 180.5, 3300); // 4.95 MB: below min_bytes
  assert.equal(h.alerts.length, 0);
  base(h, 190, 300);
  burst(h, 300.5, 4000); // 6 MB
  assert.deepEqual(h.types(), ['traffic_volume_anomaly']);
  assert.equal(h.alerts[0]!.src, '192.168.77.20');
});
