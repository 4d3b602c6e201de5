#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { NtaError, exitCodeFor } from '../core/errors.js';
import { registerRead } from './commands/read.js';
import { registerInterfaces } from './commands/interfaces.js';
import { registerCapture } from './commands/capture.js';
import { registerChart } from './commands/chart.js';
import { registerAlerts } from './commands/alerts.js';
import { registerDetectors } from './commands/detectors.js';
import { registerReport } from './commands/report.js';
import { NTA_VERSION } from './version.js';

const program = new Command('nta')
  .description('Network traffic analyzer: reads captures, decodes them and logs every packet to SQLite')
  .version(NTA_VERSION, '-v, --version')
  .exitOverride()
  .configureOutput({
    outputError: (text, write) => write(text.startsWith('error: ') ? `nta: ${text.slice(7)}` : text),
  });

registerRead(program);
registerCapture(program);
registerChart(program);
registerAlerts(program);
registerDetectors(program);
registerReport(program);
registerInterfaces(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = exitStatus(err);
}

function exitStatus(err: unknown): number {
  if (err instanceof CommanderError) {
    // --help and --version end through here with exit code 0; usage errors were already printed.
    return err.exitCode === 0 ? 0 : 2;
  }
  if (err instanceof NtaError) {
    process.stderr.write(`nta: ${err.message}\n`);
    return exitCodeFor(err);
  }
  // A bug, not bad input: say so in one line, and keep the stack for those who ask for it.
  process.stderr.write(`nta: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
  if (process.env['NTA_DEBUG'] !== undefined && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  return 70;
}
