/** Detection through the CLI: alerts table, EVE file, console lines, `nta alerts` and muting. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dbRows, NTA, workDir } from './support/cli.js';
import { SECURITY_DIR } from './support/security.js';
import { ALERT_TYPES } from '../src/schema/alert.js';

const dir = workDir('nta-alerts-');
const SYN_SCAN = join(SECURITY_DIR, 'scan_vertical_syn__evilfingers_nmap_TCP_SYN_SCAN.pcap');
const CRYPTOWALL = join(SECURITY_DIR, 'blocklist_cryptowall4_c2__cs_cryptowall4_c2.pcapng');

const nta = (...args: string[]) => spawnSync('node', [NTA, ...args], { encoding: 'utf8' });

interface AlertDbRow {
  id: string;
  type: string;
  variant: string | null;
  src_ip: string;
  dst_ip: string | null;
  first_seen: string;
  last_seen: string;
  count: number;
  evidence: string;
  mitre: string | null;
}

test('nta read stores alerts, prints a line per new alert on stderr and writes EVE JSON lines', () => {
  const db = join(dir, 'scan.db');
  const eve = join(dir, 'scan.eve.json');
  const r = nta('read', '--db', db, '--no-chart', '--eve', eve, '--home-net', '192.168.1.0/24', SYN_SCAN);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /ALERT \[medium\] port_scan_vertical\/syn 192\.168\.1\.10 -> 192\.168\.1\.25: /);
  assert.match(r.stderr, /^Alerts: \d+ \(/m);
  const rows = dbRows<AlertDbRow>(db, `SELECT * FROM alerts WHERE type = 'port_scan_vertical'`);
  assert.equal(rows.length, 1);
  const a = rows[0]!;
  assert.equal(a.src_ip, '192.168.1.10');
  assert.equal(a.dst_ip, '192.168.1.25');
  assert.equal(a.first_seen, '2009-01-03 18:58:34.958375');
  assert.match(a.last_seen, /^2009-01-03 18:58:3[56]\.\d{6}$/);
  assert.ok(a.count > 1, 'merged updates are written in place');
  assert.equal(a.mitre, 'T1046');
  assert.ok((JSON.parse(a.evidence) as { distinct_ports: number }).distinct_ports >= 20);
  const lines = readFileSync(eve, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const first = lines.find((l) => (l['alert'] as { category: string }).category === 'port_scan_vertical')!;
  assert.equal(first['event_type'], 'alert');
  assert.equal(first['src_ip'], '192.168.1.10');
  assert.equal(first['dest_ip'], '192.168.1.25');
  assert.match(first['timestamp'] as string, /^2009-01-03T18:58:3\d\.\d{6}\+0000$/);
  assert.equal((first['nta'] as { id: string }).id, a.id);
  // One line when raised, one more at the end with the merged count as stored.
  const sameAlert = lines.filter((l) => (l['nta'] as { id: string }).id === a.id);
  assert.equal(sameAlert.length, 2);
  assert.equal((sameAlert[0]!['nta'] as { count: number }).count, 1);
  assert.equal((sameAlert[1]!['nta'] as { count: number }).count, a.count);
});

test('-q keeps alerts off the console; --no-detect raises none', () => {
  const q = nta('read', '-q', '--no-db', '--no-chart', '--home-net', '192.168.1.0/24', SYN_SCAN);
  assert.equal(q.status, 0);
  assert.doesNotMatch(q.stderr, /ALERT/);
  const db = join(dir, 'off.db');
  const off = nta('read', '-q', '--db', db, '--no-chart', '--no-detect', SYN_SCAN);
  assert.equal(off.status, 0);
  assert.doesNotMatch(off.stderr, /Alerts:/);
  assert.equal(dbRows(db, 'SELECT * FROM alerts').length, 0);
});

test('--blocklist and nta alerts --type/--json; mute turns an alert into an allowlist entry', () => {
  const db = join(dir, 'cw.db');
  const list = join(dir, 'drop.txt');
  writeFileSync(list, '; Spamhaus DROP style\n184.170.149.0/24 ; SBL000001\n');
  const r = nta(
    'read',
    '-q',
    '--db',
    db,
    '--no-chart',
    '--blocklist',
    list,
    '--home-net',
    '192.168.122.0/24',
    CRYPTOWALL,
  );
  assert.equal(r.status, 0, r.stderr);
  const json = execFileSync(
    'node',
    [NTA, 'alerts', '--db', db, '--type', 'blocklisted_destination', '--json'],
    {
      encoding: 'utf8',
    },
  );
  const alerts = json
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { id: string; src_ip: string; evidence: { entry: string } });
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0]!.src_ip, '192.168.122.145');
  assert.equal(alerts[0]!.evidence.entry, '184.170.149.0/24');
  const text = execFileSync('node', [NTA, 'alerts', '--db', db], { encoding: 'utf8' });
  assert.match(text, /blocklisted_destination 192\.168\.122\.145 -> 184\.170\.149\.44:80/);

  const muted = execFileSync(
    'node',
    [NTA, 'alerts', 'mute', alerts[0]!.id, '--comment', 'lab replay', '--db', db],
    {
      encoding: 'utf8',
    },
  );
  assert.match(
    muted,
    /^muted: #1 type=blocklisted_destination src=192\.168\.122\.145 dst=184\.170\.149\.44 port=80 "lab replay"/,
  );
  const again = nta(
    'read',
    '-q',
    '--db',
    db,
    '--no-chart',
    '--json',
    '--blocklist',
    list,
    '--home-net',
    '192.168.122.0/24',
    CRYPTOWALL,
  );
  assert.equal(again.status, 0, again.stderr);
  const summary = JSON.parse(again.stdout) as { alerts: Record<string, number> };
  assert.equal(summary.alerts['blocklisted_destination'], undefined, 'the muted alert is not raised again');
  assert.equal(summary.alerts['external_connection'], 1);
  assert.match(execFileSync('node', [NTA, 'alerts', 'allowlist', '--db', db], { encoding: 'utf8' }), /^#1 /);
  execFileSync('node', [NTA, 'alerts', 'unmute', '1', '--db', db]);
  assert.equal(execFileSync('node', [NTA, 'alerts', 'allowlist', '--db', db], { encoding: 'utf8' }), '');
});

test('a bad config is one line on stderr and exit status 2, before anything is read', () => {
  const cfg = join(dir, 'bad.yaml');
  writeFileSync(cfg, 'detectors:\n  port_scan_vertical: { min_portz: 3 }\n');
  const r = nta('read', '--db', join(dir, 'never.db'), '--config', cfg, SYN_SCAN);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, `nta: ${cfg}: unknown key detectors.port_scan_vertical.min_portz\n`);
  const m = nta('alerts', 'mute', 'Anope', '--comment', 'x', '--db', join(dir, 'scan.db'));
  assert.equal(m.status, 2);
  assert.match(m.stderr, /no alert Anope/);
});

test('nta detectors lists every alert type with its documented defaults', () => {
  const text = execFileSync('node', [NTA, 'detectors'], { encoding: 'utf8' });
  for (const t of ALERT_TYPES) assert.match(text, new RegExp(`^${t}: `, 'm'));
  assert.match(text, /^ {2}min_ports = 20 {2}distinct destination ports/m);
  assert.match(text, /^ {2}learning_s = 60 /m);
});
