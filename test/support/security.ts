/**
 * The labelled security corpus (corpus/security/labels.json): replays a capture through the detection
 * engine with the label's home networks and blocklist IOCs, and judges the alerts against the label.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Blocklist } from '../../src/detect/blocklist.js';
import { cidrSetOf } from '../../src/detect/cidr.js';
import { DetectionEngine } from '../../src/detect/engine.js';
import { DETECTORS } from '../../src/detect/registry.js';
import type { Alert } from '../../src/detect/suppress.js';
import { fileInputs, readCaptures } from '../../src/pipeline.js';
import { CORPUS_DIR } from './corpus.js';

export const SECURITY_DIR = join(CORPUS_DIR, 'security');

export interface LabelWindow {
  start_epoch: number;
  end_epoch: number;
}
export interface Expected {
  detection: string;
  required: boolean;
  variant?: string;
  attacker?: string;
  window: LabelWindow;
  blocklist_iocs_to_configure?: { ip?: string[]; domain?: string[] };
}
export interface FileLabel {
  home_networks: string[];
  benign: boolean;
  expected: Expected[];
  must_not: string[];
  may_fire?: string[];
}

export function securityLabels(): Record<string, FileLabel> {
  const labels = JSON.parse(readFileSync(join(SECURITY_DIR, 'labels.json'), 'utf8')) as {
    files: Record<string, FileLabel>;
  };
  return labels.files;
}

/** Replays one labelled capture and returns every alert raised (final state after merging). */
export async function replayLabelled(file: string, label: FileLabel): Promise<Alert[]> {
  const blocklist = new Blocklist();
  for (const e of label.expected) {
    for (const ip of e.blocklist_iocs_to_configure?.ip ?? []) blocklist.addEntry(ip);
    for (const d of e.blocklist_iocs_to_configure?.domain ?? []) blocklist.addEntry(d);
  }
  const alerts = new Map<string, Alert>();
  const engine = new DetectionEngine({
    detectors: DETECTORS.map((detector) => ({ detector, thresholds: {} })),
    home: cidrSetOf(label.home_networks),
    blocklist,
    onAlert: (a) => alerts.set(a.id, a),
  });
  await readCaptures({
    inputs: fileInputs([join(SECURITY_DIR, file)]),
    detect: engine,
    flows: { uidSeed: 1 },
  });
  return [...alerts.values()];
}

const ADDR = /\b(?:\d{1,3}\.){3}\d{1,3}\b|\b(?:[0-9a-f]{2}:){5}[0-9a-f]{2}\b/gi;
/** Seconds of slack when comparing windows (labels are approximate). */
const SLACK = 1;

/** Whether `a` is the label's detection: same type, same attacker (when the label names one), overlapping windows. */
export function matches(a: Alert, e: Expected): boolean {
  if (a.type !== e.detection) return false;
  const tokens = (e.attacker ?? '').match(ADDR) ?? [];
  if (tokens.length > 0) {
    const evidence = JSON.stringify(a.evidence).toLowerCase();
    if (!tokens.some((t) => a.src === t || evidence.includes(t.toLowerCase()))) return false;
  }
  return a.first <= e.window.end_epoch + SLACK && a.last >= e.window.start_epoch - SLACK;
}

export interface Verdict {
  missed: Expected[];
  optionalHit: Expected[];
  requiredHit: Expected[];
  falseAlarms: Alert[];
}

export function judge(alerts: readonly Alert[], label: FileLabel): Verdict {
  const v: Verdict = { missed: [], optionalHit: [], requiredHit: [], falseAlarms: [] };
  for (const e of label.expected) {
    const hit = alerts.some((a) => matches(a, e));
    if (e.required) (hit ? v.requiredHit : v.missed).push(e);
    else if (hit) v.optionalHit.push(e);
  }
  v.falseAlarms = alerts.filter((a) => label.must_not.includes(a.type));
  return v;
}
