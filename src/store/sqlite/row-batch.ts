import type Database from 'better-sqlite3';
import type { SqliteDb } from './database.js';

/** `(?, ?, …), (?, ?, …), …`: the VALUES list of `rows` rows of `width` values. */
export function valuesList(rows: number, width: number): string {
  const row = `(${Array(width).fill('?').join(', ')})`;
  return Array(rows).fill(row).join(', ');
}

/**
 * One INSERT or upsert statement run over many rows: `rowsPerStatement` of them per multi-row VALUES
 * statement, the rest one statement each. Values go to the statements as separate arguments
 * (`run(...values)`), never as one array, and upserts take them by position, not by name: better-sqlite3
 * then reads call arguments instead of an array or object lookup per value. Measured on the 2M-packet
 * capture: the traffic insert took 1.7 s instead of 2.1 s, the sums' upserts 0.29 s instead of 0.55 s, and
 * 32 rows per upsert statement cut those by 40% more.
 */
export class RowBatch<T> {
  readonly #values: unknown[];
  readonly #one: unknown[];
  readonly #many: Database.Statement;
  readonly #single: Database.Statement;
  readonly #width: number;
  readonly #rowsPerStatement: number;
  readonly #fill: (v: unknown[], o: number, item: T) => void;

  /** `sql(list)` is the statement with `list` as its VALUES list; `fill` puts an item's values at `v[o]…`. */
  constructor(
    db: SqliteDb,
    width: number,
    sql: (valuesList: string) => string,
    fill: (v: unknown[], o: number, item: T) => void,
    rowsPerStatement = 32,
  ) {
    this.#width = width;
    this.#fill = fill;
    this.#rowsPerStatement = rowsPerStatement;
    this.#values = new Array<unknown>(width * rowsPerStatement);
    this.#one = new Array<unknown>(width);
    this.#many = db.prepare(sql(valuesList(rowsPerStatement, width)));
    this.#single = db.prepare(sql(valuesList(1, width)));
  }

  /** Runs the statement for every item (inside the caller's transaction). */
  run(items: Iterable<T>): void {
    const width = this.#width;
    const values = this.#values;
    let rows = 0;
    for (const item of items) {
      this.#fill(values, rows * width, item);
      if (++rows === this.#rowsPerStatement) {
        this.#many.run(...values);
        rows = 0;
      }
    }
    const one = this.#one;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < width; c++) one[c] = values[r * width + c];
      this.#single.run(...one);
    }
  }
}
