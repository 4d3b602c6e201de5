import type Database from 'better-sqlite3';
import { TimestampFormatter } from '../../core/time.js';
import { connLog, type ConnLog } from '../../schema/conn.js';
import { sqlColumns } from '../../schema/log-schema.js';
import type { SqliteDb } from './database.js';

/** The flows columns in schema order (`ts` gives ts and ts_us), then capture_id. */
export const FLOW_COLUMNS = sqlColumns(connLog);
const FIELDS = Object.keys(connLog) as (keyof ConnLog)[];
/** Rows per INSERT statement (multi-row VALUES, as traffic-writer.ts). */
const ROWS_PER_STATEMENT = 16;

/** Inserts conn records into `flows`, one transaction per batch; runs in the store's worker thread. */
export class FlowsWriter {
  readonly #db: SqliteDb;
  readonly #time = new TimestampFormatter();
  readonly #params: unknown[];
  readonly #one: unknown[];
  readonly #insertMany: Database.Statement;
  readonly #insertOne: Database.Statement;
  rowsWritten = 0;

  constructor(db: SqliteDb) {
    this.#db = db;
    const width = FLOW_COLUMNS.length + 1;
    const row = `(${Array(width).fill('?').join(', ')})`;
    const sql = `INSERT INTO flows (${FLOW_COLUMNS.join(', ')}, capture_id) VALUES `;
    this.#insertMany = db.prepare(sql + Array(ROWS_PER_STATEMENT).fill(row).join(', '));
    this.#insertOne = db.prepare(sql + row);
    this.#params = new Array<unknown>(width * ROWS_PER_STATEMENT);
    this.#one = new Array<unknown>(width);
  }

  write(logs: readonly ConnLog[], captureId: number): void {
    const width = FLOW_COLUMNS.length + 1;
    this.#db.transaction(() => {
      let i = 0;
      for (; i + ROWS_PER_STATEMENT <= logs.length; i += ROWS_PER_STATEMENT) {
        for (let r = 0; r < ROWS_PER_STATEMENT; r++)
          this.#fill(this.#params, r * width, logs[i + r]!, captureId);
        this.#insertMany.run(this.#params);
      }
      for (; i < logs.length; i++) {
        this.#fill(this.#one, 0, logs[i]!, captureId);
        this.#insertOne.run(this.#one);
      }
    })();
    this.rowsWritten += logs.length;
  }

  #fill(p: unknown[], o: number, log: ConnLog, captureId: number): void {
    for (const name of FIELDS) {
      const v = log[name];
      if (name === 'ts') {
        const us = v as number;
        const sec = Math.floor(us / 1e6);
        p[o++] = this.#time.format(sec, (us - sec * 1e6) * 1000);
        p[o++] = us;
      } else {
        p[o++] = v;
      }
    }
    p[o] = captureId;
  }
}
