/**
 * The labelled security corpus: every capture of corpus/security/labels.json replayed with its home
 * networks and blocklist IOCs; a required detection missed or a must_not detection raised fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judge, replayLabelled, securityLabels } from './support/security.js';
import { corpusCaptures } from './support/corpus.js';
import { DetectionEngine } from '../src/detect/engine.js';
import { DETECTORS } from '../src/detect/registry.js';
import type { Alert } from '../src/detect/suppress.js';
import { fileInputs, readCaptures } from '../src/pipeline.js';

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

/** Detections that describe rather than accuse; everything else counts towards alert floods. */
const INFORMATIONAL = new Set([
  'external_connection',
  'new_device',
  'plaintext_credentials',
  'blocklisted_destination',
  'traffic_volume_anomaly',
]);

test('the 112-capture development corpus with default settings: no failure, no alert flood', async () => {
  const captures = corpusCaptures();
  assert.ok(captures.length >= 100);
  const alerting: string[] = [];
  for (const c of captures) {
    const alerts = new Map<string, Alert>();
    const engine = new DetectionEngine({
      detectors: DETECTORS.map((detector) => ({ detector, thresholds: {} })),
      onAlert: (a) => alerts.set(a.id, a),
    });
    await readCaptures({ inputs: fileInputs([c.path]), detect: engine, flows: { uidSeed: 1 } });
    const accusing = [...alerts.values()].filter((a) => !INFORMATIONAL.has(a.type));
    assert.ok(accusing.length <= 3, `${c.name}: ${accusing.map((a) => a.message).join('; ')}`);
    for (const a of accusing) alerting.push(`${c.name}: ${a.type}`);
  }
  // nmap's host discovery before a version scan is a real ARP sweep.
  assert.ok(alerting.includes('scan-nmap-version-detection: ping_sweep'), alerting.join('\n'));
});
