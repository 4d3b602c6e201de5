#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { NtaError, exitCodeFor } from '../core/errors.js';
import { NTA_VERSION } from './version.js';

/**
 * Each command's module, loaded only when that command runs: `nta read` does not load the web server, the
 * chart renderer or the PostgreSQL client, and `nta --version` loads none of them. Help needs them all.
 */
const COMMANDS: Record<string, () => Promise<(program: Command) => void>> = {
  read: async () => (await import('./commands/read.js')).registerRead,
  capture: async () => (await import('./commands/capture.js')).registerCapture,
  chart: async () => (await import('./commands/chart.js')).registerChart,
  alerts: async () => (await import('./commands/alerts.js')).registerAlerts,
  detectors: async () => (await import('./commands/detectors.js')).registerDetectors,
  report: async () => (await import('./commands/report.js')).registerReport,
  serve: async () => (await import('./commands/serve.js')).registerServe,
  interfaces: async () => (await import('./commands/interfaces.js')).registerInterfaces,
};

const program = new Command('nta')
  .description('Network traffic analyzer: reads captures, decodes them and logs every packet to SQLite')
  .version(NTA_VERSION, '-v, --version')
  .exitOverride()
  .configureOutput({
    outputError: (text, write) => write(text.startsWith('error: ') ? `nta: ${text.slice(7)}` : text),
  });

/** The commands the arguments need: the one named first, none for --version, all for help or a typo. */
function commandsFor(args: readonly string[]): string[] {
  const first = args[0];
  if (first === '-v' || first === '--version') return [];
  if (first !== undefined && Object.hasOwn(COMMANDS, first)) return [first];
  return Object.keys(COMMANDS);
}

try {
  for (const name of commandsFor(process.argv.slice(2))) (await COMMANDS[name]!())(program);
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
