import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { MetricsSnapshot } from '../schema/metrics.js';

export const METRICS_PATH = '/metrics';

/**
 * `GET /metrics`: Prometheus text exposition (format 0.0.4). The nta_* figures are read fresh at every scrape
 * into a registry of their own, so a figure the source does not know (null) is left out instead of being
 * shown as 0; the process_* and nodejs_* metrics of prom-client are kept in a registry for the server's life.
 */
export function metricsRoutes(
  app: FastifyInstance,
  options: {
    readonly snapshot: () => MetricsSnapshot | Promise<MetricsSnapshot>;
    readonly version: string;
  },
): void {
  const processMetrics = new Registry();
  collectDefaultMetrics({ register: processMetrics });
  app.get(
    METRICS_PATH,
    {
      schema: {
        summary:
          'Prometheus metrics (text/plain, exposition format 0.0.4): packets, bytes, drops, flows, alerts',
      },
    },
    async (_req, reply) => {
      const registry = Registry.merge([
        snapshotRegistry(await options.snapshot(), options.version),
        processMetrics,
      ]);
      // prom-client writes NaN (an event-loop figure before its first sample) as `Nan`; Prometheus reads it
      // either way, but the format's spelling is `NaN`.
      const text = (await registry.metrics()).replace(/ Nan$/gm, ' NaN');
      return reply.type(registry.contentType).send(text);
    },
  );
}

function snapshotRegistry(s: MetricsSnapshot, version: string): Registry {
  const registers = [new Registry()];
  const counter = (name: string, help: string, labelNames: string[] = []): Counter =>
    new Counter({ name, help, labelNames, registers });
  const gauge = (name: string, help: string, labelNames: string[] = []): Gauge =>
    new Gauge({ name, help, labelNames, registers });

  gauge('nta_build_info', 'The nta version serving these metrics (always 1)', ['version']).set(
    { version },
    1,
  );
  gauge('nta_capture_up', 'Whether packets are being captured into the database (1) or not (0)').set(
    s.captureUp ? 1 : 0,
  );
  const packets = counter('nta_packets_total', 'Packets by protocol', ['protocol']);
  for (const [protocol, n] of Object.entries(s.traffic.packets)) packets.inc({ protocol }, n);
  const bytes = counter('nta_bytes_total', 'Bytes on the wire by protocol', ['protocol']);
  for (const [protocol, n] of Object.entries(s.traffic.bytes)) bytes.inc({ protocol }, n);
  const drops = counter(
    'nta_drops_total',
    'Packets lost: by the kernel (buffer full), by the interface, or by nta falling behind',
    ['reason'],
  );
  drops.inc({ reason: 'kernel' }, s.drops.kernel);
  drops.inc({ reason: 'interface' }, s.drops.interface);
  if (s.drops.behind !== null) drops.inc({ reason: 'behind' }, s.drops.behind);
  if (s.flowsActive !== null) gauge('nta_flows_active', 'Flows in the flow table').set(s.flowsActive);
  if (s.flowsTotal !== null) counter('nta_flows_total', 'Flows ended and logged').inc(s.flowsTotal);
  const alerts = counter('nta_alerts_total', 'Alerts raised, by severity and type', ['severity', 'type']);
  for (const a of s.alerts) alerts.inc({ severity: a.severity, type: a.type }, a.count);
  if (s.storeQueueDepth !== null)
    gauge('nta_store_queue_depth', 'Batches handed to the database writer and not yet written').set(
      s.storeQueueDepth,
    );
  return registers[0]!;
}
