import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DetectorHarness } from '../../test/support/detect-events.js';
import { Allowlist } from './allowlist.js';
import { cidrSetOf, DEFAULT_HOME_NETWORKS } from './cidr.js';
import { engineOptions } from './config.js';
import { loadConfigFile } from './config-file.js';
import { defineDetector } from './detector.js';
import { DetectionEngine } from './engine.js';
import { Suppressor, toAlertLog } from './suppress.js';
import { NtaError } from '../core/errors.js';

const notice = (ts: number, identifier = 'x') =>
  ({
    type: 'syn_flood',
    severity: 'high',
    src: '10.0.0.1',
    first: ts,
    ts,
    message: `m${ts}`,
    evidence: { ts },
    identifier,
  }) as const;

test('suppression: a duplicate within the window merges (count, last_seen, evidence); after it a new alert', () => {
  const s = new Suppressor(60);
  const a = s.admit(notice(100));
  assert.equal(a.isNew, true);
  const b = s.admit(notice(160));
  assert.equal(b.isNew, false);
  assert.equal(b.alert, a.alert);
  assert.equal(a.alert.count, 2);
  assert.equal(a.alert.last, 160);
  assert.deepEqual(a.alert.evidence, { ts: 160 });
  assert.equal(s.admit(notice(160, 'other')).isNew, true, 'another identity is another alert');
  const c = s.admit(notice(220.5));
  assert.equal(c.isNew, true, 'more than 60 s after the last sighting');
  assert.notEqual(c.alert.id, a.alert.id);
});

test('alert rows carry traffic.timestamp-ready microseconds and JSON evidence', () => {
  const { alert } = new Suppressor().admit(notice(1231009114.958375));
  const row = toAlertLog(alert);
  assert.equal(row.first_seen, 1231009114958375);
  assert.equal(row.evidence, '{"ts":1231009114.958375}');
  assert.match(row.id, /^A[0-9A-Za-z]{12}$/);
});

test('allowlist entries silence matching alerts only', () => {
  const allow = new Allowlist([{ type: 'syn_flood', src: '10.0.0.0/8', comment: 'load test' }]);
  assert.ok(allow.match(notice(1)) !== undefined);
  assert.equal(allow.match({ ...notice(1), src: '192.168.1.1' }), undefined);
  assert.equal(allow.match({ ...notice(1), type: 'udp_flood' }), undefined);
});

test('the engine dispatches only what a detector subscribed to, and applies the allowlist', () => {
  const seen: string[] = [];
  const probe = defineDetector({
    id: 'syn_flood',
    description: 'test',
    subscribes: ['arp'],
    defaults: {},
    docs: {},
    create: (_cfg, ctx) => ({
      packet: () => seen.push('packet'),
      arp: (ev) => {
        seen.push('arp');
        ctx.emit({ ...notice(ev.ts), src: ev.senderIp === 1 ? '0.0.0.1' : '10.0.0.1' });
      },
    }),
  });
  const h = new DetectorHarness(probe);
  h.packet({ ts: 0, src: '10.0.0.1', dst: '10.0.0.2', flags: 2 });
  h.arp(1, 1, '00:00:00:00:00:01', '10.0.0.1', '00:00:00:00:00:00', '10.0.0.2');
  assert.deepEqual(seen, ['arp']);
  assert.equal(h.alerts.length, 1);
  const engine = new DetectionEngine({
    detectors: [{ detector: probe, thresholds: {} }],
    allowlist: new Allowlist([{ src: '10.0.0.1', comment: 'known' }]),
  });
  engine.arp(
    new Uint8Array([0, 1, 8, 0, 6, 4, 0, 1, 0, 0, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2]),
    0,
    28,
    1,
    1,
    -1,
    -1,
  );
  assert.equal(engine.suppressed, 1);
  assert.equal(engine.drainChanged().length, 0);
});

test('home networks: defaults cover RFC 1918, CGNAT, loopback, link-local and ULA; not public or multicast', () => {
  const home = cidrSetOf(DEFAULT_HOME_NETWORKS);
  for (const a of [
    '10.1.2.3',
    '172.31.255.255',
    '192.168.0.1',
    '100.64.0.1',
    '127.0.0.1',
    '169.254.9.9',
    'fd12::1',
    'fe80::1',
    '::1',
  ])
    assert.ok(home.hasText(a), a);
  for (const a of ['172.32.0.1', '8.8.8.8', '100.128.0.1', '224.0.0.251', '2001:db8::1', 'ff02::1'])
    assert.ok(!home.hasText(a), a);
});

test('config file: thresholds and home networks apply; unknown keys and bad values are one clear error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nta-config-'));
  const good = join(dir, 'good.yaml');
  writeFileSync(
    good,
    'home_networks: [192.168.77.0/24]\ndetectors:\n  syn_flood: { rate: 10 }\n  new_device: { enabled: false }\n',
  );
  const opts = engineOptions({ blocklists: [] }, loadConfigFile(good));
  assert.ok(opts.home!.hasText('192.168.77.5'));
  assert.ok(!opts.home!.hasText('10.0.0.1'));
  assert.deepEqual(opts.detectors.find((d) => d.detector.id === 'syn_flood')!.thresholds, { rate: 10 });
  assert.equal(
    opts.detectors.find((d) => d.detector.id === 'new_device'),
    undefined,
  );
  const cases: [string, RegExp][] = [
    ['detectors:\n  syn_flood: { rates: 10 }\n', /unknown key detectors\.syn_flood\.rates/],
    ['detectors:\n  syn_flod: {}\n', /unknown key detectors\.syn_flod/],
    ['home_networks: [10.0.0.0/40]\n', /home_networks\.0: not an address or CIDR/],
    ['suppress_s: -5\n', /suppress_s:/],
    ['allowlist:\n  - { src: 10.0.0.1 }\n', /allowlist\.0\.comment/],
    ['detectors: [\n', /bad\.yaml: /],
  ];
  for (const [text, re] of cases) {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, text);
    assert.throws(
      () => loadConfigFile(bad),
      (e: unknown) =>
        e instanceof NtaError &&
        e.code === 'NTA_ERR_CONFIG' &&
        re.test(e.message) &&
        !e.message.includes('\n'),
      text,
    );
  }
});
