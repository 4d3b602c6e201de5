/**
 * `nta serve --capture` end to end on the loopback device: one process captures (real libpcap) into a real
 * SQLite database and serves it; datagrams sent to 127.0.0.3 from this test show up in the API, in the live
 * feed (counted by the pipeline) and in /metrics; SIGTERM finalizes the capture and exits 0. Needs root, as
 * capturing does; CI runs as root.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Summary } from '../src/server/api-types.js';
import { NTA, dbRows, workDir } from './support/cli.js';
import { parsePrometheusText, sampleValue, seriesBy } from './support/prometheus.js';
import { openLiveStream, startServe } from './support/serve.js';

const work = workDir('nta-serve-capture-');

/**
 * Traffic goes to 127.0.0.3 (loopback too), and the filters name that address: the test's own HTTP calls
 * to the server on 127.0.0.1, and other programs on the machine, stay out of the counts even when their
 * ephemeral ports fall on the ports used here.
 */
const TARGET = '127.0.0.3';

/** `count` datagrams of `size` bytes from one socket to TARGET:`port`: one flow. */
async function sendUdp(port: number, count: number, size: number): Promise<void> {
  const s = createSocket('udp4');
  for (let i = 0; i < count; i++) await new Promise((r) => s.send(Buffer.alloc(size, i), port, TARGET, r));
  s.close();
}

test(
  'serve --capture: the API, the live feed and /metrics see the packets; SIGTERM finalizes the capture, exit 0',
  { timeout: 60_000 },
  async () => {
    assert.equal(process.getuid?.(), 0, 'live capture tests need root');
    const db = join(work, 'live.db');
    const port = 47951;
    const server = await startServe([
      '--capture',
      '-i',
      'lo',
      '-f',
      `udp and dst host ${TARGET} and dst port ${port}`,
      '--db',
      db,
      '--listen',
      '127.0.0.1:0',
    ]);
    const live = await openLiveStream(server.url);
    await live.next(); // the feed has its starting point
    const sent = 40;
    const frameBytes = 14 + 20 + 8 + 100; // Ethernet (lo), IPv4, UDP headers and the payload
    await sendUdp(port, sent, 100);

    // The live feed counts packets as the pipeline decodes them.
    let seen = 0;
    let seenBytes = 0;
    const perProtocol: Record<string, number> = {};
    while (seen < sent) {
      const tick = await live.next();
      assert.equal(tick.runningCaptures, 1);
      seen += tick.totalPackets;
      for (const [p, n] of Object.entries(tick.packets)) perProtocol[p] = (perProtocol[p] ?? 0) + n;
      seenBytes += Object.values(tick.bytes).reduce((a, b) => a + b, 0);
    }
    assert.deepEqual(perProtocol, { UDP: sent });
    assert.equal(seenBytes, sent * frameBytes);
    await live.close();

    // The API reads the database, which the pipeline commits to about once a second.
    let summary: Summary;
    for (;;) {
      summary = (await (await fetch(new URL('api/summary', server.url))).json()) as Summary;
      if (summary.packets >= sent) break;
      await sleep(200);
    }
    assert.equal(summary.packets, sent);
    assert.equal(summary.bytes, sent * frameBytes);
    assert.deepEqual(
      summary.captures.map((c) => [c.source, c.status]),
      [['lo', 'running']],
    );

    const res = await fetch(new URL('metrics', server.url));
    assert.equal(res.status, 200);
    const m = parsePrometheusText(await res.text());
    assert.deepEqual(seriesBy(m, 'nta_packets_total', ['protocol']), { UDP: sent });
    assert.deepEqual(seriesBy(m, 'nta_bytes_total', ['protocol']), { UDP: sent * frameBytes });
    assert.deepEqual(seriesBy(m, 'nta_drops_total', ['reason']), { kernel: 0, interface: 0, behind: 0 });
    assert.equal(sampleValue(m, 'nta_capture_up'), 1);
    assert.equal(sampleValue(m, 'nta_flows_active'), 1, 'one socket, one flow, still open');
    assert.equal(sampleValue(m, 'nta_flows_total'), 0);
    const depth = sampleValue(m, 'nta_store_queue_depth');
    assert.ok(depth !== undefined && depth >= 0, `queue depth ${depth}`);

    await server.stop();
    assert.equal(server.child.exitCode, 0);
    const [cap] = dbRows<{ status: string; packets: number; bytes: number; ended_at: string | null }>(
      db,
      'SELECT status, packets, bytes, ended_at FROM captures',
    );
    assert.equal(cap!.status, 'interrupted');
    assert.equal(cap!.packets, sent);
    assert.equal(cap!.bytes, sent * frameBytes);
    assert.notEqual(cap!.ended_at, null);
    const [rows] = dbRows<{ n: number; bytes: number }>(
      db,
      'SELECT COUNT(*) AS n, SUM(length) AS bytes FROM traffic',
    );
    assert.deepEqual(rows, { n: sent, bytes: sent * frameBytes });
    // The flow ends with the capture and is stored with every packet counted.
    const flows = dbRows<{ n: number }>(db, 'SELECT orig_pkts + resp_pkts AS n FROM flows');
    assert.deepEqual(flows, [{ n: sent }]);
  },
);

