import type { Detector } from '../detect/detector.js';

/** `nta detectors`: each detector with what it watches and its thresholds (defaults and meaning). */
export function formatDetectorList(detectors: readonly Detector[]): string {
  const lines: string[] = [];
  for (const d of detectors) {
    lines.push(`${d.id}: ${d.description} [${d.subscribes.join(', ')}]`);
    for (const [k, v] of Object.entries(d.defaults))
      lines.push(`  ${k} = ${v}  ${d.docs[k] ?? ''}`.trimEnd());
  }
  return lines.join('\n') + '\n';
}
