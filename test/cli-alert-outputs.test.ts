/**
 * Webhook and syslog alert outputs through the CLI, with real receivers on 127.0.0.1: what they get is
 * exactly the alerts table; receivers that are down or slow (issue 9) get retries and never hold up the read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { dbRows, workDir } from './support/cli.js';
import {
  closedPort,
  httpReceiver,
  type HttpReceiver,
  type SyslogReceiver,
  parseSyslog5424,
  runNta,
  tcpSyslogReceiver,
  udpSyslogReceiver,
} from './support/receivers.js';
import { SECURITY_DIR, securityLabels } from './support/security.js';

/** The alert records of an EVE file (it holds flows and metadata records too). */
const alertLines = (eve: string): string[] =>
  readFileSync(eve, 'utf8')
    .trim()
    .split('\n')
    .filter((l) => (JSON.parse(l) as { event_type: string }).event_type === 'alert');

const dir = workDir('nta-alert-outputs-');
const BEACON = 'gen__c2_beacon_http_10s.pcap';
const label = securityLabels()[BEACON]!;
const blocklist = join(dir, 'iocs.txt');
writeFileSync(
  blocklist,
  label.expected.flatMap((e) => [...(e.blocklist_iocs_to_configure?.ip ?? [])]).join('\n') + '\n',
);
const homeNets = label.home_networks.flatMap((n) => ['--home-net', n]);
const readArgs = (db: string, ...more: string[]): string[] => [
  'read',
  '--db',
  db,
  '--no-chart',
  ...homeNets,
  '--blocklist',
  blocklist,
  ...more,
  join(SECURITY_DIR, BEACON),
];

interface AlertRow {
  id: string;
  type: string;
  severity: string;
  src_ip: string;
  dst_ip: string | null;
  dst_port: number | null;
  count: number;
  mitre: string | null;
}
interface EveAlert {
  src_ip: string;
  event_type: string;
  nta: { id: string; type: string; count: number };
}
interface Delivery {
  output: string;
  target: string;
  sent: number;
  failed: number;
  dropped: number;
}

/** The last message of each alert id, by id (a merged alert is sent again at the end with its final count). */
function latestById<T>(messages: readonly T[], id: (m: T) => string): Map<string, T> {
  const out = new Map<string, T>();
  for (const m of messages) out.set(id(m), m);
  return out;
}

