/** Address keys: IPv4 text to its value and back, for every address, and rejection of what is not one. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ipv4Text, parseIPv4 } from './addr-key.js';

test('parseIPv4 inverts ipv4Text for any 32-bit value', () => {
  fc.assert(
    fc.property(fc.nat(0xffffffff), (v) => {
      assert.equal(parseIPv4(ipv4Text(v)), v);
    }),
    { numRuns: 5000 },
  );
});

test('parseIPv4: anything but four dot-separated decimal parts of 0–255 is -1', () => {
  assert.equal(parseIPv4('255.255.255.255'), 0xffffffff);
  assert.equal(parseIPv4('010.0.0.1'), (10 << 24) + 1, 'leading zeros read as decimal, as before');
  for (const bad of [
    '',
    '1.2.3',
    '1.2.3.4.5',
    '1.2.3.256',
    '1..3.4',
    '.1.2.3',
    '1.2.3.',
    '1.2.3.4 ',
    '1.2.3.0004',
    '::1',
    '1.2.3.x',
    '-1.2.3.4',
  ])
    assert.equal(parseIPv4(bad), -1, JSON.stringify(bad));
});
