/**
 * The SQLite writer thread: formatting rows and inserting them runs here, in parallel with reading and
 * decoding on the main thread. Messages are handled strictly in order, so a capture is finalized only
 * after all of its rows are stored.
 */
import { parentPort } from 'node:worker_threads';
import { NtaError } from '../../core/errors.js';
import { TrafficRecords } from '../../schema/traffic.js';
import { SqliteWriter } from './sqlite-writer.js';
import type { FromWorker, RetentionSetting, ToWorker } from './worker-protocol.js';

const port = parentPort!;
let writer: SqliteWriter | undefined;
let failed = false;
let retentionScheduled = false;

const send = (msg: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(msg, transfer);

function fail(seq: number | null, err: unknown): void {
  failed = true;
  const code = err instanceof NtaError ? err.code : 'NTA_ERR_STORE';
  const message = err instanceof Error ? err.message : String(err);
  send({
    op: 'error',
    seq,
    code,
    message:
      code === 'NTA_ERR_STORE' && !(err instanceof NtaError) ? `database write failed: ${message}` : message,
  });
}

function retentionOf(setting: RetentionSetting | null): { days: number; clock: () => number } | null {
  if (setting === null) return null;
  const fixed = setting.now;
  return { days: setting.days, clock: fixed === null ? Date.now : () => fixed };
}

/** Runs retention chunks between messages: a capture's batches wait for one chunk at most. */
function retentionTurn(): void {
  retentionScheduled = false;
  if (failed || writer === undefined) return;
  try {
    if (writer.retentionStep()) scheduleRetention();
  } catch (err) {
    fail(null, err);
  }
}

function scheduleRetention(): void {
  if (retentionScheduled) return;
  retentionScheduled = true;
  setImmediate(retentionTurn);
}

port.on('message', (msg: ToWorker) => {
  const seq = msg.op === 'traffic' || msg.op === 'logs' || msg.op === 'alerts' ? null : msg.seq;
  if (failed && msg.op !== 'close') {
    if (msg.op === 'traffic')
      send({ op: 'records', buffer: msg.buffer, capacity: msg.capacity }, [msg.buffer]);
    else if (msg.op === 'logs' || msg.op === 'alerts') send({ op: 'done' });
    else
      send({
        op: 'error',
        seq,
        code: 'NTA_ERR_STORE',
        message: 'the database writer stopped after an earlier error',
      });
    return;
  }
  try {
    switch (msg.op) {
      case 'open':
        writer = new SqliteWriter(msg.path, msg.bulkLoad, retentionOf(msg.retention));
        send({ op: 'reply', seq: msg.seq, value: null });
        break;
      case 'startCapture':
        send({ op: 'reply', seq: msg.seq, value: writer!.startCapture(msg.start) });
        break;
      case 'traffic': {
        const records = new TrafficRecords(msg.capacity, msg.buffer);
        records.count = msg.count;
        try {
          writer!.writeTraffic(records, msg.captureId);
        } finally {
          send({ op: 'records', buffer: msg.buffer, capacity: msg.capacity }, [msg.buffer]);
        }
        break;
      }
      case 'logs':
        try {
          writer!.writeLogs(msg.stream, msg.logs, msg.captureId);
        } finally {
          send({ op: 'done' });
        }
        break;
      case 'alerts':
        try {
          writer!.writeAlerts(msg.alerts, msg.captureId);
        } finally {
          send({ op: 'done' });
        }
        break;
      case 'loadLearned':
        send({ op: 'reply', seq: msg.seq, value: writer!.loadLearned() });
        break;
      case 'saveLearned':
        writer!.saveLearned(msg.entries);
        send({ op: 'reply', seq: msg.seq, value: null });
        break;
      case 'finishCapture':
        writer!.finishCapture(msg.captureId, msg.end);
        send({ op: 'reply', seq: msg.seq, value: null });
        break;
      case 'close':
        writer?.close();
        writer = undefined;
        send({ op: 'reply', seq: msg.seq, value: null });
        port.close();
        break;
    }
    // A write may come on a new UTC day: the check is a clock read; a due pass runs between messages.
    if (writer !== undefined && (msg.op === 'traffic' || msg.op === 'logs')) scheduleRetention();
  } catch (err) {
    fail(seq, err);
  }
});
