/**
 * Learning kept in the database (issue 5, tuning): consecutive reads into one database do not learn again
 * and do not alert again on devices already known.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { dbRows, NTA, workDir } from './support/cli.js';
import { SECURITY_DIR, securityLabels } from './support/security.js';

const dir = workDir('nta-learned-');
const JOIN = 'gen__new_device_join.pcap';
const SSH = 'gen__bruteforce_ssh_1try_per_conn.pcap';
const labels = securityLabels();
const home = labels[JOIN]!.home_networks;
assert.deepEqual(labels[SSH]!.home_networks, home);

function read(db: string, file: string): void {
  const args = ['read', '-q', '--no-chart', '--db', db, ...home.flatMap((n) => ['--home-net', n])];
  const r = spawnSync('node', [NTA, ...args, join(SECURITY_DIR, file)], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

interface Learned {
  detector: string;
  key: string;
  value: string;
  updated_at: string;
}
const learned = (db: string): Learned[] =>
  dbRows<Learned>(db, 'SELECT * FROM learned ORDER BY detector, key');
const newDevices = (db: string, capture: number): { src_ip: string; first_seen: string }[] =>
  dbRows(db, `SELECT src_ip, first_seen FROM alerts WHERE type = 'new_device' AND capture_id = ${capture}`);

test('a second read into the same database neither learns again nor alerts on known devices', () => {
  const db = join(dir, 'home.db');
  read(db, JOIN);
  // The capture's device that joins after the learning period (the label's new_device).
  assert.deepEqual(
    newDevices(db, 1).map((a) => a.src_ip),
    ['192.168.77.99'],
  );
  const first = learned(db);
  const devices = first.filter((l) => l.detector === 'new_device' && l.key.startsWith('mac '));
  assert.equal(devices.length, 4);
  assert.deepEqual(
    first.find((l) => l.key === 'learning'),
    { detector: 'new_device', key: 'learning', value: '{"seconds":60}', updated_at: first[0]!.updated_at },
  );
  const baselines = first.filter((l) => l.detector === 'traffic_volume_anomaly');
  assert.ok(baselines.length >= 3);

  read(db, JOIN);
  assert.deepEqual(newDevices(db, 2), [], 'every device is known from the first read');
  // Baselines went on from where they were: more intervals folded in, none started over.
  const again = learned(db);
  for (const b of baselines) {
    const before = (JSON.parse(b.value) as { intervals: number }).intervals;
    const after = JSON.parse(again.find((l) => l.detector === b.detector && l.key === b.key)!.value) as {
      intervals: number;
    };
    assert.ok(after.intervals > before, `${b.key}: ${after.intervals} > ${before}`);
  }

  // Another capture of the same network: its unknown device alerts at once, no second learning period.
  read(db, SSH);
  const firstPacket = dbRows<{ first_packet: string }>(
    db,
    'SELECT first_packet FROM captures WHERE id = 3',
  )[0]!;
  const raised = newDevices(db, 3);
  assert.equal(raised.length, 1);
  const secondsIn =
    (Date.parse(`${raised[0]!.first_seen}Z`) - Date.parse(`${firstPacket.first_packet}Z`)) / 1000;
  assert.ok(secondsIn < 60, `raised ${secondsIn} s into the capture, within what would be a learning period`);
  // The same capture on a database of its own learns first and raises nothing.
  const fresh = join(dir, 'fresh.db');
  read(fresh, SSH);
  assert.deepEqual(newDevices(fresh, 1), []);
});
