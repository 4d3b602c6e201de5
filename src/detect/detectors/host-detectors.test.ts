import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DetectorHarness } from '../../../test/support/detect-events.js';
import { newDevice } from './new-device.js';
import { trafficVolumeAnomaly } from './traffic-volume-anomaly.js';
import type { LearnedEntry } from '../../schema/learned.js';

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

/** What an engine learned, through JSON as the database keeps it, handed to a new engine (the next run). */
function nextRun(before: DetectorHarness, after: DetectorHarness): void {
  after.engine.restoreLearned(JSON.parse(JSON.stringify(before.engine.learned())) as LearnedEntry[]);
}

test('new_device: a later run restores the known devices and the learning done, neither learns nor alerts again', () => {
  const opts = { home: ['192.168.77.0/24'] };
  const first = new DetectorHarness(newDevice, {}, opts);
  first.packet({ ts: 0, src: '192.168.77.20', dst: '192.168.77.1', mac: '52:54:00:77:00:14', icmpType: 8 });
  first.arp(30, 2, '52:54:00:77:00:01', '192.168.77.1', '52:54:00:77:00:14', '192.168.77.20');
  first.packet({ ts: 61, src: '192.168.77.20', dst: '192.168.77.1', mac: '52:54:00:77:00:14', icmpType: 8 });
  assert.equal(first.alerts.length, 0);
  const keys = first.engine.learned().map((e) => `${e.detector} ${e.key}`);
  assert.deepEqual(keys, [
    'new_device learning',
    'new_device mac 52:54:00:77:00:14',
    'new_device mac 52:54:00:77:00:01',
  ]);

  const second = new DetectorHarness(newDevice, {}, opts);
  nextRun(first, second);
  second.packet({
    ts: 5000,
    src: '192.168.77.20',
    dst: '192.168.77.1',
    mac: '52:54:00:77:00:14',
    icmpType: 8,
  });
  second.arp(5001, 2, '52:54:00:77:00:01', '192.168.77.1', '52:54:00:77:00:14', '192.168.77.20');
  assert.equal(second.alerts.length, 0, 'known devices');
  // One second into the run: the learning period was spent in the first run.
  second.packet({
    ts: 5001,
    src: '192.168.77.99',
    dst: '192.168.77.1',
    mac: '52:54:00:77:00:63',
    icmpType: 8,
  });
  assert.deepEqual(second.types(), ['new_device']);
  assert.equal(second.alerts[0]!.src, '192.168.77.99');

  // A run that ended 20 s into learning leaves 40 s of it to the next one.
  const short = new DetectorHarness(newDevice, {}, opts);
  short.packet({ ts: 0, src: '192.168.77.20', dst: '192.168.77.1', mac: '52:54:00:77:00:14', icmpType: 8 });
  short.packet({ ts: 20, src: '192.168.77.20', dst: '192.168.77.1', mac: '52:54:00:77:00:14', icmpType: 8 });
  const rest = new DetectorHarness(newDevice, {}, opts);
  nextRun(short, rest);
  rest.packet({ ts: 100, src: '192.168.77.20', dst: '192.168.77.1', mac: '52:54:00:77:00:14', icmpType: 8 });
  rest.packet({
    ts: 139.9,
    src: '192.168.77.30',
    dst: '192.168.77.1',
    mac: '52:54:00:77:00:1e',
    icmpType: 8,
  });
  assert.equal(rest.alerts.length, 0, 'still learning');
  rest.packet({
    ts: 140.1,
    src: '192.168.77.99',
    dst: '192.168.77.1',
    mac: '52:54:00:77:00:63',
    icmpType: 8,
  });
  assert.deepEqual(rest.types(), ['new_device']);
});

test('traffic_volume_anomaly: a later run starts from the learned baseline, so an early burst alerts', () => {
  const base = (h: DetectorHarness, from: number, to: number): void => {
    for (let t = from; t < to; t += 2)
      h.packet({ ts: t, src: '192.168.77.20', dst: '203.0.113.10', dport: 80, flags: 0x18, length: 1500 });
  };
  const burst = (h: DetectorHarness, t: number): void => {
    for (let i = 0; i < 4000; i++)
      h.packet({ ts: t + i * 0.0001, src: '192.168.77.20', dst: '203.0.113.10', dport: 9000, length: 1500 });
  };
  const first = new DetectorHarness(trafficVolumeAnomaly);
  base(first, 0, 180);
  const learned = first.engine.learned();
  assert.equal(learned.length, 1);
  assert.equal(learned[0]!.key, '192.168.77.20');
  assert.ok((learned[0]!.value as { intervals: number }).intervals >= 17);

  const second = new DetectorHarness(trafficVolumeAnomaly);
  nextRun(first, second);
  base(second, 9000, 9020);
  burst(second, 9020.5);
  assert.deepEqual(second.types(), ['traffic_volume_anomaly']);
  // Without the baseline, the same run is still learning.
  const fresh = new DetectorHarness(trafficVolumeAnomaly);
  base(fresh, 9000, 9020);
  burst(fresh, 9020.5);
  assert.equal(fresh.alerts.length, 0);
});
