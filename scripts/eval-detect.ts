/**
 * `npm run eval`: replays every capture of corpus/security/labels.json through the detectors and prints,
 * per detector, the detection rate over required labels, optional labels hit, and false alarms (files
 * where it fired although the label says it must not).
 */
import { ALERT_TYPES } from '../src/schema/alert.js';
import { judge, replayLabelled, securityLabels } from '../test/support/security.js';

interface Row {
  required: number;
  detected: number;
  optional: number;
  optionalHit: number;
  mustNotFiles: number;
  falseAlarmFiles: number;
}

const rows = new Map<string, Row>(
  ALERT_TYPES.map((t) => [
    t,
    { required: 0, detected: 0, optional: 0, optionalHit: 0, mustNotFiles: 0, falseAlarmFiles: 0 },
  ]),
);
const problems: string[] = [];
for (const [file, label] of Object.entries(securityLabels())) {
  const alerts = await replayLabelled(file, label);
  const v = judge(alerts, label);
  for (const e of label.expected) {
    const r = rows.get(e.detection)!;
    if (e.required) r.required++;
    else r.optional++;
  }
  for (const e of v.requiredHit) rows.get(e.detection)!.detected++;
  for (const e of v.optionalHit) rows.get(e.detection)!.optionalHit++;
  for (const t of label.must_not) rows.get(t)!.mustNotFiles++;
  for (const t of new Set(v.falseAlarms.map((a) => a.type))) rows.get(t)!.falseAlarmFiles++;
  for (const e of v.missed)
    problems.push(`MISSED ${e.detection}${e.variant ? `/${e.variant}` : ''} in ${file}`);
  for (const a of v.falseAlarms) problems.push(`FALSE ALARM ${a.type} in ${file}: ${a.message}`);
}

const pct = (a: number, b: number): string => (b === 0 ? '-' : `${((100 * a) / b).toFixed(0)}%`);
const lines = ['detector                 required  detected  rate   optional hit  false alarms (files)'];
let req = 0;
let det = 0;
let fa = 0;
for (const [t, r] of rows) {
  req += r.required;
  det += r.detected;
  fa += r.falseAlarmFiles;
  lines.push(
    `${t.padEnd(24)} ${String(r.required).padStart(8)}  ${String(r.detected).padStart(8)}  ${pct(r.detected, r.required).padStart(4)}   ${`${r.optionalHit}/${r.optional}`.padStart(12)}  ${`${r.falseAlarmFiles}/${r.mustNotFiles}`.padStart(20)}`,
  );
}
lines.push(
  `${'all'.padEnd(24)} ${String(req).padStart(8)}  ${String(det).padStart(8)}  ${pct(det, req).padStart(4)}   ${''.padStart(12)}  ${String(fa).padStart(20)}`,
);
process.stdout.write(lines.join('\n') + '\n');
if (problems.length > 0) process.stdout.write('\n' + problems.join('\n') + '\n');
