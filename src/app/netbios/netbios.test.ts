import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { be16, be32, cat } from '../../decode/frame-builder.js';
import { NetbiosName, parseNetbiosName } from './parser.js';

/** RFC 1001 §14.1 first-level encoding of a 15-character name (space padded) and its suffix byte. */
function encoded(name: string, suffix: number): number[] {
  const raw = [...Buffer.from(name.padEnd(15, ' '), 'latin1'), suffix];
  return [32, ...raw.flatMap((c) => [0x41 + (c >> 4), 0x41 + (c & 15)]), 0];
}

/** A name registration (opcode 5) of `name` at 192.0.2.9; `nbFlags` 0x8000 makes it a group name. */
const registration = (name: string, suffix: number, nbFlags = 0): Uint8Array =>
  cat(
    [0x12, 0x34, ...be16(0x2910), ...be16(1), ...be16(0), ...be16(0), ...be16(1)],
    encoded(name, suffix),
    be16(0x20),
    be16(1),
    [0xc0, 0x0c, ...be16(0x20), ...be16(1), ...be32(300000), ...be16(6), ...be16(nbFlags), 192, 0, 2, 9],
  );

test('a workstation name registration gives the device name and address', () => {
  const out = new NetbiosName();
  const m = registration('LAPTOP-7', 0x00);
  assert.equal(parseNetbiosName(m, 0, m.length, out), true);
  assert.deepEqual([out.name, out.ip], ['LAPTOP-7', '192.0.2.9']);
});

test('group names, browser suffixes, truncation and garbage give no device name', () => {
  const out = new NetbiosName();
  const group = registration('WORKGROUP', 0x00, 0x8000);
  assert.equal(parseNetbiosName(group, 0, group.length, out), false);
  const browser = registration('WORKGROUP', 0x1d);
  assert.equal(parseNetbiosName(browser, 0, browser.length, out), false);
  const m = registration('LAPTOP-7', 0x20);
  for (let n = 0; n < m.length; n++) assert.equal(parseNetbiosName(m, 0, n, out), false);
  for (let i = 0; i < 3000; i++) {
    const g = randomBytes(i % 120);
    parseNetbiosName(g, 0, g.length, out);
  }
});
