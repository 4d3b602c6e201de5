import { type Command, InvalidArgumentError, Option } from 'commander';
import { CHART_TYPES, type ChartType, parseTimeArg, writeChart } from '../../present/charts/index.js';
import { NtaError } from '../../core/errors.js';
import { isPostgresUrl } from '../../store/postgres/connect.js';
import { DEFAULT_DB_PATH } from '../../store/sqlite/sqlite-store.js';

interface ChartFlags {
  db: string;
  capture?: number[];
  from?: string;
  to?: string;
  type: ChartType;
  output?: string;
}

/** `--capture 3 --capture 4` and `--capture 3,4` both collect [3, 4]. */
function captureIds(value: string, previous: number[] | undefined): number[] {
  const ids = value.split(',').map((v) => {
    const n = Number(v.trim());
    if (!Number.isInteger(n) || n <= 0)
      throw new InvalidArgumentError('expected capture ids such as 3 or 3,4');
    return n;
  });
  return [...(previous ?? []), ...ids];
}

export function registerChart(program: Command): void {
  program
    .command('chart')
    .description('draw a chart of the traffic in the database as PNG or SVG (no display needed)')
    .option('--db <path>', 'SQLite database to read', DEFAULT_DB_PATH)
    .addOption(
      new Option('--capture <id>', 'only these captures (repeat or comma-separate)').argParser(captureIds),
    )
    .option('--from <time>', "packets at or after this time: 'YYYY-MM-DD HH:MM[:SS]' (local) or ISO 8601")
    .option('--to <time>', "packets at or before this time: 'YYYY-MM-DD HH:MM[:SS]' (local) or ISO 8601")
    .addOption(
      new Option('-t, --type <type>', 'what to draw')
        .choices(CHART_TYPES)
        .default('protocols' satisfies ChartType),
    )
    .option(
      '-o, --output <file>',
      'chart file, .png or .svg (default: <db name>-<type>.png beside the database)',
    )
    .action(async (flags: ChartFlags) => {
      if (isPostgresUrl(flags.db))
        throw new NtaError(
          'NTA_ERR_USAGE',
          'charts are drawn from SQLite databases only, not PostgreSQL yet',
        );
      const path = await writeChart(flags.db, {
        type: flags.type,
        captureIds: flags.capture,
        from: flags.from === undefined ? undefined : parseTimeArg(flags.from, '--from'),
        to: flags.to === undefined ? undefined : parseTimeArg(flags.to, '--to'),
        out: flags.output,
      });
      process.stdout.write(`${path}\n`);
    });
}
