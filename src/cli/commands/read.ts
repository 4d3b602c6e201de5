import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { expandCaptureArgs } from '../../capture/open.js';
import { fileInputs, type CaptureInput } from '../../pipeline.js';
import { formatEveSummary, formatIpfixSummary, formatSummary } from '../../present/summary.js';
import type { Store } from '../../store/store.js';
import {
  addOutputOptions,
  checkOutputFlags,
  addWriteOptions,
  ringOptions,
  type OutputFlags,
  type WriteFlags,
} from '../args.js';
import {
  formatAlertCounts,
  formatDeliveryStats,
  openEve,
  openIpfix,
  openOutputStore,
  runPipeline,
  setUpDetection,
  writeEndChart,
} from '../run-pipeline.js';
import { NTA_VERSION } from '../version.js';

interface ReadFlags extends OutputFlags, WriteFlags {
  filter?: string;
}

export function registerRead(program: Command): void {
  const cmd = program
    .command('read')
    .description('read pcap/pcapng files (plain or gzip), folders of them, or - for standard input')
    .argument('<file...>', 'capture files, folders, or - for stdin')
    .option('-f, --filter <bpf>', "only packets matching this libpcap filter, e.g. 'udp port 53'");
  addWriteOptions(addOutputOptions(cmd)).action(async (files: string[], flags: ReadFlags) => {
    process.exitCode = await runRead(files, flags);
  });
}

async function runRead(files: string[], flags: ReadFlags): Promise<number> {
  checkOutputFlags(flags);
  const filter = flags.filter?.trim() === '' ? undefined : flags.filter;
  // -f and -w load libpcap's compiler and the file writers; a plain read does without them. A bad filter is
  // one line, before any file or database is opened.
  if (filter !== undefined) (await import('../../capture/live/bpf-program.js')).checkFileFilter(filter);
  const detection = await setUpDetection(flags); // a bad config or blocklist: one line, before any file is read
  const paths = await expandCaptureArgs(files);
  const writer =
    flags.write === undefined
      ? undefined
      : new (await import('../../capture/ring-writer.js')).CaptureFileWriter(
          flags.write,
          ringOptions(flags.ringBuffer),
          { application: `nta ${NTA_VERSION}` },
        );
  let inputs: CaptureInput[] = fileInputs(paths);
  if (filter !== undefined || writer !== undefined) {
    const { TapSource } = await import('../../capture/live/tap-source.js');
    const limit = writer !== undefined && flags.count !== undefined ? { remaining: flags.count } : undefined;
    inputs = inputs.map((input) => ({
      ...input,
      open: async () => new TapSource(await input.open(), { filter, writer, limit }),
    }));
  }
  let store: Store | undefined;
  let run: Awaited<ReturnType<typeof runPipeline>>;
  const eve = await openEve(flags); // a bad --eve path: one line, before any file is read
  let ipfix: Awaited<ReturnType<typeof openIpfix>>;
  try {
    ipfix = await openIpfix(flags);
  } catch (err) {
    await eve?.close();
    throw err;
  }
  try {
    try {
      // Standard input may be a live capture (tcpdump -w -) watched as it goes: indexes stay.
      store = await openOutputStore(flags, !paths.includes('-'));
    } catch (err) {
      await ipfix?.close();
      await eve?.close();
      throw err;
    }
    run = await runPipeline(inputs, store, flags, {
      detection,
      inputBytes: totalFileBytes(paths),
      ipfix,
      eve,
      // Waiting for stdin would not notice the stop: end the stream instead.
      onSignal: () => {
        if (paths.includes('-')) process.stdin.destroy();
      },
    });
  } finally {
    writer?.close();
  }
  const { summary, out, alerts, ipfix: exported, eve: eveStats, alertOutputs } = run;
  for (const s of summary.sources) {
    if (s.error !== null)
      process.stderr.write(`nta: ${s.status === 'truncated' ? 'warning: ' : ''}${s.error}\n`);
  }
  const failed = summary.sources.filter((s) => s.status === 'error').length;
  if (failed === summary.sources.length && summary.packets === 0) return 1; // nothing read: errors only
  const written = writer === undefined ? null : { packets: writer.packets, files: writer.files };
  const chart = await writeEndChart(store, summary, flags);
  if (flags.json === true) {
    await out.write(
      JSON.stringify({
        ...summary,
        alerts,
        alertOutputs,
        db: store?.path ?? null,
        written,
        chart,
        ipfix: exported,
        eve: eveStats,
      }) + '\n',
    );
  } else {
    process.stderr.write(
      formatSummary(summary, store?.path) + formatAlertCounts(alerts) + formatDeliveryStats(alertOutputs),
    );
    if (exported !== null) process.stderr.write(formatIpfixSummary(exported));
    if (eveStats !== null) process.stderr.write(formatEveSummary(eveStats));
    if (written !== null)
      process.stderr.write(`${written.packets} packets written to ${written.files.join(', ')}\n`);
    if (chart !== null) process.stderr.write(`Chart: ${chart}\n`);
  }
  return failed > 0 ? 1 : 0;
}

/** The size of all inputs together, or undefined when one is not a regular file (stdin, a pipe). */
function totalFileBytes(paths: readonly string[]): number | undefined {
  let total = 0;
  for (const path of paths) {
    if (path === '-') return undefined;
    try {
      const st = statSync(path);
      if (!st.isFile()) return undefined;
      total += st.size;
    } catch {
      return undefined; // reading it will say why
    }
  }
  return total;
}
