/**
 * The SQLite writer thread: formatting rows and inserting them runs here, in parallel with reading and
 * decoding on the main thread. Messages are handled strictly in order, so a capture is finalized only
 * after all of its rows are stored.
 */
import { parentPort } from 'node:worker_threads';
import { NtaError } from '../../core/errors.js';
import { TrafficRecords } from '../../schema/traffic.js';
import { SqliteWriter } from './sqlite-writer.js';
import type { FromWorker, ToWorker } from './worker-protocol.js';

const port = parentPort!;
let writer: SqliteWriter | undefined;
let failed = false;

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

port.on('message', (msg: ToWorker) => {
  const seq = msg.op === 'traffic' || msg.op === 'logs' || msg.op === 'alerts' ? null : msg.seq;
  if (failed && msg.op !== 'close') {
    if (msg.op === 'traffic')
      send({ op: 'records', buffer: msg.buffer, capacity: msg.capacity }, [msg.buffer]);
    else if (msg.op === 'logs' || msg.op === 'alerts') return;
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
        writer = new SqliteWriter(msg.path, msg.bulkLoad);
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
        writer!.writeLogs(msg.stream, msg.logs, msg.captureId);
        break;
      case 'alerts':
        writer!.writeAlerts(msg.alerts, msg.captureId);
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
  } catch (err) {
    fail(seq, err);
  }
});
