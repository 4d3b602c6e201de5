import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiveStatus, formatBits, formatClock, type StatusSource } from './live-status.js';

function fileSource(name: string, sizeBytes: number): StatusSource & { stats: { bytesRead: number } } {
  return {
    info: { name, format: 'pcap', sizeBytes },
    stats: { bytesRead: 0, frames: 0, dropped: 0, ifDropped: 0 },
  };
}

test('progress and ETA run over all files: bytes of finished files plus the current one', () => {
  const status = new LiveStatus({ inputs: 2, totalBytes: 4000 });
  status.lines(0, 120); // the clock starts at the first drawing
  const a = fileSource('a.pcap', 1000);
  status.sourceOpened(a);
  a.stats.bytesRead = 1000;
  const b = fileSource('b.pcap', 3000);
  status.sourceOpened(b);
  b.stats.bytesRead = 1000;
  const lines = status.lines(10_000, 120);
  assert.equal(lines[0], 'Reading b.pcap (file 2 of 2)');
  assert.equal(lines[1], `${'█'.repeat(15)}${'░'.repeat(15)}  50%  2.00 kB of 4.00 kB  ETA 0:10`);
  assert.equal(lines[4], 'Dropped 0');
});

test('a live source: heading, no bar, drops and the alerts hook; lines cut to the width', () => {
  const status = new LiveStatus({ inputs: 1, alerts: () => 7 });
  status.sourceOpened({
    info: { name: 'eth0', format: 'live' },
    stats: { bytesRead: 0, frames: 0, dropped: 3, ifDropped: 2 },
  });
  const lines = status.lines(0, 120);
  assert.deepEqual(lines[0], 'Capturing on eth0');
  assert.ok(!lines.some((l) => l.includes('%')));
  assert.equal(lines.at(-1), 'Dropped 5  ·  Alerts 7');
  assert.ok(status.lines(0, 20).every((l) => l.length <= 19));
});

test('formatting of rates and clocks', () => {
  assert.equal(formatBits(0), '0 bit/s');
  assert.equal(formatBits(98_100_000), '98.1 Mbit/s');
  assert.equal(formatClock(59.6), '1:00');
  assert.equal(formatClock(3725), '1:02:05');
});
