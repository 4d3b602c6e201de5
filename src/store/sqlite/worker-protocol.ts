import type { NtaErrorCode } from '../../core/errors.js';
import type { CaptureEnd, CaptureStart } from '../../schema/captures.js';
import type { AlertLog } from '../../schema/alert.js';
import type { LearnedEntry } from '../../schema/learned.js';
import type { LogStream } from '../../schema/streams.js';

/** Days to keep, and a fixed wall-clock time (ms) for tests (null: the real clock). */
export interface RetentionSetting {
  readonly days: number;
  readonly now: number | null;
}

/** Messages to the SQLite worker. Requests with a `seq` get exactly one reply carrying that `seq`. */
export type ToWorker =
  | { op: 'open'; seq: number; path: string; bulkLoad: boolean; retention: RetentionSetting | null }
  | { op: 'startCapture'; seq: number; start: CaptureStart }
  | { op: 'traffic'; buffer: ArrayBuffer; capacity: number; count: number; captureId: number }
  | { op: 'logs'; stream: LogStream; logs: object[]; captureId: number }
  | { op: 'alerts'; alerts: AlertLog[]; captureId: number }
  | { op: 'loadLearned'; seq: number }
  | { op: 'saveLearned'; seq: number; entries: readonly LearnedEntry[] }
  | { op: 'finishCapture'; seq: number; captureId: number; end: CaptureEnd }
  | { op: 'close'; seq: number };

/**
 * Messages from the worker: replies, record buffers handed back for reuse (a traffic batch is done), `done`
 * for each logs or alerts batch, and failures.
 */
export type FromWorker =
  | { op: 'reply'; seq: number; value: unknown }
  | { op: 'records'; buffer: ArrayBuffer; capacity: number }
  | { op: 'done' }
  | { op: 'error'; seq: number | null; code: NtaErrorCode; message: string };
