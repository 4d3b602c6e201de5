/**
 * The labelled security corpus: every capture of corpus/security/labels.json replayed with its home
 * networks and blocklist IOCs; a required detection missed or a must_not detection raised fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judge, replayLabelled, securityLabels } from './support/security.js';

const labels = securityLabels();

test('the labelled corpus is all there', () => {
  assert.ok(Object.keys(labels).length >= 46);
});

for (const [file, label] of Object.entries(labels)) {
  test(`security corpus: ${file}`, async () => {
    const alerts = await replayLabelled(file, label);
    const v = judge(alerts, label);
    const seen = alerts.map((a) => `${a.type}${a.variant === null ? '' : `/${a.variant}`} ${a.src}`);
    assert.deepEqual(
      v.missed.map((e) => `${e.detection} by ${e.attacker ?? '?'}`),
      [],
      `required detections missed; raised: ${seen.join('; ')}`,
    );
    assert.deepEqual(
      v.falseAlarms.map((a) => `${a.type}: ${a.message}`),
      [],
      'must_not detections raised',
    );
  });
}

test('replaying a capture twice gives the same alerts (packet time only)', async () => {
  const file = 'gen__arp_spoof_mitm_gateway.pcap';
  const shape = async (): Promise<string[]> =>
    (await replayLabelled(file, labels[file]!)).map((a) => JSON.stringify({ ...a, id: '' })).sort();
  assert.deepEqual(await shape(), await shape());
});
