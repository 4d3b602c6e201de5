import { type Command, Option, InvalidArgumentError } from 'commander';
import { expandCaptureArgs } from '../../capture/open.js';
import { fileInputs, readCaptures, type ReadSummary } from '../../pipeline.js';
import { PacketLinePrinter } from '../../present/packet-lines.js';
import { SqliteStore, DEFAULT_DB_PATH } from '../../store/sqlite/sqlite-store.js';
import { formatSummary } from '../../present/summary.js';
import { stdoutWriter } from '../stdout.js';

interface ReadFlags {
  db: string | false;
  quiet?: boolean;
  count?: number;
  json?: boolean;
}

export function registerRead(program: Command): void {
  program
    .command('read')
    .description('read pcap/pcapng files (plain or gzip), folders of them, or - for standard input')
    .argument('<file...>', 'capture files, folders, or - for stdin')
    .option('--db <path>', 'SQLite database to log into', DEFAULT_DB_PATH)
    .option('--no-db', 'decode only; store nothing')
    .option('-q, --quiet', 'no line per packet')
    .addOption(new Option('-c, --count <n>', 'stop after n packets').argParser(positiveInt))
    .option('--json', 'print the end summary as one JSON object on stdout (implies -q)')
    .action(async (files: string[], flags: ReadFlags) => {
      process.exitCode = await runRead(files, flags);
    });
}

async function runRead(files: string[], flags: ReadFlags): Promise<number> {
  const paths = await expandCaptureArgs(files);
  const store = flags.db === false ? undefined : await SqliteStore.open(flags.db);
  const out = stdoutWriter();
  const quiet = flags.quiet === true || flags.json === true;
  const printer = quiet ? undefined : new PacketLinePrinter(out.write);
  let stopRequested = false;
  const onSignal = (): void => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    if (paths.includes('-')) process.stdin.destroy();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let summary: ReadSummary;
  try {
    summary = await readCaptures({
      inputs: fileInputs(paths),
      store,
      maxPackets: flags.count,
      observer: printer,
      shouldStop: () => stopRequested || out.closed,
    });
  } finally {
    await store?.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  for (const s of summary.sources) {
    if (s.error !== null)
      process.stderr.write(`nta: ${s.status === 'truncated' ? 'warning: ' : ''}${s.error}\n`);
  }
  const failed = summary.sources.filter((s) => s.status === 'error').length;
  if (failed === summary.sources.length && summary.packets === 0) return 1; // nothing read: errors only
  if (flags.json === true) {
    await out.write(JSON.stringify({ ...summary, db: store?.path ?? null }) + '\n');
  } else {
    process.stderr.write(formatSummary(summary, store?.path));
  }
  return failed > 0 ? 1 : 0;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}
