/**
 * What `nta serve` reports at `GET /metrics`, gathered when scraped: from the pipeline of `serve --capture`
 * or from the database. The server turns it into Prometheus text; it never sees where the figures came from.
 */

/** Packets and bytes per protocol name, counted from some starting point on: differences are rates. */
export interface TrafficTotals {
  readonly packets: Readonly<Record<string, number>>;
  readonly bytes: Readonly<Record<string, number>>;
}

export interface AlertCount {
  readonly type: string;
  readonly severity: string;
  readonly count: number;
}

/** A null figure is not known from this source, and its metric is left out rather than shown as 0. */
export interface MetricsSnapshot {
  readonly traffic: TrafficTotals;
  /** Packets lost: by the kernel (ps_drop), by the interface (ps_ifdrop), by nta falling behind. */
  readonly drops: { readonly kernel: number; readonly interface: number; readonly behind: number | null };
  /** Flows in the flow table now. */
  readonly flowsActive: number | null;
  /** Flows ended (and logged). */
  readonly flowsTotal: number | null;
  /** Alerts raised, by type and severity. */
  readonly alerts: readonly AlertCount[];
  /** Batches handed to the database writer and not yet written. */
  readonly storeQueueDepth: number | null;
  /** Whether packets are being captured into the database. */
  readonly captureUp: boolean;
}