test('webhook, UDP and TCP syslog receivers get exactly the alerts of the alerts table', async () => {
  const hook = await httpReceiver();
  const udp = await udpSyslogReceiver();
  const tcp = await tcpSyslogReceiver();
  try {
    const db = join(dir, 'beacon.db');
    const eve = join(dir, 'beacon.eve.json');
    const r = await runNta(
      readArgs(
        db,
        '--json',
        '--eve',
        eve,
        '--webhook',
        hook.url,
        '--syslog',
        `udp://127.0.0.1:${udp.port}`,
        '--syslog',
        `tcp://127.0.0.1:${tcp.port}`,
      ),
    );
    assert.equal(r.status, 0, r.stderr);
    const rows = dbRows<AlertRow>(db, 'SELECT * FROM alerts ORDER BY id');
    const types = new Set(rows.map((a) => a.type));
    for (const t of ['c2_beaconing', 'external_connection', 'blocklisted_destination'])
      assert.ok(types.has(t), `${t} raised`);
    const eveLines = alertLines(eve);

    // Webhook: the EVE records, one POST per EVE line, the final one per alert as stored.
    const posted = hook.bodies.map((b) => JSON.parse(b) as EveAlert);
    assert.deepEqual(
      posted.map((p) => JSON.stringify(p)),
      eveLines,
    );
    const byId = latestById(posted, (p) => p.nta.id);
    assert.deepEqual(
      [...byId.keys()].sort(),
      rows.map((a) => a.id),
    );
    for (const a of rows) {
      const p = byId.get(a.id)!;
      assert.equal(p.event_type, 'alert');
      assert.equal(p.src_ip, a.src_ip);
      assert.equal(p.nta.type, a.type);
      assert.equal(p.nta.count, a.count);
    }

    // Syslog: RFC 5424 over UDP and over TCP (octet counting), the same messages.
    assert.equal(udp.messages.length, eveLines.length);
    assert.deepEqual(
      tcp.messages.map((m) => parseSyslog5424(m).sd['nta@32473']!['id']),
      udp.messages.map((m) => parseSyslog5424(m).sd['nta@32473']!['id']),
    );
    const parsed = udp.messages.map(parseSyslog5424);
    const syslogById = latestById(parsed, (m) => m.sd['nta@32473']!['id']!);
    assert.deepEqual(
      [...syslogById.keys()].sort(),
      rows.map((a) => a.id),
    );
    const severity: Record<string, number> = { high: 2, medium: 4, low: 5, info: 6 };
    for (const a of rows) {
      const m = syslogById.get(a.id)!;
      assert.equal(m.version, 1);
      assert.equal(m.pri, 21 * 8 + severity[a.severity]!, 'facility local5');
      assert.equal(m.appName, 'nta');
      assert.equal(m.msgId, a.type);
      assert.match(m.procId, /^[0-9]+$/);
      const sd = m.sd['nta@32473']!;
      assert.equal(sd['type'], a.type);
      assert.equal(sd['src_ip'], a.src_ip);
      assert.equal(sd['dst_ip'], a.dst_ip ?? undefined);
      assert.equal(sd['dst_port'], a.dst_port === null ? undefined : String(a.dst_port));
      assert.equal(sd['count'], String(a.count));
      assert.equal(sd['mitre'], a.mitre ?? undefined);
      assert.match(sd['first_seen']!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      assert.ok(m.msg.length > 0);
    }

    const summary = JSON.parse(r.stdout) as { alertOutputs: Delivery[] };
    assert.deepEqual(summary.alertOutputs, [
      { output: 'webhook', target: hook.url, sent: eveLines.length, failed: 0, dropped: 0 },
      {
        output: 'syslog',
        target: `udp://127.0.0.1:${udp.port}`,
        sent: eveLines.length,
        failed: 0,
        dropped: 0,
      },
      {
        output: 'syslog',
        target: `tcp://127.0.0.1:${tcp.port}`,
        sent: eveLines.length,
        failed: 0,
        dropped: 0,
      },
    ]);
  } finally {
    await Promise.all([hook.close(), udp.close(), tcp.close()]);
  }
});

test('receivers down at first (connection refused) get every alert once they start', async () => {
  const hookPort = await closedPort();
  const tcpPort = await closedPort();
  let hook: HttpReceiver | undefined;
  let tcp: SyslogReceiver | undefined;
  const starting: Promise<unknown>[] = [];
  let hookStarted = false;
  let tcpStarted = false;
  const db = join(dir, 'down.db');
  try {
    const r = await runNta(
      readArgs(
        db,
        '-q',
        '--webhook',
        `http://127.0.0.1:${hookPort}/alerts`,
        '--syslog',
        `tcp://127.0.0.1:${tcpPort}`,
      ),
      {
        // Each receiver starts when nta has said that its first attempt failed.
        onStderr: (text) => {
          if (!hookStarted && text.includes(`http://127.0.0.1:${hookPort}/alerts: `)) {
            hookStarted = true;
            starting.push(httpReceiver({ port: hookPort }).then((x) => (hook = x)));
          }
          if (!tcpStarted && text.includes(`tcp://127.0.0.1:${tcpPort}: `)) {
            tcpStarted = true;
            starting.push(tcpSyslogReceiver(tcpPort).then((x) => (tcp = x)));
          }
        },
      },
    );
    await Promise.all(starting);
    assert.equal(starting.length, 2, r.stderr);
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`webhook http://127\\.0\\.0\\.1:${hookPort}/alerts: .*ECONNREFUSED.*; retrying`),
    );
    assert.match(r.stderr, new RegExp(`syslog tcp://127\\.0\\.0\\.1:${tcpPort}: .*ECONNREFUSED.*; retrying`));
    const ids = dbRows<{ id: string }>(db, 'SELECT id FROM alerts ORDER BY id').map((a) => a.id);
    assert.ok(ids.length >= 3);
    const posted = hook!.bodies.map((b) => (JSON.parse(b) as EveAlert).nta.id);
    assert.deepEqual([...new Set(posted)].sort(), ids);
    const logged = tcp!.messages.map((m) => parseSyslog5424(m).sd['nta@32473']!['id']!);
    assert.deepEqual([...new Set(logged)].sort(), ids);
    assert.match(r.stderr, new RegExp(`Alerts to webhook \\S+: ${posted.length} sent, 0 failed, 0 dropped`));
    assert.match(r.stderr, new RegExp(`Alerts to syslog \\S+: ${logged.length} sent, 0 failed, 0 dropped`));
  } finally {
    await Promise.all([hook?.close(), tcp?.close()]);
  }
});

