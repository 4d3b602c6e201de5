import { type Command, Option, InvalidArgumentError } from 'commander';
import { defaultInterface, resolveInterface } from '../../capture/live/interfaces.js';
import {
  DEFAULT_BUFFER_MB,
  DEFAULT_SNAPLEN,
  openLiveCapture,
  type LiveSource,
} from '../../capture/live/live-source.js';
import { dropPrivileges, lookupUser } from '../../capture/live/privileges.js';
import { TapSource } from '../../capture/live/tap-source.js';
import { CaptureFileWriter } from '../../capture/ring-writer.js';
import type { PacketSource } from '../../capture/packet-batch.js';
import { formatIpfixSummary, formatSummary } from '../../present/summary.js';
import { openStore } from '../../store/open-store.js';
import type { Store } from '../../store/store.js';
import {
  addOutputOptions,
  checkOutputFlags,
  addWriteOptions,
  positiveInt,
  positiveNumber,
  ringOptions,
  type OutputFlags,
  type WriteFlags,
} from '../args.js';
import {
  formatAlertCounts,
  openIpfix,
  runPipeline,
  setUpDetection,
  writeEndChart,
  type PipelineRun,
} from '../run-pipeline.js';
import type { IpfixExporter } from '../../export/ipfix/exporter.js';
import { NTA_VERSION } from '../version.js';

interface CaptureFlags extends OutputFlags, WriteFlags {
  interface?: string;
  filter?: string;
  autostop: AutoStop[];
  snaplen: number;
  bufferSize: number;
  promisc: boolean;
  immediate?: boolean;
  user?: string;
}

type AutoStop =
  { readonly kind: 'duration'; readonly seconds: number } | { readonly kind: 'packets'; readonly n: number };

export function registerCapture(program: Command): void {
  const cmd = program
    .command('capture')
    .description('capture live from a network interface (libpcap), decode, and log every packet to SQLite')
    .option(
      '-i, --interface <name>',
      'device to capture on (default: the one with the default route; see `nta interfaces`)',
    )
    .option('-f, --filter <bpf>', "capture filter in libpcap's syntax, e.g. 'tcp port 443'")
    .addOption(
      new Option('-a, --autostop <cond>', 'stop after duration:SECONDS or packets:N (repeatable)')
        .argParser(collectAutoStop)
        .default([]),
    )
    .addOption(
      new Option('-s, --snaplen <bytes>', 'bytes kept per packet')
        .argParser(positiveInt)
        .default(DEFAULT_SNAPLEN),
    )
    .addOption(
      new Option('-B, --buffer-size <MB>', 'kernel capture buffer in MiB')
        .argParser(positiveNumber)
        .default(DEFAULT_BUFFER_MB),
    )
    .option('--no-promisc', 'do not put the interface into promiscuous mode')
    .option('--immediate', 'hand each packet over as soon as it arrives (more CPU at high rates)')
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
  const iface = flags.interface === undefined ? defaultInterface() : resolveInterface(flags.interface);
  let maxPackets = flags.count;
  let deadline = Infinity;
  for (const stop of flags.autostop) {
    if (stop.kind === 'packets') maxPackets = Math.min(maxPackets ?? Infinity, stop.n);
    else deadline = Math.min(deadline, stop.seconds * 1000);
  }
  const user = flags.user === undefined ? null : lookupUser(flags.user);
  const detection = await setUpDetection(flags); // a bad config or blocklist: one line, before capturing
  // Open first: no such device, no permission or a bad filter fail here, before any row is written.
  const source = await openLiveCapture({
    iface,
    filter: flags.filter ?? null,
    snaplen: flags.snaplen,
    promisc: flags.promisc,
    bufferMB: flags.bufferSize,
    immediate: flags.immediate === true,
  });
  if (source.info.warning !== null) process.stderr.write(`nta: warning: ${source.info.warning}\n`);
  let store: Store | undefined;
  let writer: CaptureFileWriter | undefined;
  let ipfix: IpfixExporter | undefined;
  let input: PacketSource = source;
  try {
    ipfix = await openIpfix(flags);
    if (flags.write !== undefined) {
      writer = new CaptureFileWriter(flags.write, ringOptions(flags.ringBuffer), {
        application: `nta ${NTA_VERSION}`,
        ifName: iface,
        filter: source.info.filter,
        snaplen: source.info.snaplen,
      });
      // The kernel filtered already; the tap writes each batch once and cuts the last one at -c.
      const limit = maxPackets === undefined ? undefined : { remaining: maxPackets };
      input = new TapSource(source, { writer, limit });
    }
    store =
      flags.db === false
        ? undefined
        : await openStore(flags.db, {
            sensor: flags.sensor,
            retentionDays: flags.retention,
            onStatus: (message) => process.stderr.write(`nta: warning: ${message}\n`),
          });
    if (user !== null) dropPrivileges(user);
  } catch (err) {
    await ipfix?.close();
    await store?.close();
    writer?.close();
    await source.close();
    throw err;
  }
  // Always said on stderr, as tshark says "Capturing on …": scripts wait for it before sending traffic.
  const filter = source.info.filter === null ? '' : `, filter '${source.info.filter}'`;
  process.stderr.write(
    `nta: capturing on ${iface} (link type ${source.info.linkType}${filter}); Ctrl-C to stop\n`,
  );
  const started = Date.now();
  let run: PipelineRun;
  try {
    run = await runPipeline(
      [{ name: iface, open: () => Promise.resolve(input) }],
      store,
      { ...flags, count: maxPackets },
      {
        limitReached: () => Date.now() - started >= deadline,
        detection,
        ipfix,
      },
    );
  } finally {
    await source.close(); // idempotent; the pipeline closed it already unless it threw
    // After the source: every batch the pipeline took is in the file, and its counters are final.
    writer?.close({
      startedMs: started,
      endedMs: Date.now(),
      received: source.stats.received,
      ifDropped: source.stats.ifDropped,
      osDropped: source.stats.dropped,
    });
  }
  const { summary, out, alerts, ipfix: exported } = run;
  const result = summary.sources[0];
  if (result?.error !== null && result?.error !== undefined) process.stderr.write(`nta: ${result.error}\n`);
  const live = liveCounters(source);
  const written = writer === undefined ? null : { packets: writer.packets, files: writer.files };
  const chart = await writeEndChart(store, summary, flags);
  if (flags.json === true) {
    await out.write(
      JSON.stringify({ ...summary, alerts, live, db: store?.path ?? null, written, chart, ipfix: exported }) +
        '\n',
    );
  } else {
    process.stderr.write(
      formatSummary(summary, store?.path) +
        formatAlertCounts(alerts) +
        formatLiveCounters(summary.packets, live),
    );
    if (exported !== null) process.stderr.write(formatIpfixSummary(exported));
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
    `${c.droppedBehind} packets dropped by nta (decoder fell behind)\n`
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
