import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimestampFormatter } from './time.js';

/** The same text from Date: ISO 8601 with the 'T' and 'Z' replaced, milliseconds widened to microseconds. */
function expected(sec: number, nsec: number): string {
  const iso = new Date(sec * 1000).toISOString();
  const micros = String(Math.floor(nsec / 1000)).padStart(6, '0');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${micros}`;
}

test('packet times format as UTC text with truncated microseconds, across second changes', () => {
  const time = new TimestampFormatter();
  const cases: [number, number][] = [
    [0, 0],
    [0, 999],
    [0, 999_999_999],
    [1_795_621_350, 819_463_000],
    [1_795_621_350, 1_000],
    [1_795_621_351, 0],
    [1_795_621_350, 999_999_000],
    [951_782_400, 123_456_789], // 2000-02-29
    [4_102_444_799, 500_000_000], // 2099-12-31 23:59:59
  ];
  for (const [sec, nsec] of cases)
    assert.equal(time.format(sec, nsec), expected(sec, nsec), `${sec}.${nsec}`);
});

test('every microsecond digit position is written (random times against Date)', () => {
  const time = new TimestampFormatter();
  let seed = 12345;
  const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  for (let i = 0; i < 20_000; i++) {
    const sec = 1_700_000_000 + (next() % 5);
    const nsec = next() % 1_000_000_000;
    assert.equal(time.format(sec, nsec), expected(sec, nsec));
  }
});
