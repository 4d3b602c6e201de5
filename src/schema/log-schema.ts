/**
 * A log stream is defined once as a table of fields (STYLE.md E12); its record type and SQL columns are
 * derived from that definition. Depends on nothing.
 *
 * Field types: `time` is an instant, carried in records as integer microseconds since the epoch and
 * stored as UTC text `YYYY-MM-DD HH:MM:SS.ffffff` (the traffic.timestamp format) plus a `<name>_us`
 * INTEGER column for ranges and sorting; `interval` is seconds (REAL); `count` a non-negative integer;
 * `port` 0–65535; `addr` address text; `string` text; `bool` true/false (SQL 0/1); `strings` and
 * `intervals` are Zeek's vectors (of string, of interval), stored as JSON array text.
 */
export type FieldType =
  'time' | 'interval' | 'count' | 'port' | 'addr' | 'string' | 'bool' | 'strings' | 'intervals';

export interface Field {
  readonly type: FieldType;
  readonly doc: string;
  readonly optional?: true;
}

type TsOf<T extends FieldType> = T extends 'string' | 'addr'
  ? string
  : T extends 'bool'
    ? boolean
    : T extends 'strings'
      ? string[]
      : T extends 'intervals'
        ? number[]
        : number;
type Req<S extends Record<string, Field>> = {
  [K in keyof S as S[K]['optional'] extends true ? never : K]: TsOf<S[K]['type']>;
};
type Opt<S extends Record<string, Field>> = {
  [K in keyof S as S[K]['optional'] extends true ? K : never]: TsOf<S[K]['type']> | null;
};
/** The record type of a log definition; optional fields are `null` when unset (SQL NULL). */
export type RecordOf<S extends Record<string, Field>> = Req<S> & Opt<S>;

const SQL_TYPE: Record<FieldType, string> = {
  time: 'TEXT',
  interval: 'REAL',
  count: 'INTEGER',
  port: 'INTEGER',
  addr: 'TEXT',
  string: 'TEXT',
  bool: 'INTEGER',
  strings: 'TEXT',
  intervals: 'TEXT',
};

/** SQL column names in order: a `time` field gives `<name>` (text) and `<name>_us` (integer). */
export function sqlColumns(schema: Record<string, Field>): string[] {
  const cols: string[] = [];
  for (const [name, f] of Object.entries(schema)) {
    cols.push(name);
    if (f.type === 'time') cols.push(`${name}_us`);
  }
  return cols;
}

/** Column definitions for CREATE TABLE. */
export function sqlColumnDefs(schema: Record<string, Field>): string {
  const defs: string[] = [];
  for (const [name, f] of Object.entries(schema)) {
    const notNull = f.optional === true ? '' : ' NOT NULL';
    defs.push(`${name} ${SQL_TYPE[f.type]}${notNull}`);
    if (f.type === 'time') defs.push(`${name}_us INTEGER${notNull}`);
  }
  return defs.join(',\n  ');
}
