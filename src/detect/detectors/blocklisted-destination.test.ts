import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DetectorHarness } from '../../../test/support/detect-events.js';
import { Blocklist } from '../blocklist.js';
import { blocklistedDestination } from './blocklisted-destination.js';
import type { HttpLog, TlsLog } from '../../schema/streams.js';

test('blocklist formats: plain, CIDR, Spamhaus DROP, abuse.ch CSV, hosts file, JSON lines', () => {
  const bl = new Blocklist();
  const n = bl.addText(
    [
      '# comment',
      '203.0.113.10',
      '198.51.100.0/24 ; SBL123456',
      '"2021-01-17 07:44:46","51.178.161.32","4643","online","2024-01-01","QakBot"',
      '"1","2024-01-01","http://bad.example.org/x.exe","online"',
      '0.0.0.0 tracker.example.com',
      '{"cidr":"192.0.2.0/25","sblid":"SBL1"}',
      'evil.example.net',
    ].join('\n'),
  );
  assert.equal(n, 7);
  assert.ok(bl.addresses.hasText('203.0.113.10'));
  assert.ok(bl.addresses.hasText('198.51.100.77'));
  assert.ok(bl.addresses.hasText('51.178.161.32'));
  assert.ok(bl.addresses.hasText('192.0.2.100'));
  assert.ok(!bl.addresses.hasText('192.0.2.200'));
  assert.equal(bl.matchDomain('cdn.evil.example.net'), 'evil.example.net');
  assert.equal(bl.matchDomain('bad.example.org'), 'bad.example.org');
  assert.equal(bl.matchDomain('tracker.example.com'), 'tracker.example.com');
  assert.equal(bl.matchDomain('example.net'), null);
});

test('traffic to a listed address raises one alert per host and address; unlisted traffic none', () => {
  const bl = new Blocklist();
  bl.addEntry('184.170.149.0/24');
  const h = new DetectorHarness(blocklistedDestination, {}, { blocklist: bl });
  h.packet({ ts: 0, src: '192.168.122.145', dst: '93.184.216.34', dport: 80, flags: 0x02 });
  assert.equal(h.alerts.length, 0);
  for (let i = 0; i < 10; i++)
    h.packet({ ts: i, src: '192.168.122.145', dst: '184.170.149.44', dport: 80, flags: 0x18 });
  h.packet({ ts: 10.5, src: '184.170.149.44', dst: '192.168.122.145', sport: 80, dport: 40000, flags: 0x18 });
  assert.equal(h.alerts.length, 1);
  const a = h.alerts[0]!;
  assert.equal(a.src, '192.168.122.145');
  assert.equal(a.dst, '184.170.149.44');
  assert.equal((a.evidence as { entry: string }).entry, '184.170.149.0/24');
});

test('with an empty blocklist the detector is inert', () => {
  const h = new DetectorHarness(blocklistedDestination);
  h.packet({ ts: 0, src: '192.168.1.2', dst: '184.170.149.44', dport: 80, flags: 0x02 });
  assert.equal(h.alerts.length, 0);
});

test('a listed domain in an HTTP Host header or a TLS server name (from the application logs)', () => {
  const bl = new Blocklist();
  bl.addEntry('homealldaylong.com');
  const h = new DetectorHarness(blocklistedDestination, {}, { blocklist: bl });
  const base = {
    ts: 1_000_000,
    uid: 'C1',
    orig_h: '192.168.122.145',
    orig_p: 49160,
    resp_h: '184.170.149.44',
    resp_p: 80,
  };
  h.engine.appLog('http', { ...base, host: 'www.example.org' } as unknown as HttpLog);
  assert.equal(h.alerts.length, 0);
  h.engine.appLog('http', { ...base, host: 'HomeAllDayLong.com:80' } as unknown as HttpLog);
  h.engine.appLog('tls', {
    ...base,
    resp_p: 443,
    server_name: 'cdn.homealldaylong.com',
  } as unknown as TlsLog);
  assert.equal(h.alerts.length, 1, 'one alert per client and listed domain');
  const a = h.alerts[0]!;
  assert.equal(a.count, 2);
  assert.equal(a.src, '192.168.122.145');
  assert.equal((a.evidence as { entry: string }).entry, 'homealldaylong.com');
});

test('a lookup of a listed domain (a DNS query, over UDP or TCP, from the dns log)', () => {
  const bl = new Blocklist();
  bl.addEntry('evil.example.net');
  const h = new DetectorHarness(blocklistedDestination, {}, { blocklist: bl });
  h.dns({ ts: 1, src: '192.168.1.20', dst: '192.168.1.1', name: 'www.example.net' });
  assert.equal(h.alerts.length, 0);
  h.dns({ ts: 2, src: '192.168.1.20', dst: '192.168.1.1', name: 'CDN.Evil.Example.NET.' });
  assert.equal(h.alerts.length, 1);
  const a = h.alerts[0]!;
  assert.equal(a.variant, 'domain');
  assert.equal(a.src, '192.168.1.20');
  assert.equal(a.dst, '192.168.1.1');
  assert.deepEqual(a.evidence, {
    entry: 'evil.example.net',
    name: 'cdn.evil.example.net',
    seen_in: 'dns',
    uid: 'C2',
  });
});
