/**
 * `nta serve --capture --db postgres://…` end to end on the loopback device: one process captures (real
 * libpcap) into the real PostgreSQL server (NTA_TEST_PG_URL, .ci/postgres.sh) as its sensor and serves that
 * sensor's rows. Another sensor's rows in the same database must not show in the API or in /metrics, and
 * what they report must equal the database rows of this sensor. Needs root, as capturing does.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from '../src/server/api-types.js';
import { NTA, workDir } from './support/cli.js';
import { PCAPS_DIR } from './support/corpus.js';
import { pgRows, scratchDatabase } from './support/postgres.js';
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

const work = workDir('nta-serve-capture-pg-');

async function getJson<T>(base: string, path: string): Promise<T> {
  const res = await fetch(new URL(path, base));
  assert.equal(res.status, 200, path);
  return (await res.json()) as T;
}

test(
  "serve --capture into PostgreSQL: this host's sensor; the API and /metrics count its rows, not another sensor's",
  { timeout: 90_000 },
  async () => {
    assert.equal(process.getuid?.(), 0, 'live capture tests need root');
    const db = await scratchDatabase();
    const sensor = hostname();
    // Another sensor's capture in the same database, read first.
    const other = spawnSync(
      'node',
      [
        NTA,
        'read',
        '-q',
        '--no-chart',
        '--db',
        db,
        '--sensor',
        'other-sensor',
        join(PCAPS_DIR, 'mixed-home-browsing-tls-dns.pcap'),
      ],
      { cwd: work, encoding: 'utf8' },
    );
    assert.equal(other.status, 0, other.stderr);
    const [otherRows] = await pgRows<{ packets: number; flows: number }>(
      db,
      `SELECT (SELECT COUNT(*) FROM traffic WHERE sensor = 'other-sensor') AS packets,
              (SELECT COUNT(*) FROM flows WHERE sensor = 'other-sensor') AS flows`,
    );
    assert.ok(otherRows!.packets > 0 && otherRows!.flows > 0, JSON.stringify(otherRows));

    const port = 47971;
    const sent = UDP_RUN_PACKETS;
    const frameBytes = UDP_RUN_FRAME_BYTES;
    const { server, live } = await serveCaptureUdp(port, ['--db', db]);
    assert.deepEqual(live.perProtocol, { UDP: sent });
    assert.equal(live.runningCaptures.at(-1), 1, "this sensor's capture only");

    // The API reads the database, scoped to this sensor: the other sensor's packets and capture are not in it.
    const summary = await summaryOnceStored(server.url, sent);
    assert.equal(summary.packets, sent);
    assert.equal(summary.bytes, sent * frameBytes);
    assert.equal(summary.flows, 0, 'the one flow is still open');
    assert.deepEqual(
      summary.captures.map((c) => [c.source, c.status]),
      [['lo', 'running']],
    );
    const [stored] = await pgRows<{ n: number; bytes: number }>(
      db,
      'SELECT COUNT(*) AS n, SUM(length) AS bytes FROM traffic WHERE sensor = $1',
      [sensor],
    );
    assert.deepEqual(stored, { n: summary.packets, bytes: summary.bytes });

    // /metrics: the pipeline's figures, as with SQLite.
    assertUdpRunMetrics(await metricsOf(server.url));

    await server.stop();
    assert.equal(server.child.exitCode, 0);
    const caps = await pgRows<{ status: string; packets: number; bytes: number; ended: boolean }>(
      db,
      'SELECT status, packets, bytes, ended_at IS NOT NULL AS ended FROM captures WHERE sensor = $1',
      [sensor],
    );
    assert.deepEqual(caps, [{ status: 'interrupted', packets: sent, bytes: sent * frameBytes, ended: true }]);
    const flows = await pgRows<{ n: number }>(
      db,
      'SELECT orig_pkts + resp_pkts AS n FROM flows WHERE sensor = $1',
      [sensor],
    );
    assert.deepEqual(flows, [{ n: sent }]);
    const [otherAfter] = await pgRows<{ packets: number; flows: number }>(
      db,
      `SELECT (SELECT COUNT(*) FROM traffic WHERE sensor = 'other-sensor') AS packets,
              (SELECT COUNT(*) FROM flows WHERE sensor = 'other-sensor') AS flows`,
    );
    assert.deepEqual(otherAfter, otherRows);

    // Served again without capturing, the database's /metrics of this sensor give what the pipeline gave,
    // now with the flow ended; the flows page lists it alone.
    const again = await startServe(['--db', db, '--sensor', sensor, '--listen', '127.0.0.1:0']);
    const dbm = await metricsOf(again.url);
    assert.deepEqual(seriesBy(dbm, 'nta_packets_total', ['protocol']), { UDP: sent });
    assert.deepEqual(seriesBy(dbm, 'nta_bytes_total', ['protocol']), { UDP: sent * frameBytes });
    assert.equal(sampleValue(dbm, 'nta_flows_total'), 1);
    assert.equal(sampleValue(dbm, 'nta_capture_up'), 0);
    const page = await getJson<Page<{ resp_h: string; resp_p: number }>>(again.url, 'api/flows');
    assert.equal(page.total, 1);
    assert.deepEqual(
      page.rows.map((r) => [r.resp_h, r.resp_p]),
      [[TARGET, port]],
    );
    await again.stop();
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

test(
  'serve --capture into PostgreSQL: alerts in /metrics and the API as in the alerts table',
  { timeout: 60_000 },
  async () => {
    const db = await scratchDatabase();
    const first = 47980;
    const server = await startServe([
      '--capture',
      '-i',
      'lo',
      '-f',
      `tcp and host ${TARGET} and portrange ${first}-${first + 29}`,
      '--db',
      db,
      '--sensor',
      'scan-sensor',
      '--listen',
      '127.0.0.1:0',
    ]);
    await connectScan(Array.from({ length: 30 }, (_, k) => first + k));
    let apiTotal = 0;
    while (apiTotal === 0) {
      apiTotal = (await getJson<{ total: number }>(server.url, 'api/alerts')).total;
      if (apiTotal === 0) await sleep(200);
    }
    const m = await metricsOf(server.url);
    assert.deepEqual(seriesBy(m, 'nta_alerts_total', ['severity', 'type']), {
      'medium/port_scan_vertical': 1,
    });
    assert.equal(sampleValue(m, 'nta_packets_total', { protocol: 'TCP' }), 60, 'a SYN and a RST per port');
    await server.stop();
    assert.equal(server.child.exitCode, 0);
    const rows = await pgRows<{ sensor: string; severity: string; type: string; n: number }>(
      db,
      'SELECT sensor, severity, type, COUNT(*) AS n FROM alerts GROUP BY 1, 2, 3',
    );
    assert.deepEqual(rows, [{ sensor: 'scan-sensor', severity: 'medium', type: 'port_scan_vertical', n: 1 }]);
    const [traffic] = await pgRows<{ n: number }>(
      db,
      `SELECT COUNT(*) AS n FROM traffic WHERE sensor = 'scan-sensor' AND protocol = 'TCP'`,
    );
    assert.equal(traffic!.n, 60);
  },
);
