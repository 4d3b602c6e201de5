import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DetectorHarness } from '../../../test/support/detect-events.js';
import { bruteForceLogin } from './brute-force-login.js';
import { c2Beaconing } from './c2-beaconing.js';
import { externalConnection } from './external-connection.js';

test('brute_force_login: min_connections - 1 short SSH connections quiet, min_connections an alert', () => {
  const h = new DetectorHarness(bruteForceLogin);
  for (let i = 0; i < 14; i++)
    h.flow({ ts: i * 2, orig_h: '192.168.77.66', resp_h: '192.168.77.20', resp_p: 22, duration: 1.5 });
  assert.equal(h.alerts.length, 0);
  h.flow({ ts: 40, orig_h: '192.168.77.66', resp_h: '192.168.77.20', resp_p: 22, duration: 1.5 });
  assert.deepEqual(h.types(), ['brute_force_login/ssh']);
  assert.equal(h.alerts[0]!.dstPort, 22);
});

test('brute_force_login: long sessions, other ports and spread-out attempts are not guessing', () => {
  const h = new DetectorHarness(bruteForceLogin);
  for (let i = 0; i < 30; i++)
    h.flow({ ts: i, orig_h: '10.0.0.1', resp_h: '10.0.0.2', resp_p: 22, duration: 600 });
  for (let i = 0; i < 30; i++)
    h.flow({ ts: i, orig_h: '10.0.0.1', resp_h: '10.0.0.2', resp_p: 80, duration: 1 });
  for (let i = 0; i < 30; i++)
    h.flow({ ts: i * 60, orig_h: '10.0.0.3', resp_h: '10.0.0.2', resp_p: 3389, duration: 1 });
  assert.equal(h.alerts.length, 0);
});

const beacon = (h: DetectorHarness, n: number, gap: (i: number) => number, resp = '203.0.113.10'): void => {
  let t = 0;
  for (let i = 0; i < n; i++) {
    h.flow({ ts: t, orig_h: '192.168.77.20', resp_h: resp, resp_p: 8080, duration: 0.05 });
    t += gap(i);
  }
};

test('c2_beaconing: min_connections - 1 regular connections quiet, min_connections an alert', () => {
  const h = new DetectorHarness(c2Beaconing);
  beacon(h, 29, (i) => 10 + ((i * 7) % 5) / 10 - 0.2);
  assert.equal(h.alerts.length, 0);
  const h2 = new DetectorHarness(c2Beaconing);
  beacon(h2, 30, (i) => 10 + ((i * 7) % 5) / 10 - 0.2);
  assert.deepEqual(h2.types(), ['c2_beaconing']);
  assert.equal(h2.alerts[0]!.dst, '203.0.113.10');
});

test('c2_beaconing: irregular connections and inside destinations are not beacons', () => {
  const h = new DetectorHarness(c2Beaconing);
  beacon(h, 60, (i) => [1, 30, 4, 12, 60, 2][i % 6]!);
  beacon(h, 60, () => 6, '192.168.77.30');
  assert.equal(h.alerts.length, 0);
});

test('external_connection: one alert per local host and remote, counting connections', () => {
  const h = new DetectorHarness(externalConnection, {}, { home: ['192.168.1.0/24'] });
  h.flow({ ts: 0, orig_h: '192.168.1.5', resp_h: '192.168.1.6', resp_p: 445 });
  h.flow({ ts: 0, orig_h: '192.168.1.5', resp_h: '224.0.0.251', resp_p: 5353, proto: 'udp' });
  h.flow({ ts: 0, orig_h: '198.51.100.9', resp_h: '192.168.1.5', resp_p: 22, resp_pkts: 0 });
  assert.equal(h.alerts.length, 0);
  h.flow({ ts: 1, orig_h: '192.168.1.5', resp_h: '93.184.216.34', resp_p: 443 });
  h.flow({ ts: 2, orig_h: '192.168.1.5', resp_h: '93.184.216.34', resp_p: 443 });
  assert.equal(h.alerts.length, 1);
  const a = h.alerts[0]!;
  assert.equal(a.src, '192.168.1.5');
  assert.equal(a.count, 2);
  assert.equal(a.severity, 'info');
  h.flow({ ts: 3, orig_h: '192.168.1.5', resp_h: '93.184.216.34', resp_p: 6667 });
  assert.equal(a.severity, 'low', 'an unusual port raises the severity');
});
