import type { Command } from 'commander';
import { expandCaptureArgs } from '../../capture/open.js';
import { fileInputs } from '../../pipeline.js';
import { formatSummary } from '../../present/summary.js';
import { SqliteStore } from '../../store/sqlite/sqlite-store.js';
import { addOutputOptions, type OutputFlags } from '../args.js';
import { runPipeline } from '../run-pipeline.js';

export function registerRead(program: Command): void {
  addOutputOptions(
    program
      .command('read')
      .description('read pcap/pcapng files (plain or gzip), folders of them, or - for standard input')
      .argument('<file...>', 'capture files, folders, or - for stdin'),
  ).action(async (files: string[], flags: OutputFlags) => {
    process.exitCode = await runRead(files, flags);
  });
}

async function runRead(files: string[], flags: OutputFlags): Promise<number> {
  const paths = await expandCaptureArgs(files);
  const store = flags.db === false ? undefined : await SqliteStore.open(flags.db);
  const { summary, out } = await runPipeline(fileInputs(paths), store, flags, {
    // Waiting for stdin would not notice the stop: end the stream instead.
    onSignal: () => {
      if (paths.includes('-')) process.stdin.destroy();
    },
  });
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
