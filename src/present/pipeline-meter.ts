import type { LiveStats } from '../capture/live/live-source.js';
import type { Alert } from '../detect/suppress.js';
import type { LiveCounters, PacketObserver } from '../pipeline.js';
import type { AlertCount, MetricsSnapshot, TrafficTotals } from '../schema/metrics.js';

/**
 * The figures of a pipeline running in this process, for the live feed and /metrics of `serve --capture`:
 * it reads the counters the pipeline and the capture keep anyway (it counts nothing per packet itself),
 * plus the alerts raised, when asked, a few times a second at most.
 */
export class PipelineMeter implements PacketObserver {
  #live: LiveCounters | null = null;
  #capture: { readonly stats: LiveStats } | null = null;
  #store: { readonly queueDepth: number } | null = null;
  #running = false;
  readonly #alerts = new Map<string, { type: string; severity: string; count: number }>();

  packet(): void {}

  batchDone(): undefined {
    return undefined;
  }

  started(live: LiveCounters): void {
    this.#live = live;
  }

  /** The capture is open and about to be read; `store` is where its records go, if anywhere. */
  capturing(
    capture: { readonly stats: LiveStats },
    store: { readonly queueDepth: number } | undefined,
  ): void {
    this.#capture = capture;
    this.#store = store ?? null;
    this.#running = true;
  }

  /** The capture ended: the figures stay as they were, and capture_up says 0. */
  stopped(): void {
    this.#running = false;
  }

  /** Counts new alerts by type and by the severity they were raised with. */
  alert(alert: Alert, isNew: boolean): void {
    if (!isNew) return;
    const key = `${alert.type}\u0000${alert.severity}`;
    const seen = this.#alerts.get(key);
    if (seen !== undefined) seen.count++;
    else this.#alerts.set(key, { type: alert.type, severity: alert.severity, count: 1 });
  }

  totals(): TrafficTotals {
    const protocols = this.#live?.protocols;
    return protocols === undefined
      ? { packets: {}, bytes: {} }
      : { packets: protocols.toRecord(), bytes: protocols.bytesRecord() };
  }

  metrics(): MetricsSnapshot {
    const stats = this.#capture?.stats;
    const flows = this.#live?.flows ?? null;
    const alerts: AlertCount[] = [...this.#alerts.values()].map((a) => ({ ...a }));
    return {
      traffic: this.totals(),
      drops: {
        kernel: stats?.dropped ?? 0,
        interface: stats?.ifDropped ?? 0,
        behind: stats?.behindDropped ?? 0,
      },
      flowsActive: flows?.liveFlows ?? null,
      flowsTotal: flows?.flowsEnded ?? null,
      alerts,
      storeQueueDepth: this.#store?.queueDepth ?? null,
      captureUp: this.#running,
    };
  }
}
