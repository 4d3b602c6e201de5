import { spawn } from 'node:child_process';
import { NtaError } from '../core/errors.js';
import { writeProtocolChart } from '../present/charts/index.js';
import { readCaptures, type CaptureInput, type ReadSummary, type StopReason } from '../pipeline.js';
import { PacketLinePrinter } from '../present/packet-lines.js';
import { isPostgresUrl } from '../store/postgres/connect.js';
import type { Store } from '../store/store.js';
import type { OutputFlags } from './args.js';
import { stdoutWriter, type StdoutWriter } from './stdout.js';

export interface PipelineRun {
  readonly summary: ReadSummary;
  readonly out: StdoutWriter;
}

/**
 * What `read` and `capture` share: packet lines unless quiet, Ctrl-C/SIGTERM ask for a clean stop (a second
 * one exits at once), and the store is closed whatever happens, so every batch handed over is committed.
 */
export async function runPipeline(
  inputs: readonly CaptureInput[],
  store: Store | undefined,
  flags: OutputFlags,
  options: { onSignal?: () => void; limitReached?: () => boolean } = {},
): Promise<PipelineRun> {
  const out = stdoutWriter();
  const quiet = flags.quiet === true || flags.json === true;
  let interrupted = false;
  const onSignal = (): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    options.onSignal?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const summary = await readCaptures({
      inputs,
      store,
      maxPackets: flags.count,
      ...(flags.flows ? {} : { flows: false as const }),
      observer: quiet ? undefined : new PacketLinePrinter(out.write),
      shouldStop: (): StopReason | null => {
        if (interrupted || out.closed) return 'interrupted';
        return options.limitReached?.() === true ? 'limit' : null;
      },
    });
    return { summary, out };
  } finally {
    await store?.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * The run ends as the seed tool did, with the protocol bar chart: written beside the database (after the
 * store is closed), its path returned, or null when there is nothing to draw or it was not wanted. A chart
 * that cannot be drawn is a warning: the packets are stored either way.
 */
export async function writeEndChart(
  store: Store | undefined,
  summary: ReadSummary,
  flags: OutputFlags,
): Promise<string | null> {
  if (store === undefined || !flags.chart) return null;
  if (isPostgresUrl(store.path)) {
    process.stderr.write('nta: no chart: charts are drawn from SQLite databases only (use --no-chart)\n');
    return null;
  }
  if (summary.rowsStored === 0) {
    process.stderr.write('nta: no chart: no IP packets were stored\n');
    return null;
  }
  const captureIds = summary.sources.flatMap((s) => (s.captureId === null ? [] : [s.captureId]));
  let path: string;
  try {
    path = await writeProtocolChart(store.path, { captureIds });
  } catch (err) {
    if (!(err instanceof NtaError)) throw err;
    process.stderr.write(`nta: warning: no chart: ${err.message}\n`);
    return null;
  }
  if (flags.open === true) {
    const viewer = spawn(process.platform === 'darwin' ? 'open' : 'xdg-open', [path], {
      detached: true,
      stdio: 'ignore',
    });
    viewer.on('error', () =>
      process.stderr.write(`nta: warning: could not open ${path} (no desktop viewer)\n`),
    );
    viewer.unref();
  }
  return path;
}
