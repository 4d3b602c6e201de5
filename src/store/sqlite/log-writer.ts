import type Database from 'better-sqlite3';
import { TimestampFormatter } from '../../core/time.js';
import { sqlColumns, type Field, type FieldType } from '../../schema/log-schema.js';
import type { LogStream } from '../../schema/streams.js';
import { LOG_SUMS, isSummed, logDaySums, type SummedStream } from '../log-sums.js';
import type { SqliteDb } from './database.js';

/** Rows per INSERT statement (multi-row VALUES, as traffic-writer.ts). */
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
  readonly #width: number;
  readonly #params: unknown[];
  readonly #one: unknown[];
  readonly #insertMany: Database.Statement;
  readonly #insertOne: Database.Statement;
  readonly #sums: { readonly stream: SummedStream; readonly add: Database.Statement } | undefined;
  rowsWritten = 0;

  constructor(db: SqliteDb, table: LogStream, schema: Record<string, Field>, replace = false) {
    this.#db = db;
    this.#names = Object.keys(schema);
    this.#types = Object.values(schema).map((f) => f.type);
    const columns = sqlColumns(schema);
    this.#width = columns.length + 1;
    const row = `(${Array(this.#width).fill('?').join(', ')})`;
    const sql = `INSERT${replace ? ' OR REPLACE' : ''} INTO ${table} (${columns.join(', ')}, capture_id) VALUES `;
    this.#insertMany = db.prepare(sql + Array(ROWS_PER_STATEMENT).fill(row).join(', '));
    this.#insertOne = db.prepare(sql + row);
    this.#params = new Array<unknown>(this.#width * ROWS_PER_STATEMENT);
    this.#one = new Array<unknown>(this.#width);
    if (isSummed(table)) {
      const { table: sums, key, values } = LOG_SUMS[table];
      this.#sums = {
        stream: table,
        add: db.prepare(
          `INSERT INTO ${sums} (day, capture_id, ${key}, ${values.join(', ')})
           VALUES (?, ?, ?, ${values.map(() => '?').join(', ')})
           ON CONFLICT (${key}, day, capture_id) DO UPDATE SET
             ${values.map((v) => `${v} = ${v} + excluded.${v}`).join(', ')}`,
        ),
      };
    }
  }

  write(logs: readonly object[], captureId: number): void {
    const width = this.#width;
    this.#db.transaction(() => {
      let i = 0;
      for (; i + ROWS_PER_STATEMENT <= logs.length; i += ROWS_PER_STATEMENT) {
        for (let r = 0; r < ROWS_PER_STATEMENT; r++)
          this.#fill(this.#params, r * width, logs[i + r] as Record<string, unknown>, captureId);
        this.#insertMany.run(this.#params);
      }
      for (; i < logs.length; i++) {
        this.#fill(this.#one, 0, logs[i] as Record<string, unknown>, captureId);
        this.#insertOne.run(this.#one);
      }
      const sums = this.#sums;
      if (sums !== undefined)
        for (const s of logDaySums(sums.stream, logs)) sums.add.run(s.day, captureId, s.key, ...s.values);
    })();
    this.rowsWritten += logs.length;
  }

  #fill(p: unknown[], o: number, log: Record<string, unknown>, captureId: number): void {
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
    p[o] = captureId;
  }
}