/** A connect() to each port of `ports` on TARGET, where nothing listens: SYN, then RST from the kernel. */
async function connectScan(ports: number[]): Promise<void> {
  for (const port of ports)
    await new Promise<void>((resolve) => {
      const c = createConnection(port, TARGET);
      c.on('error', () => resolve());
      c.on('connect', () => {
        c.destroy();
        resolve();
      });
    });
}

test('alerts the pipeline raises are in /metrics as in the alerts table', { timeout: 60_000 }, async () => {
  const db = join(work, 'scan.db');
  const first = 47960;
  const server = await startServe([
    '--capture',
    '-i',
    'lo',
    '-f',
    `tcp and host ${TARGET} and portrange ${first}-${first + 29}`,
    '--db',
    db,
    '--listen',
    '127.0.0.1:0',
  ]);
  await connectScan(Array.from({ length: 30 }, (_, k) => first + k));
  // The detector fires at its 20th port; the store has the row once the pipeline has handed it over.
  let apiTotal = 0;
  while (apiTotal === 0) {
    const page = (await (await fetch(new URL('api/alerts', server.url))).json()) as { total: number };
    apiTotal = page.total;
    if (apiTotal === 0) await sleep(200);
  }
  const metrics = parsePrometheusText(await (await fetch(new URL('metrics', server.url))).text());
  assert.deepEqual(seriesBy(metrics, 'nta_alerts_total', ['severity', 'type']), {
    'medium/port_scan_vertical': 1,
  });
  assert.equal(
    sampleValue(metrics, 'nta_packets_total', { protocol: 'TCP' }),
    60,
    'a SYN and a RST per port',
  );
  await server.stop();
  assert.equal(server.child.exitCode, 0);
  const rows = dbRows<{ severity: string; type: string; n: number }>(
    db,
    'SELECT severity, type, COUNT(*) AS n FROM alerts GROUP BY 1, 2',
  );
  assert.deepEqual(rows, [{ severity: 'medium', type: 'port_scan_vertical', n: 1 }]);
});

test('capture options without --capture, and --sensor with a SQLite --db, are refused with one line', async () => {
  for (const [args, message] of [
    [['-i', 'lo'], /--interface is for capturing: add --capture/],
    [['-f', 'udp'], /--filter is for capturing: add --capture/],
    [['--retention', '7d'], /--retention is for capturing: add --capture/],
    [
      ['--capture', '-i', 'lo', '--sensor', 's1', '--db', join(work, 'sensor.db')],
      /--sensor needs a PostgreSQL --db/,
    ],
  ] as const) {
    const r = spawnSync('node', [NTA, 'serve', ...args, '--listen', '127.0.0.1:0'], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('serve --capture on a missing interface fails before serving, with one line', async () => {
  const r = spawnSync(
    'node',
    [
      NTA,
      'serve',
      '--capture',
      '-i',
      'nta-no-such0',
      '--db',
      join(work, 'none.db'),
      '--listen',
      '127.0.0.1:0',
    ],
    { encoding: 'utf8' },
  );
  assert.notEqual(r.status, 0);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /nta-no-such0/);
  assert.doesNotMatch(r.stderr, /serving/);
});