test('a receiver that answers nothing until the read is over does not hold the read up', async () => {
  const hook = await httpReceiver({ hold: true });
  const counted = await runNta(['read', '--no-db', '--json', join(SECURITY_DIR, BEACON)]);
  const packets = (JSON.parse(counted.stdout) as { packets: number }).packets;
  let linesBeforeAnswer = -1;
  // A read blocked on the webhook would never finish its packet lines: the receiver gives in after a while.
  let gaveIn = false;
  const safety = setTimeout(() => {
    gaveIn = true;
    hook.release();
  }, 60_000);
  try {
    const db = join(dir, 'slow.db');
    const eve = join(dir, 'slow.eve.json');
    const r = await runNta(readArgs(db, '--eve', eve, '--webhook', hook.url), {
      onStdout: (text) => {
        const lines = text.split('\n').length - 1;
        if (linesBeforeAnswer < 0 && lines === packets) {
          linesBeforeAnswer = lines;
          // Then it answers, seconds after the requests came, one batch a second.
          const answerSlowly = (): void => {
            hook.release();
            setTimeout(answerSlowly, 1000).unref();
          };
          setTimeout(answerSlowly, 2000).unref();
        }
      },
    });
    clearTimeout(safety);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(gaveIn, false, 'the read went on while the receiver answered nothing');
    assert.equal(linesBeforeAnswer, packets, 'every packet line was out before the receiver answered');
    const frames = r.stdout.trim().split('\n');
    assert.equal(frames.length, packets);
    const times = frames.map((l) => l.slice(0, 26));
    assert.deepEqual([...times].sort(), times, 'packet lines in capture order');
    assert.ok(hook.bodies.length >= 1, 'the first alert reached the receiver while it held its answer');
    const m = /Alerts to webhook \S+: (\d+) sent, (\d+) failed, (\d+) dropped/.exec(r.stderr);
    assert.ok(m !== null, r.stderr);
    const [sent, failed, dropped] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const messages = alertLines(eve).length;
    assert.equal(sent + failed + dropped, messages, 'every alert message delivered or counted');
    assert.ok(sent >= 1);
    const ids = new Set(dbRows<{ id: string }>(db, 'SELECT id FROM alerts').map((a) => a.id));
    for (const b of hook.bodies) assert.ok(ids.has((JSON.parse(b) as EveAlert).nta.id));
  } finally {
    clearTimeout(safety);
    await hook.close();
  }
});

