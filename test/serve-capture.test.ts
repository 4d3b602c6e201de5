/**
 * `nta serve --capture` end to end on the loopback device: one process captures (real libpcap) into a real
 * SQLite database and serves it; datagrams sent to 127.0.0.3 from this test show up in the API, in the live
 * feed (counted by the pipeline) and in /metrics; SIGTERM finalizes the capture and exits 0. Needs root, as
 * capturing does; CI runs as root.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NTA, dbRows, workDir } from './support/cli.js';
import { sampleValue, seriesBy } from './support/prometheus.js';
import { startServe } from './support/serve.js';
import {
  CAPTURE_TARGET as TARGET,
  UDP_RUN_FRAME_BYTES,
  UDP_RUN_PACKETS,
  assertUdpRunMetrics,
  metricsOf,
  serveCaptureUdp,
  summaryOnceStored,
} from './support/serve-capture.js';

const work = workDir('nta-serve-capture-');

test(
  'serve --capture: the API, the live feed and /metrics see the packets; SIGTERM finalizes the capture, exit 0',
  { timeout: 60_000 },
  async () => {
    assert.equal(process.getuid?.(), 0, 'live capture tests need root');
    const db = join(work, 'live.db');
    const sent = UDP_RUN_PACKETS;
    const frameBytes = UDP_RUN_FRAME_BYTES;
    const { server, live } = await serveCaptureUdp(47951, ['--db', db]);
    assert.deepEqual(
      live.runningCaptures,
      live.runningCaptures.map(() => 1),
    );
    assert.deepEqual(live.perProtocol, { UDP: sent });
    assert.equal(live.bytes, sent * frameBytes);

    const summary = await summaryOnceStored(server.url, sent);
    assert.equal(summary.packets, sent);
    assert.equal(summary.bytes, sent * frameBytes);
    assert.deepEqual(
      summary.captures.map((c) => [c.source, c.status]),
      [['lo', 'running']],
    );
    assertUdpRunMetrics(await metricsOf(server.url));

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
  const metrics = await metricsOf(server.url);
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
