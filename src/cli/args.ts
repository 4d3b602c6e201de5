import { type Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_DB_PATH } from '../store/sqlite/sqlite-store.js';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

/** The flags every packet-reading command shares. */
export interface OutputFlags {
  db: string | false;
  quiet?: boolean;
  count?: number | undefined;
  json?: boolean;
}

export function addOutputOptions(cmd: Command): Command {
  return cmd
    .option('--db <path>', 'SQLite database to log into', DEFAULT_DB_PATH)
    .option('--no-db', 'decode only; store nothing')
    .option('-q, --quiet', 'no line per packet')
    .addOption(new Option('-c, --count <n>', 'stop after n packets').argParser(positiveInt))
    .option('--json', 'print the end summary as one JSON object on stdout (implies -q)');
}
