import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCount } from './numbers.js';

test('counts read as Intl en-US writes them: whole numbers grouped by hand, others through Intl', () => {
  const intl = new Intl.NumberFormat('en-US');
  const cases = [0, 7, 999, 1000, 12_345, 999_999, 1_000_000, 928_946_238, -1, -1234, -999_999_999];
  let seed = 7;
  for (let i = 0; i < 2000; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    cases.push(seed * 1021, -seed, seed % 100_000);
  }
  cases.push(Number.MAX_SAFE_INTEGER, 1234.5678, 0.5, 1e21, Number.NaN);
  for (const n of cases) assert.equal(formatCount(n), intl.format(n), String(n));
});
