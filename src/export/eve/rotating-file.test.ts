import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RotatingFile } from './rotating-file.js';

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nta-rotate-'));
  test.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const line = (i: number): string => `{"n":${String(i).padStart(4, '0')}}\n`; // 13 bytes each

test('rotates between whole lines, logrotate style: the newest old file is .1, the oldest beyond keep goes', async () => {
  const path = join(scratch(), 'eve.json');
  const file = new RotatingFile(path, { maxBytes: 40, keep: 2 }); // 3 lines (39 bytes) per file
  await file.write(Array.from({ length: 5 }, (_, i) => line(i)));
  await file.write(Array.from({ length: 6 }, (_, i) => line(5 + i)));
  file.close();
  // 11 lines: files of 0-2, 3-5, 6-8, 9-10; the first file was dropped (keep 2).
  assert.equal(file.rotations, 3);
  assert.equal(readFileSync(path, 'utf8'), line(9) + line(10));
  assert.equal(readFileSync(`${path}.1`, 'utf8'), line(6) + line(7) + line(8));
  assert.equal(readFileSync(`${path}.2`, 'utf8'), line(3) + line(4) + line(5));
  assert.equal(existsSync(`${path}.3`), false);
});

test('appends to an existing file and counts its size; a line longer than the limit gets a file of its own', async () => {
  const path = join(scratch(), 'eve.json');
  writeFileSync(path, line(0) + line(1));
  const file = new RotatingFile(path, { maxBytes: 30, keep: 5 });
  const long = `{"pad":"${'x'.repeat(50)}"}\n`;
  await file.write([line(2), long, line(3)]);
  file.close();
  assert.equal(file.rotations, 3);
  assert.equal(readFileSync(`${path}.3`, 'utf8'), line(0) + line(1));
  assert.equal(readFileSync(`${path}.2`, 'utf8'), line(2));
  assert.equal(readFileSync(`${path}.1`, 'utf8'), long);
  assert.equal(readFileSync(path, 'utf8'), line(3));
});

test('keep 0 drops the full file instead of renaming it', async () => {
  const path = join(scratch(), 'eve.json');
  const file = new RotatingFile(path, { maxBytes: 26, keep: 0 });
  await file.write([line(0), line(1), line(2)]);
  file.close();
  assert.equal(readFileSync(path, 'utf8'), line(2));
  assert.equal(existsSync(`${path}.1`), false);
});

test('a path that cannot be opened throws at construction, before anything is written', () => {
  assert.throws(() => new RotatingFile(join(scratch(), 'missing', 'eve.json'), { maxBytes: 100, keep: 1 }), {
    code: 'ENOENT',
  });
});
