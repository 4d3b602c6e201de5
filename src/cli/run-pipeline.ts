import { readCaptures, type CaptureInput, type ReadSummary, type StopReason } from '../pipeline.js';
import { PacketLinePrinter } from '../present/packet-lines.js';
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
