/**
 * `nta alerts --pcap ID -w FILE` on the labelled security corpus: for one capture per detection type, each
 * alert's evidence file is read back with tshark and must hold exactly the frames tshark itself selects from
 * the source capture with a display filter built from the alert's evidence (named frames, the parties'
 * frames of its frame span, its flows' 5-tuples within their time spans): same times, same bytes (MD5 of
 * each frame), same order. Then the errors: a capture file that is gone, and a live capture without -w.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dbRows, NTA, workDir } from './support/cli.js';
import { evidenceFilterOf, tsharkFrames, type AlertRow } from './support/evidence.js';
import { capture, sendUdp } from './support/live.js';
import { pgRows, scratchDatabase } from './support/postgres.js';
import { SECURITY_DIR, securityLabels, type FileLabel } from './support/security.js';

const dir = workDir('nta-alerts-pcap-');
const nta = (...args: string[]) => spawnSync('node', [NTA, ...args], { encoding: 'utf8' });

/** `nta read` of one labelled capture with the label's home networks and blocklist entries. */
function readLabelled(file: string, label: FileLabel, db: string): void {
  const iocs = label.expected.flatMap((e) => [
    ...(e.blocklist_iocs_to_configure?.ip ?? []),
    ...(e.blocklist_iocs_to_configure?.domain ?? []),
  ]);
  const args = ['read', '-q', '--no-chart', '--db', db];
  for (const n of label.home_networks) args.push('--home-net', n);
  if (iocs.length > 0) {
    const list = `${db}.blocklist`;
    writeFileSync(list, iocs.join('\n') + '\n');
    args.push('--blocklist', list);
  }
  const r = nta(...args, join(SECURITY_DIR, file));
  assert.equal(r.status, 0, r.stderr);
}

/** The first labelled capture that must raise each detection type. */
function oneCapturePerType(): [string, FileLabel][] {
  const labels = securityLabels();
  const chosen = new Map<string, string>();
  for (const [file, label] of Object.entries(labels))
    for (const e of label.expected) if (e.required && !chosen.has(e.detection)) chosen.set(e.detection, file);
  return [...new Set(chosen.values())].map((f) => [f, labels[f]!]);
}

/** Alerts checked per type and capture: enough to meet every evidence shape, few enough to stay quick. */
const PER_TYPE = 2;

test(
  'the evidence file of each alert holds exactly the frames its evidence names',
  { timeout: 600_000 },
  () => {
    const captures = oneCapturePerType();
    assert.ok(captures.length >= 12, `${captures.length} captures`);
    const typesChecked = new Set<string>();
    let alertsChecked = 0;
    let framesChecked = 0;
    for (const [file, label] of captures) {
      const db = join(dir, `${file}.db`);
      readLabelled(file, label, db);
      const alerts = dbRows<AlertRow>(db, 'SELECT * FROM alerts ORDER BY type, first_seen_us, id');
      assert.ok(alerts.length > 0, `${file}: no alerts`);
      const perType = new Map<string, number>();
      for (const a of alerts) {
        const n = perType.get(a.type) ?? 0;
        if (n >= PER_TYPE) continue;
        perType.set(a.type, n + 1);
        const out = join(dir, `${a.id}.pcapng`);
        const r = nta('alerts', '--db', db, '--pcap', a.id, '-w', out);
        assert.equal(r.status, 0, `${file} ${a.type} ${a.id}: ${r.stderr}`);
        const expected = tsharkFrames(join(SECURITY_DIR, file), evidenceFilterOf(db, a));
        const written = tsharkFrames(out);
        assert.ok(
          expected.length > 0,
          `${file} ${a.type} ${a.id}: the evidence names no frame of the capture`,
        );
        assert.deepEqual(written, expected, `${file} ${a.type} ${a.id}`);
        assert.match(r.stderr, new RegExp(`^${expected.length} frames? of alert ${a.id} written to `));
        typesChecked.add(a.type);
        alertsChecked++;
        framesChecked += written.length;
        rmSync(out);
      }
    }
    // Every detection type of the labels was met, with each evidence shape: spans, single frames, flows.
    for (const t of [
      'port_scan_vertical',
      'syn_flood',
      'arp_spoof',
      'gratuitous_arp_storm',
      'brute_force_login',
    ])
      assert.ok(typesChecked.has(t), `no ${t} alert checked`);
    assert.ok(alertsChecked >= 20, `${alertsChecked} alerts`);
    process.stderr.write(
      `# ${alertsChecked} alerts of ${typesChecked.size} types, ${framesChecked} frames\n`,
    );
  },
);

test('a capture file that is gone, a bad id and a missing -w: one line each, no output file', () => {
  const label = securityLabels()['gen__garp_storm.pcap']!;
  const copy = join(dir, 'moved.pcap');
  copyFileSync(join(SECURITY_DIR, 'gen__garp_storm.pcap'), copy);
  const db = join(dir, 'moved.db');
  const r0 = nta(
    'read',
    '-q',
    '--no-chart',
    '--db',
    db,
    ...label.home_networks.flatMap((n) => ['--home-net', n]),
    copy,
  );
  assert.equal(r0.status, 0, r0.stderr);
  rmSync(copy);
  const id = dbRows<{ id: string }>(db, `SELECT id FROM alerts WHERE type = 'gratuitous_arp_storm'`)[0]!.id;
  const out = join(dir, 'gone.pcapng');
  const r = nta('alerts', '--db', db, '--pcap', id, '-w', out);
  assert.equal(r.status, 1);
  assert.equal(r.stderr, `nta: alert ${id}: its capture file ${copy} is gone\n`);
  assert.equal(existsSync(out), false);
  const bad = nta('alerts', '--db', db, '--pcap', 'Anope', '-w', out);
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, `nta: ${db}: no alert Anope\n`);
  const noW = nta('alerts', '--db', db, '--pcap', id);
  assert.equal(noW.status, 2);
  assert.equal(noW.stderr, 'nta: --pcap ID and -w FILE go together\n');
});

