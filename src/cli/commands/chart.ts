import { type Command, Option } from 'commander';
import { CHART_TYPES, type ChartType, writeChart } from '../../present/charts/index.js';
import { addRangeOptions, rangeFilter, type RangeFlags } from '../args.js';

interface ChartFlags extends RangeFlags {
  type: ChartType;
  output?: string;
}

export function registerChart(program: Command): void {
  const cmd = program
    .command('chart')
    .description('draw a chart of the traffic in the database as PNG or SVG (no display needed)');
  addRangeOptions(cmd)
    .addOption(
      new Option('-t, --type <type>', 'what to draw')
        .choices(CHART_TYPES)
        .default('protocols' satisfies ChartType),
    )
    .option(
      '-o, --output <file>',
      'chart file, .png or .svg (default: <db name>-<type>.png beside the database, or here for PostgreSQL)',
    )
    .action(async (flags: ChartFlags) => {
      const path = await writeChart(flags.db, {
        ...rangeFilter(flags),
        sensor: flags.sensor,
        type: flags.type,
        out: flags.output,
      });
      process.stdout.write(`${path}\n`);
    });
}
