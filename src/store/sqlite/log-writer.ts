import { TimestampFormatter } from '../../core/time.js';
import { sqlColumns, type Field, type FieldType } from '../../schema/log-schema.js';
import type { LogStream } from '../../schema/streams.js';
import { LOG_SUMS, isSummed, logDaySums, type DaySum, type SummedStream } from '../log-sums.js';
import { RowBatch } from './row-batch.js';
import type { SqliteDb } from './database.js';

/** Rows per INSERT statement (see row-batch.ts). */
const ROWS_PER_STATEMENT = 16;

/**
 * Inserts the records of one log stream into its table, one transaction per batch; runs in the store's
 * worker thread. The columns come from the stream's schema (`ts` gives ts and ts_us), then capture_id;
 * values are converted by field type (time → text + µs, bool → 0/1, vectors → JSON text). A snapshot
 * stream's rows replace the stored row with the same key (its table's unique index). Flows and dns add
 * their batch's sums (log-sums.ts) in the same transaction.
 */
export class LogWriter {
  readonly #db: SqliteDb;
  readonly #time = new TimestampFormatter();
  readonly #names: string[];
  readonly #types: FieldType[];
  readonly #insert: RowBatch<Record<string, unknown>>;
  readonly #sums: { readonly stream: SummedStream; readonly add: RowBatch<DaySum> } | undefined;
  /** The capture of the batch being written. */
  #captureId = 0;
  rowsWritten = 0;

  constructor(db: SqliteDb, table: LogStream, schema: Record<string, Field>, replace = false) {
    this.#db = db;
    this.#names = Object.keys(schema);
    this.#types = Object.values(schema).map((f) => f.type);
    const columns = sqlColumns(schema);
    this.#insert = new RowBatch(
      db,
      columns.length + 1,
      (list) =>
        `INSERT${replace ? ' OR REPLACE' : ''} INTO ${table} (${columns.join(', ')}, capture_id) VALUES ${list}`,
      (v, o, log) => this.#fill(v, o, log),
      ROWS_PER_STATEMENT,
    );
    if (isSummed(table)) {
      const { table: sums, key, values } = LOG_SUMS[table];
      this.#sums = {
        stream: table,
        add: new RowBatch<DaySum>(
          db,
          3 + values.length,
          (list) => `
            INSERT INTO ${sums} (day, capture_id, ${key}, ${values.join(', ')})
            VALUES ${list}
            ON CONFLICT (${key}, day, capture_id) DO UPDATE SET
              ${values.map((v) => `${v} = ${v} + excluded.${v}`).join(', ')}`,
          (v, o, s) => {
            v[o] = s.day;
            v[o + 1] = this.#captureId;
            v[o + 2] = s.key;
            for (let i = 0; i < s.values.length; i++) v[o + 3 + i] = s.values[i];
          },
        ),
      };
    }
  }

  write(logs: readonly object[], captureId: number): void {
    this.#captureId = captureId;
    this.#db.transaction(() => {
      this.#insert.run(logs as readonly Record<string, unknown>[]);
      const sums = this.#sums;
      if (sums !== undefined) sums.add.run(logDaySums(sums.stream, logs));
    })();
    this.rowsWritten += logs.length;
  }

  #fill(p: unknown[], o: number, log: Record<string, unknown>): void {
    const names = this.#names;
    const types = this.#types;
    for (let k = 0; k < names.length; k++) {
      const v = log[names[k]!] ?? null;
      switch (types[k]) {
        case 'time': {
          if (v === null) {
            p[o++] = null;
            p[o++] = null;
            break;
          }
          const us = v as number;
          const sec = Math.floor(us / 1e6);
          p[o++] = this.#time.format(sec, (us - sec * 1e6) * 1000);
          p[o++] = us;
          break;
        }
        case 'bool':
          p[o++] = v === null ? null : v === true ? 1 : 0;
          break;
        case 'strings':
        case 'intervals':
          p[o++] = v === null ? null : JSON.stringify(v);
          break;
        default:
          p[o++] = v;
      }
    }
    p[o] = this.#captureId;
  }
}