test('the config file names receivers, facility and app name; bad targets are one line and exit status 2', async () => {
  const hook = await httpReceiver();
  const udp = await udpSyslogReceiver();
  try {
    const config = join(dir, 'outputs.yaml');
    writeFileSync(
      config,
      `webhook: ${hook.url}\nsyslog: [udp://127.0.0.1:${udp.port}]\nsyslog_facility: auth\nsyslog_app_name: nta-lab\n`,
    );
    const db = join(dir, 'config.db');
    const r = await runNta(readArgs(db, '-q', '--config', config, '--webhook', hook.url));
    assert.equal(r.status, 0, r.stderr);
    const ids = dbRows<{ id: string }>(db, 'SELECT id FROM alerts ORDER BY id').map((a) => a.id);
    // The same URL in the file and on the command line is one receiver.
    assert.equal(r.stderr.match(/Alerts to webhook/g)?.length, 1);
    assert.deepEqual([...new Set(hook.bodies.map((b) => (JSON.parse(b) as EveAlert).nta.id))].sort(), ids);
    const m = parseSyslog5424(udp.messages[0]!);
    assert.equal(m.pri >> 3, 4, 'facility auth');
    assert.equal(m.appName, 'nta-lab');
  } finally {
    await Promise.all([hook.close(), udp.close()]);
  }
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'syslog: udp://127.0.0.1\n');
  for (const [args, message] of [
    [['--config', bad], /^nta: .*bad\.yaml: syslog: expected udp:\/\/HOST:PORT or tcp:\/\/HOST:PORT\n$/],
    [['--webhook', 'ftp://example.org/'], /--webhook <url>.*expected an http:\/\/ or https:\/\/ URL/],
    [['--syslog', 'tcp://example.org'], /--syslog <url>.*expected udp:\/\/HOST:PORT or tcp:\/\/HOST:PORT/],
    [['--syslog-facility', 'local9'], /--syslog-facility <name>.*local9.*Allowed choices/],
    [['--no-detect', '--webhook', 'http://127.0.0.1:9/'], /cannot be used with --no-detect/],
  ] as const) {
    const r = await runNta(['read', '--no-db', '-q', ...args, join(SECURITY_DIR, BEACON)]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, message);
  }
});

test('nta capture sends its alerts too (root, loopback): a port scan reaches the webhook and syslog', async () => {
  const hook = await httpReceiver();
  const tcp = await tcpSyslogReceiver();
  // Closed ports below the ephemeral range: each SYN gets a RST, and no receiver port is among them.
  const ports = Array.from({ length: 25 }, (_, i) => 20001 + i);
  let scanned: Promise<void> | undefined;
  try {
    const db = join(dir, 'capture.db');
    const r = await runNta(
      [
        'capture',
        '-i',
        'lo',
        '-f',
        `tcp portrange ${ports[0]}-${ports.at(-1)}`,
        '-a',
        'duration:3',
        '-q',
        '--no-chart',
        '--db',
        db,
        '--webhook',
        hook.url,
        '--syslog',
        `tcp://127.0.0.1:${tcp.port}`,
      ],
      {
        onStderr: (text) => {
          if (scanned === undefined && text.includes('capturing on lo')) scanned = scan(ports);
        },
      },
    );
    await scanned;
    assert.equal(r.status, 0, r.stderr);
    const rows = dbRows<{ id: string; type: string }>(db, 'SELECT id, type FROM alerts ORDER BY id');
    assert.ok(
      rows.some((a) => a.type === 'port_scan_vertical'),
      JSON.stringify(rows),
    );
    const ids = rows.map((a) => a.id);
    assert.deepEqual([...new Set(hook.bodies.map((b) => (JSON.parse(b) as EveAlert).nta.id))].sort(), ids);
    assert.deepEqual(
      [...new Set(tcp.messages.map((m) => parseSyslog5424(m).sd['nta@32473']!['id']!))].sort(),
      ids,
    );
    assert.match(
      r.stderr,
      new RegExp(`Alerts to webhook \\S+: ${hook.bodies.length} sent, 0 failed, 0 dropped`),
    );
  } finally {
    await Promise.all([hook.close(), tcp.close()]);
  }
});

/** A connect scan of closed ports on 127.0.0.1, one port after another. */
async function scan(ports: readonly number[]): Promise<void> {
  for (const port of ports)
    await new Promise<void>((resolve) => {
      const c = createConnection(port, '127.0.0.1');
      c.on('error', () => resolve());
      c.on('connect', () => {
        c.destroy();
        resolve();
      });
    });
}
