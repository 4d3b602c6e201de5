import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatIPv4, formatIPv6, parseIpAddress } from './addr.js';

const parsed = (text: string): string => {
  const b = new Uint8Array(16);
  const n = parseIpAddress(text, b, 0);
  return Buffer.from(b.subarray(0, n)).toString('hex');
};

test('address text parses back to the bytes it was formatted from', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
      assert.equal(parsed(formatIPv6(b, 0)), Buffer.from(b).toString('hex'));
      assert.equal(parsed(formatIPv4(b, 0)), Buffer.from(b.subarray(0, 4)).toString('hex'));
    }),
    { numRuns: 2000 },
  );
  // Runs of zero groups, the likeliest to go wrong, are rare among random bytes.
  for (const text of [
    '::',
    '::1',
    '1::',
    '2001:db8::1:0:0:1',
    '::ffff:10.0.0.1',
    '::10.0.0.1',
    'fe80::1:2:3:4:5',
  ])
    assert.equal(formatIPv6(Buffer.from(parsed(text), 'hex'), 0), text);
});

test('text that is no address parses to nothing', () => {
  for (const text of [
    '',
    '1.2.3',
    '1.2.3.256',
    '1.2.3.4.5',
    '01234.1.1.1',
    ':::',
    '1::2::3',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8:9',
    '12345::',
    'g::',
    '1:2:3:4:5:6:7::8',
    '::1.2.3',
  ])
    assert.equal(parsed(text), '', text);
  assert.equal(parsed('2001:DB8::A'), '20010db800000000000000000000000a');
  assert.equal(parsed('1:2:3:4:5:6:7::'), '00010002000300040005000600070000');
});
