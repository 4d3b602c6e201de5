/**
 * The WAL checkpointer thread (see checkpointer.ts): copies committed WAL frames into the database file
 * through its own connection, every CHECKPOINT_EVERY_MS, until told to stop. PASSIVE checkpoints never take
 * the write lock, so the writer goes on inserting meanwhile.
 */
import Database from 'better-sqlite3';
import { workerData } from 'node:worker_threads';
import { CHECKPOINT_EVERY_MS, DONE, STOP, type CheckpointerData } from './checkpointer.js';

const { path, state } = workerData as CheckpointerData;
const flags = new Int32Array(state);
try {
  const db = new Database(path, { fileMustExist: true, timeout: 0 });
  try {
    while (Atomics.load(flags, STOP) === 0) {
      db.pragma('wal_checkpoint(PASSIVE)');
      Atomics.wait(flags, STOP, 0, CHECKPOINT_EVERY_MS);
    }
  } finally {
    db.close();
  }
} catch {
  // The writer's own automatic checkpoints (database.ts) still keep the WAL bounded: nothing is lost.
} finally {
  Atomics.store(flags, DONE, 1);
  Atomics.notify(flags, DONE);
}
