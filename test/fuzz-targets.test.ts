/**
 * Every fuzz target runs briefly with a fixed seed (see scripts/fuzz): no crash, and it really ran. A crash
 * found here is reproduced and minimised with `npm run fuzz -- --target NAME --seed 20261126`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlockCoverage } from '../scripts/fuzz/coverage.js';
import { fuzz } from '../scripts/fuzz/engine.js';
import { Watchdog } from '../scripts/fuzz/watchdog.js';

const SECONDS = 3;
const SEED = 20261126;
/**
 * That the target really ran, not how fast: a loaded machine managed only 65 iterations of one target in
 * SECONDS (speed is `npm run fuzz`'s report, never a test's assertion).
 */
const MIN_ITERATIONS = 10;

// Coverage starts before nta's modules load, as in the fuzz command.
const coverage = new BlockCoverage('/dist/src/');
const { TARGETS } = await import('../scripts/fuzz/targets.js');
// A hang never returns to the test; the watchdog saves the input, says where, and ends the process.
const watchdog = new Watchdog(30_000, join(tmpdir(), 'nta-fuzz-hangs'));
test.after(async () => {
  await watchdog.close();
  coverage.close();
});

for (const target of TARGETS) {
  test(
    `fuzz target ${target.name}: ${SECONDS} s guided, seed ${SEED}, no crash`,
    { timeout: 120_000 },
    async () => {
      const r = await fuzz(target, coverage, {
        seconds: SECONDS,
        seed: SEED,
        guided: true,
        beforeRun: (input) => watchdog.beforeRun(input),
      });
      assert.deepEqual(
        r.crashes.map(
          (c) => `${c.kind}: ${c.message} (input ${Buffer.from(c.input).toString('hex').slice(0, 200)})`,
        ),
        [],
      );
      assert.ok(r.iterations >= MIN_ITERATIONS, `only ${r.iterations} iterations`);
      assert.ok(r.seeds > 0, 'no seeds from the corpus');
      assert.ok(r.blocks > 0, 'no coverage blocks seen');
    },
  );
}
