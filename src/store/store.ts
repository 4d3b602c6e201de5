import type { CaptureEnd, CaptureStart } from '../schema/captures.js';
import type { AlertLog } from '../schema/alert.js';
import type { LogOf, LogStream } from '../schema/streams.js';
import type { TrafficRecords } from '../schema/traffic.js';

/**
 * Where the pipeline's records go. SQLite is the embedded default; other back ends implement the same
 * interface. Writes are whole batches (one transaction each), never single packets, and never block the
 * packet path longer than it takes to hand a batch over.
 */
export interface Store {
  readonly path: string;
  /** Batches (traffic, logs, alerts) handed over and not yet in the database: the writer's backlog. */
  readonly queueDepth: number;
  /** An empty record batch to fill; waits while too many batches are in flight (backpressure). */
  records(capacity: number): Promise<TrafficRecords>;
  /** Creates the `captures` row for a source and returns its id. */
  startCapture(start: CaptureStart): Promise<number>;
  /** Takes ownership of `records` and returns an empty batch to fill next. */
  writeTraffic(records: TrafficRecords, captureId: number): Promise<TrafficRecords>;
  /**
   * Hands finished records of one log stream (flows, dns, tls, http) over; the array is owned by the store
   * afterwards. Returns at once; the write happens in order with the traffic batches.
   */
  writeLogs<S extends LogStream>(stream: S, logs: LogOf<S>[], captureId: number): void;
  /** New and updated alerts (rows are upserted by alert id); returns at once, written in order. */
  writeAlerts(alerts: AlertLog[], captureId: number): void;
  /** Finalizes the `captures` row once every row written before it is stored. */
  finishCapture(captureId: number, end: CaptureEnd): Promise<void>;
  close(): Promise<void>;
}
