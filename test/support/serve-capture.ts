import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Summary } from '../../src/server/api-types.js';
import { sendUdp } from './live.js';
import { parsePrometheusText, sampleValue, seriesBy } from './prometheus.js';
import { openLiveStream, startServe, type ServeProcess } from './serve.js';

/**
 * Traffic of the `serve --capture` tests goes to 127.0.0.3 (loopback too), and their filters name that
 * address: the tests' own HTTP calls to the server on 127.0.0.1, and other programs on the machine, stay out
 * of the counts even when their ephemeral ports fall on the ports used here.
 */
export const CAPTURE_TARGET = '127.0.0.3';

/** Datagrams the UDP run sends, and the bytes each is on lo: Ethernet, IPv4 and UDP headers and 100 bytes. */
export const UDP_RUN_PACKETS = 40;
export const UDP_RUN_FRAME_BYTES = 14 + 20 + 8 + 100;

/** What the live feed's ticks said while the UDP run's datagrams were counted. */
export interface LiveCounts {
  perProtocol: Record<string, number>;
  bytes: number;
  /** runningCaptures of each tick. */
  runningCaptures: number[];
}

/**
 * Starts `nta serve --capture` on lo for UDP to CAPTURE_TARGET:`port` (with `args`), sends UDP_RUN_PACKETS
 * datagrams from one socket (one flow), and returns once the live feed has counted them all.
 */
export async function serveCaptureUdp(
  port: number,
  args: string[],
): Promise<{ server: ServeProcess; live: LiveCounts }> {
  const server = await startServe([
    '--capture',
    '-i',
    'lo',
    '-f',
    `udp and dst host ${CAPTURE_TARGET} and dst port ${port}`,
    ...args,
    '--listen',
    '127.0.0.1:0',
  ]);
  const stream = await openLiveStream(server.url);
  await stream.next(); // the feed has its starting point
  await sendUdp(port, UDP_RUN_PACKETS, 100, CAPTURE_TARGET);
  // The live feed counts packets as the pipeline decodes them.
  const live: LiveCounts = { perProtocol: {}, bytes: 0, runningCaptures: [] };
  let seen = 0;
  while (seen < UDP_RUN_PACKETS) {
    const tick = await stream.next();
    seen += tick.totalPackets;
    live.runningCaptures.push(tick.runningCaptures);
    for (const [p, n] of Object.entries(tick.packets)) live.perProtocol[p] = (live.perProtocol[p] ?? 0) + n;
    live.bytes += Object.values(tick.bytes).reduce((a, b) => a + b, 0);
  }
  await stream.close();
  return { server, live };
}

/** The API's summary once the database holds `packets` packets (the pipeline commits about once a second). */
export async function summaryOnceStored(base: string, packets: number): Promise<Summary> {
  for (;;) {
    const res = await fetch(new URL('api/summary', base));
    assert.equal(res.status, 200);
    const summary = (await res.json()) as Summary;
    if (summary.packets >= packets) return summary;
    await sleep(200);
  }
}

export async function metricsOf(base: string): Promise<ReturnType<typeof parsePrometheusText>> {
  const res = await fetch(new URL('metrics', base));
  assert.equal(res.status, 200);
  return parsePrometheusText(await res.text());
}

/** /metrics of a capture that has decoded the UDP run: its packets and bytes, no drops, its one flow open. */
export function assertUdpRunMetrics(m: ReturnType<typeof parsePrometheusText>): void {
  assert.deepEqual(seriesBy(m, 'nta_packets_total', ['protocol']), { UDP: UDP_RUN_PACKETS });
  assert.deepEqual(seriesBy(m, 'nta_bytes_total', ['protocol']), {
    UDP: UDP_RUN_PACKETS * UDP_RUN_FRAME_BYTES,
  });
  assert.deepEqual(seriesBy(m, 'nta_drops_total', ['reason']), { kernel: 0, interface: 0, behind: 0 });
  assert.equal(sampleValue(m, 'nta_capture_up'), 1);
  assert.equal(sampleValue(m, 'nta_flows_active'), 1, 'one socket, one flow, still open');
  assert.equal(sampleValue(m, 'nta_flows_total'), 0);
  const depth = sampleValue(m, 'nta_store_queue_depth');
  assert.ok(depth !== undefined && depth >= 0, `queue depth ${depth}`);
}
