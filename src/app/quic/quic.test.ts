import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { cat } from '../../decode/frame-builder.js';
import { AppHarness } from '../app-harness.js';
import { InitialHeader, QUIC_V1, decryptInitial, initialKeys } from './initial.js';

test('Initial keys equal RFC 9001 Appendix A.1 for DCID 8394c8f03e515708', () => {
  const keys = initialKeys(QUIC_V1, Buffer.from('8394c8f03e515708', 'hex'))!;
  const hex = (k: { key: Buffer; iv: Buffer; hp: Buffer }): string[] =>
    [k.key, k.iv, k.hp].map((b) => b.toString('hex'));
  assert.deepEqual(hex(keys.client), [
    '1f369613dd76d5467730efcbe3b1a22d',
    'fa044b2f42a3fd3b46fb255c',
    '9f50449e04a0e810283a1e9933adedd2',
  ]);
  assert.deepEqual(hex(keys.server), [
    'cf3a5331653c364c88f0f379b6067e37',
    '0ac1493ca1905853b0bba03e',
    'c206b8d9b9f0f37644430b490eeaa314',
  ]);
  assert.equal(initialKeys(0x6b3343cf, Buffer.alloc(8)), null, 'QUIC v2 and unknown versions: no keys');
});

/** A v1 long header Initial with an 8-byte DCID, no SCID, no token and `payload` as its (protected) rest. */
const initial = (payload: Uint8Array): Uint8Array =>
  cat(
    [0xc3, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0x40 | (payload.length >> 8), payload.length & 0xff],
    payload,
  );

test('an Initial that does not authenticate is rejected, not thrown', () => {
  const b = initial(randomBytes(1200));
  const h = new InitialHeader();
  assert.ok(h.parse(b, 0, b.length));
  assert.equal(h.end, b.length);
  assert.equal(decryptInitial(b, 0, h, initialKeys(QUIC_V1, b.subarray(6, 14))!.client), null);
});

test('garbage and cut Initials through the dispatcher never throw and log no names', () => {
  const h = new AppHarness(443);
  h.udp(true, initial(randomBytes(1200))); // the flow's first datagram picks the QUIC parser
  for (let i = 0; i < 300; i++) {
    const b = initial(randomBytes(1200));
    h.udp(i % 3 !== 0, i % 5 === 0 ? b.subarray(0, 10 + (i % 40)) : b);
    h.udp(true, randomBytes(i % 64));
  }
  h.end();
  assert.ok(h.quic.every((r) => r.server_name === null));
  assert.ok(h.app.anomalies()['quic.decrypt_failed']! > 0);
});
