import { resolve } from 'node:path';
import { defaultInterface, resolveInterface } from '../capture/live/interfaces.js';
import { openLiveCapture, type LiveSource } from '../capture/live/live-source.js';
import { dropPrivileges, lookupUser } from '../capture/live/privileges.js';
import { TapSource } from '../capture/live/tap-source.js';
import type { PacketSource } from '../capture/packet-batch.js';
import { CaptureFileWriter } from '../capture/ring-writer.js';
import type { Alert } from '../detect/suppress.js';
import type { EveExporter } from '../export/eve/eve-exporter.js';
import type { IpfixExporter } from '../export/ipfix/exporter.js';
import type { PacketObserver } from '../pipeline.js';
import type { Store } from '../store/store.js';
import { ringOptions } from './args.js';
import type { LiveCaptureFlags } from './live-options.js';
import {
  openEve,
  openIpfix,
  openOutputStore,
  runPipeline,
  setUpDetection,
  type PipelineRun,
} from './run-pipeline.js';
import { NTA_VERSION } from './version.js';

/** What is open once a capture has started: for `serve --capture` to serve and measure. */
export interface OpenedCapture {
  readonly iface: string;
  readonly source: LiveSource;
  readonly store: Store | undefined;
}

export interface LiveCaptureHooks {
  /** Stop after this many packets (-c, -a packets:N). */
  readonly maxPackets?: number | undefined;
  /** Stop, as complete, this long after the start (-a duration:S). */
  readonly durationMs?: number | undefined;
  /**
   * Called once the device and the store are open and before "capturing on" is said; packets arriving
   * meanwhile wait in the kernel buffer. A throw closes everything opened and ends the capture.
   */
  readonly opened?: ((capture: OpenedCapture) => Promise<void>) | undefined;
  /** Sees every packet, besides the packet lines and the status area. */
  readonly observer?: PacketObserver | undefined;
  /** Every alert raised or updated. */
  readonly onAlert?: ((alert: Alert, isNew: boolean) => void) | undefined;
}

export interface LiveCaptureResult {
  readonly run: PipelineRun;
  readonly iface: string;
  readonly source: LiveSource;
  readonly store: Store | undefined;
  readonly writer: CaptureFileWriter | undefined;
}

/**
 * A live capture from start to end: the device, the -w file, the EVE and IPFIX exporters and the store are opened
 * first (so a bad device, filter, collector or database fails before any row is written), then the pipeline
 * runs until a signal, a limit or an error, and everything is closed again.
 */
export async function captureLive(
  flags: LiveCaptureFlags,
  hooks: LiveCaptureHooks = {},
): Promise<LiveCaptureResult> {
  const iface = flags.interface === undefined ? defaultInterface() : resolveInterface(flags.interface);
  const maxPackets = hooks.maxPackets;
  const user = flags.user === undefined ? null : lookupUser(flags.user);
  const detection = await setUpDetection(flags, hooks.onAlert); // a bad config or blocklist: one line, before capturing
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
  let eve: EveExporter | undefined;
  let input: PacketSource = source;
  try {
    eve = await openEve(flags);
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
    store = await openOutputStore(flags);
    if (user !== null) dropPrivileges(user);
    await hooks.opened?.({ iface, source, store });
  } catch (err) {
    await eve?.close();
    await ipfix?.close();
    await store?.close();
    writer?.close();
    await source.close();
    detection?.outputs.close();
    throw err;
  }
  // Always said on stderr, as tshark says "Capturing on …": scripts wait for it before sending traffic.
  const filter = source.info.filter === null ? '' : `, filter '${source.info.filter}'`;
  process.stderr.write(
    `nta: capturing on ${iface} (link type ${source.info.linkType}${filter}); Ctrl-C to stop\n`,
  );
  const started = Date.now();
  const deadline = hooks.durationMs ?? Infinity;
  let run: PipelineRun;
  try {
    run = await runPipeline(
      [
        {
          name: iface,
          // Frame N of the capture is packet N of a single -w file; a ring buffer spreads (and drops) them.
          file: writer !== undefined && flags.ringBuffer.length === 0 ? resolve(flags.write!) : null,
          open: () => Promise.resolve(input),
        },
      ],
      store,
      { ...flags, count: maxPackets },
      {
        limitReached: () => Date.now() - started >= deadline,
        detection,
        ipfix,
        eve,
        observer: hooks.observer,
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
  return { run, iface, source, store, writer };
}
