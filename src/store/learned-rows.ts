import type { LearnedEntry } from '../schema/learned.js';

/** `learned` rows as stored (value as JSON text) to entries; a value that is not JSON is left out. */
export function parseLearned(
  rows: Iterable<{ readonly detector: string; readonly key: string; readonly value: string }>,
): LearnedEntry[] {
  const out: LearnedEntry[] = [];
  for (const r of rows) {
    try {
      out.push({ detector: r.detector, key: r.key, value: JSON.parse(r.value) as unknown });
    } catch {
      // edited by hand, say: the detector learns that key again
    }
  }
  return out;
}
