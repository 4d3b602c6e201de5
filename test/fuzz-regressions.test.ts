/**
 * Crash inputs the fuzzer found (test/fuzz-regressions/<target>/<sha1>.bin, written by `npm run fuzz`)
 * replay through their target: each once made nta throw, break an invariant or stall, and must not again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tryInput } from '../scripts/fuzz/engine.js';
import { findTarget } from '../scripts/fuzz/targets.js';
import { REPO_ROOT } from './support/corpus.js';

const DIR = join(REPO_ROOT, 'test', 'fuzz-regressions');
const folders = existsSync(DIR) ? readdirSync(DIR).sort() : [];

test('every regression folder names a fuzz target', () => {
  for (const name of folders) assert.ok(findTarget(name) !== undefined, `unknown target ${name}`);
});

for (const name of folders) {
  const target = findTarget(name);
  if (target === undefined) continue;
  for (const file of readdirSync(join(DIR, name))
    .filter((f) => f.endsWith('.bin'))
    .sort()) {
    test(`fuzz regression ${name}/${file}`, async () => {
      const input = new Uint8Array(readFileSync(join(DIR, name, file)));
      assert.equal(await tryInput(target, input), undefined);
    });
  }
}
