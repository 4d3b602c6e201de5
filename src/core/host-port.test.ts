import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHostPort } from './host-port.js';

test('HOST:PORT and [IPv6]:PORT are endpoints; anything else is not', () => {
  assert.deepEqual(parseHostPort('127.0.0.1:4739'), { host: '127.0.0.1', port: 4739 });
  assert.deepEqual(parseHostPort('collector.example:9995'), { host: 'collector.example', port: 9995 });
  assert.deepEqual(parseHostPort('[::1]:4739'), { host: '::1', port: 4739 });
  for (const bad of [
    '',
    '127.0.0.1',
    '127.0.0.1:',
    ':4739',
    '127.0.0.1:0',
    '127.0.0.1:65536',
    '::1:4739',
    '[x]:1',
    'a b:1',
    'udp://h:1',
  ])
    assert.equal(parseHostPort(bad), null, bad);
});