/** Runs `nta capture` on loopback while it is sent 12 datagrams to 127.0.0.2; it stops by itself (-c). */
async function captureLo(args: string[]): Promise<void> {
  const run = await capture(['-i', 'lo', '-q', '--no-chart', ...args], () =>
    sendUdp(47931, 12, 24, '127.0.0.2'),
  );
  assert.equal(run.code, 0, run.stderr);
}

test(
  'live on loopback: with -w the evidence comes from the -w file, without it a clear error',
  { timeout: 60_000 },
  async () => {
    assert.equal(process.getuid?.(), 0, 'live capture tests need root');
    const list = join(dir, 'live.blocklist');
    writeFileSync(list, '127.0.0.2\n');
    const detect = ['--home-net', '127.0.0.1/32', '--blocklist', list, '-f', 'udp port 47931', '-c', '12'];
    const saved = join(dir, 'live.pcapng');
    const withW = join(dir, 'live-w.db');
    await captureLo(['--db', withW, '-w', saved, ...detect]);
    // The blocklist alert names its frames, the outside-address alert its flows (by uid).
    const alerts = dbRows<AlertRow>(withW, 'SELECT * FROM alerts ORDER BY type');
    assert.deepEqual(
      alerts.map((a) => a.type),
      ['blocklisted_destination', 'external_connection'],
    );
    for (const a of alerts) {
      const out = join(dir, `${a.id}.pcapng`);
      const r = nta('alerts', '--db', withW, '--pcap', a.id, '-w', out);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`\\(from ${saved}\\)$`, 'm'));
      const expected = tsharkFrames(saved, evidenceFilterOf(withW, a));
      assert.ok(expected.length > 0);
      assert.deepEqual(tsharkFrames(out), expected, a.type);
    }

    const without = join(dir, 'live.db');
    await captureLo(['--db', without, ...detect]);
    const id = dbRows<{ id: string }>(
      without,
      `SELECT id FROM alerts WHERE type = 'blocklisted_destination'`,
    )[0]!.id;
    const out = join(dir, 'unsaved.pcapng');
    const r2 = nta('alerts', '--db', without, '--pcap', id, '-w', out);
    assert.equal(r2.status, 1);
    assert.equal(
      r2.stderr,
      `nta: alert ${id}: cannot read its packets again: they were captured live on lo and not saved (no -w file, or a ring buffer)\n`,
    );
    assert.equal(existsSync(out), false);
  },
);

test('from PostgreSQL, an alert of one sensor gives the same evidence frames as from SQLite', async () => {
  const file = 'scan_vertical_syn__evilfingers_nmap_TCP_SYN_SCAN.pcap';
  const source = join(SECURITY_DIR, file);
  const sqlite = join(dir, 'pg-evidence.db');
  const url = await scratchDatabase();
  for (const [db, sensor] of [
    [sqlite, undefined],
    [url, 'other'],
    [url, 'ev'],
  ] as const) {
    const r = nta(
      'read',
      '-q',
      '--no-chart',
      '--db',
      db,
      ...(sensor === undefined ? [] : ['--sensor', sensor]),
      source,
    );
    assert.equal(r.status, 0, r.stderr);
  }
  const key = `type || '|' || src_ip || '|' || COALESCE(dst_ip, '') || '|' || CAST(first_seen_us AS TEXT)`;
  const want = dbRows<{ id: string; k: string }>(sqlite, `SELECT id, ${key} AS k FROM alerts ORDER BY k`);
  const got = await pgRows<{ id: string; k: string }>(
    url,
    `SELECT * FROM (SELECT id, ${key} AS k FROM alerts WHERE sensor = 'ev') a ORDER BY k COLLATE "C"`,
  );
  assert.ok(want.length > 0);
  assert.deepEqual(
    got.map((a) => a.k),
    want.map((a) => a.k),
  );
  const a = want[0]!;
  const b = got[0]!;
  const fromSqlite = join(dir, 'from-sqlite.pcapng');
  const fromPg = join(dir, 'from-pg.pcapng');
  let r = nta('alerts', '--db', sqlite, '--pcap', a.id, '-w', fromSqlite);
  assert.equal(r.status, 0, r.stderr);
  r = nta('alerts', '--db', url, '--sensor', 'ev', '--pcap', b.id, '-w', fromPg);
  assert.equal(r.status, 0, r.stderr);
  const frames = tsharkFrames(fromSqlite);
  assert.ok(frames.length > 0);
  assert.deepEqual(tsharkFrames(fromPg), frames);
  // Another sensor's alert is not this reader's.
  r = nta('alerts', '--db', url, '--sensor', 'other', '--pcap', b.id, '-w', join(dir, 'none.pcapng'));
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /no alert/);
});
