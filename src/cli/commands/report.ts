import type { Command } from 'commander';
import { writeReport } from '../../present/report/index.js';
import { addRangeOptions, rangeFilter, type RangeFlags } from '../args.js';

interface ReportFlags extends RangeFlags {
  output?: string;
}

export function registerReport(program: Command): void {
  const cmd = program
    .command('report')
    .description('write a self-contained HTML report (charts, top talkers/ports/domains, alerts) to share');
  addRangeOptions(cmd)
    .option(
      '-o, --output <file>',
      'HTML file to write (default: <db name>-report.html beside the database, or here for PostgreSQL)',
    )
    .action(async (flags: ReportFlags) => {
      const path = await writeReport(flags.db, {
        ...rangeFilter(flags),
        sensor: flags.sensor,
        out: flags.output,
      });
      process.stdout.write(`${path}\n`);
    });
}
