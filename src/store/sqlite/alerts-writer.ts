import type Database from 'better-sqlite3';
import { TimestampFormatter } from '../../core/time.js';
import { ALERT_MERGED_COLUMNS, alertLog, type AlertLog } from '../../schema/alert.js';
import { sqlColumns } from '../../schema/log-schema.js';
import type { SqliteDb } from './database.js';

/** The alerts columns in schema order (time fields give text and _us), then capture_id. */
export const ALERT_COLUMNS = sqlColumns(alertLog);
const FIELDS = Object.keys(alertLog) as (keyof AlertLog)[];

/** Upserts alerts by id: a merged duplicate updates its row in place. Runs in the store's worker thread. */
export class AlertsWriter {
  readonly #db: SqliteDb;
  readonly #time = new TimestampFormatter();
  readonly #upsert: Database.Statement;

  constructor(db: SqliteDb) {
    this.#db = db;
    const cols = [...ALERT_COLUMNS, 'capture_id'];
    this.#upsert = db.prepare(
      `INSERT INTO alerts (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})
       ON CONFLICT(id) DO UPDATE SET ${ALERT_MERGED_COLUMNS.map((c) => `${c} = excluded.${c}`).join(', ')}`,
    );
  }

  write(alerts: readonly AlertLog[], captureId: number): void {
    this.#db.transaction(() => {
      for (const a of alerts) this.#upsert.run(this.#params(a, captureId));
    })();
  }

  #params(a: AlertLog, captureId: number): unknown[] {
    const p: unknown[] = [];
    for (const name of FIELDS) {
      const v = a[name];
      if (name === 'first_seen' || name === 'last_seen') {
        const us = v as number;
        const sec = Math.floor(us / 1e6);
        p.push(this.#time.format(sec, (us - sec * 1e6) * 1000), us);
      } else {
        p.push(v);
      }
    }
    p.push(captureId);
    return p;
  }
}
