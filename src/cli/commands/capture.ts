import { type Command, Option, InvalidArgumentError } from 'commander';
import type { LiveSource } from '../../capture/live/live-source.js';
import { formatEveSummary, formatIpfixSummary, formatSummary } from '../../present/summary.js';
import { addOutputOptions, checkOutputFlags, addWriteOptions } from '../args.js';
import { captureLive } from '../live-capture.js';
import { addLiveCaptureOptions, type LiveCaptureFlags } from '../live-options.js';
import { formatAlertCounts, formatDeliveryStats, writeEndChart } from '../run-pipeline.js';

interface CaptureFlags extends LiveCaptureFlags {
  autostop: AutoStop[];
}

type AutoStop =
  { readonly kind: 'duration'; readonly seconds: number } | { readonly kind: 'packets'; readonly n: number };

export function registerCapture(program: Command): void {
  const cmd = addLiveCaptureOptions(
    program
      .command('capture')
      .description('capture live from a network interface (libpcap), decode, and log every packet to SQLite'),
  )
    .addOption(
      new Option('-a, --autostop <cond>', 'stop after duration:SECONDS or packets:N (repeatable)')
        .argParser(collectAutoStop)
        .default([]),
    )
    .option(
      '-Z, --user <name>',
      'when started as root, switch to this user once the device, database and -w file are open',
    );
  addWriteOptions(addOutputOptions(cmd)).action(async (flags: CaptureFlags) => {
    process.exitCode = await runCapture(flags);
  });
}

async function runCapture(flags: CaptureFlags): Promise<number> {
  checkOutputFlags(flags);
  let maxPackets = flags.count;
  let durationMs: number | undefined;
  for (const stop of flags.autostop) {
    if (stop.kind === 'packets') maxPackets = Math.min(maxPackets ?? Infinity, stop.n);
    else durationMs = Math.min(durationMs ?? Infinity, stop.seconds * 1000);
  }
  const { run, source, store, writer } = await captureLive(flags, { maxPackets, durationMs });
  const { summary, out, alerts, ipfix: exported, eve: eveStats, alertOutputs } = run;
  const result = summary.sources[0];
  if (result?.error !== null && result?.error !== undefined) process.stderr.write(`nta: ${result.error}\n`);
  const live = liveCounters(source);
  const written = writer === undefined ? null : { packets: writer.packets, files: writer.files };
  const chart = await writeEndChart(store, summary, flags);
  if (flags.json === true) {
    await out.write(
      JSON.stringify({
        ...summary,
        alerts,
        alertOutputs,
        live,
        db: store?.path ?? null,
        written,
        chart,
        ipfix: exported,
        eve: eveStats,
      }) + '\n',
    );
  } else {
    process.stderr.write(
      formatSummary(summary, store?.path) +
        formatAlertCounts(alerts) +
        formatDeliveryStats(alertOutputs) +
        formatLiveCounters(summary.packets, live),
    );
    if (exported !== null) process.stderr.write(formatIpfixSummary(exported));
    if (eveStats !== null) process.stderr.write(formatEveSummary(eveStats));
    if (written !== null)
      process.stderr.write(`${written.packets} packets written to ${written.files.join(', ')}\n`);
    if (chart !== null) process.stderr.write(`Chart: ${chart}\n`);
  }
  return result?.status === 'error' ? 1 : 0;
}

interface LiveCounters {
  readonly interface: string;
  readonly receivedByFilter: number;
  readonly droppedByKernel: number;
  readonly droppedByInterface: number;
  readonly droppedBehind: number;
}

function liveCounters(source: LiveSource): LiveCounters {
  return {
    interface: source.info.name,
    receivedByFilter: source.stats.received,
    droppedByKernel: source.stats.dropped,
    droppedByInterface: source.stats.ifDropped,
    droppedBehind: source.stats.behindDropped,
  };
}

/** tcpdump's closing lines (which capture harnesses parse), plus nta's own drops. */
function formatLiveCounters(captured: number, c: LiveCounters): string {
  return (
    `${captured} packets captured\n` +
    `${c.receivedByFilter} packets received by filter\n` +
    `${c.droppedByKernel} packets dropped by kernel\n` +
    `${c.droppedByInterface} packets dropped by interface\n` +
    `${c.droppedBehind} packets dropped by nta (buffer overflow)\n`
  );
}

function collectAutoStop(value: string, previous: AutoStop[]): AutoStop[] {
  const m = /^(duration|packets):([0-9]+(?:\.[0-9]+)?)$/.exec(value);
  if (m === null) throw new InvalidArgumentError('expected duration:SECONDS or packets:N');
  const n = Number(m[2]);
  if (!(n > 0)) throw new InvalidArgumentError('expected a positive number');
  if (m[1] === 'packets' && !Number.isInteger(n))
    throw new InvalidArgumentError('expected a whole number of packets');
  return [...previous, m[1] === 'duration' ? { kind: 'duration', seconds: n } : { kind: 'packets', n }];
}
