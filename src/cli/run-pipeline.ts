import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { NtaError } from '../core/errors.js';
import { readCaptures, type CaptureInput, type ReadSummary, type StopReason } from '../pipeline.js';
import { LiveStatus } from '../present/live-status.js';
import { combineObservers } from '../present/observers.js';
import { PacketLinePrinter } from '../present/packet-lines.js';
import { StatusArea, wantStatusArea } from '../present/status-area.js';
import type { Store } from '../store/store.js';
import { IpfixExporter, type IpfixExportStats } from '../export/ipfix/exporter.js';
import type { OutputFlags } from './args.js';
import type { DetectionEngine } from '../detect/engine.js';
import type { AllowEntry } from '../detect/allowlist.js';
import { ALERT_TYPES, type AlertType } from '../schema/alert.js';
import type { AlertOutputs } from '../present/alert-output.js';
export { formatAlertCounts } from '../present/alert-output.js';
import { stdoutWriter, type StdoutWriter } from './stdout.js';

export interface PipelineRun {
  readonly summary: ReadSummary;
  readonly out: StdoutWriter;
  /** IPFIX export counters, null without --ipfix. */
  readonly ipfix: IpfixExportStats | null;
  /** New alerts per type; null when detection was off. */
  readonly alerts: Record<string, number> | null;
}

export interface Detection {
  readonly engine: DetectionEngine;
  readonly outputs: AlertOutputs;
}

/**
 * Builds the detection engine from the flags, the config file and the allowlist kept in the database, or
 * returns undefined with --no-detect. Configuration errors surface here, before any packet is read.
 */
export async function setUpDetection(flags: OutputFlags): Promise<Detection | undefined> {
  if (!flags.detect) return undefined;
  // Loaded here, not at start-up: --no-detect runs and the other commands never need them.
  const [{ DetectionEngine }, { engineOptions, loadDetectConfig }, { AlertOutputs }, { loadAllowlist }] =
    await Promise.all([
      import('../detect/engine.js'),
      import('../detect/config.js'),
      import('../present/alert-output.js'),
      import('../store/query/alerts.js'),
    ]);
  const allow: AllowEntry[] =
    flags.db === false
      ? []
      : (await loadAllowlist(flags.db, flags.sensor ?? hostname())).map((r) => ({
          type: (ALERT_TYPES as readonly string[]).includes(r.type ?? '') ? (r.type as AlertType) : undefined,
          src: r.src ?? undefined,
          dst: r.dst ?? undefined,
          port: r.port ?? undefined,
          domain: r.domain ?? undefined,
          comment: r.comment,
        }));
  const opts = engineOptions(
    { homeNets: flags.homeNet, blocklists: flags.blocklist, allow },
    await loadDetectConfig(flags.config),
  );
  const outputs = new AlertOutputs({
    console: flags.quiet !== true && flags.json !== true,
    evePath: flags.eve,
  });
  const engine = new DetectionEngine({ ...opts, onAlert: (a, isNew) => outputs.alert(a, isNew) });
  return { engine, outputs };
}

/**
 * The IPFIX exporter of `--ipfix`, opened before the store so a bad collector fails first; runPipeline
 * closes it. IPFIX records are flows, so it needs flow tracking.
 */
export async function openIpfix(flags: OutputFlags): Promise<IpfixExporter | undefined> {
  if (flags.ipfix === undefined) return undefined;
  if (!flags.flows)
    throw new NtaError('NTA_ERR_USAGE', '--ipfix exports flows: it cannot be used with --no-flows');
  return IpfixExporter.open(flags.ipfix);
}

/**
 * What `read` and `capture` share: packet lines unless quiet, the live status on a terminal (see
 * wantStatusArea), Ctrl-C/SIGTERM ask for a clean stop (a second one exits at once), and the store is closed
 * whatever happens, so every batch handed over is committed.
 */
export async function runPipeline(
  inputs: readonly CaptureInput[],
  store: Store | undefined,
  flags: OutputFlags,
  options: {
    onSignal?: () => void;
    limitReached?: () => boolean;
    /** Size of all input files together, when known: the status shows a progress bar and ETA. */
    inputBytes?: number | undefined;
    detection?: Detection | undefined;
    /** Receives every finished flow (see openIpfix); closed at the end, whatever happens. */
    ipfix?: IpfixExporter | undefined;
  } = {},
): Promise<PipelineRun> {
  const detection = options.detection;
  const out = stdoutWriter();
  const quiet = flags.quiet === true || flags.json === true;
  const status =
    flags.status && flags.json !== true && wantStatusArea(!quiet)
      ? new LiveStatus({ inputs: inputs.length, totalBytes: options.inputBytes })
      : undefined;
  const area =
    status === undefined ? undefined : new StatusArea(process.stderr, (w) => status.lines(Date.now(), w));
  const sources =
    status === undefined
      ? inputs
      : inputs.map((input) => ({
          name: input.name,
          open: async () => {
            const source = await input.open();
            status.sourceOpened(source);
            return source;
          },
        }));
  let interrupted = false;
  const onSignal = (): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    options.onSignal?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (area !== undefined && detection !== undefined)
    detection.outputs.consoleWrite = (t) => area.printAbove(t);
  area?.start();
  const ipfix = options.ipfix;
  try {
    const summary = await readCaptures({
      inputs: sources,
      store,
      maxPackets: flags.count,
      ...(flags.flows ? {} : { flows: false as const }),
      detect: detection?.engine,
      ...(flags.packets ? {} : { packets: false }),
      ...(ipfix === undefined ? {} : { onFlow: ipfix.add }),
      observer: combineObservers([quiet ? undefined : new PacketLinePrinter(out.write), status]),
      shouldStop: (): StopReason | null => {
        if (interrupted || out.closed) return 'interrupted';
        return options.limitReached?.() === true ? 'limit' : null;
      },
    });
    return {
      summary,
      out,
      alerts: detection === undefined ? null : { ...detection.engine.counts },
      ipfix: (await ipfix?.close()) ?? null,
    };
  } finally {
    area?.stop();
    detection?.outputs.close();
    await ipfix?.close();
    await store?.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * The run ends as the seed tool did, with the protocol bar chart: written beside the database (in the
 * current folder for PostgreSQL) after the store is closed, its path returned, or null when there is
 * nothing to draw or it was not wanted. A chart that cannot be drawn is a warning: the packets are stored
 * either way.
 */
export async function writeEndChart(
  store: Store | undefined,
  summary: ReadSummary,
  flags: OutputFlags,
): Promise<string | null> {
  if (store === undefined || !flags.chart || flags.db === false) return null;
  if (summary.rowsStored === 0) {
    process.stderr.write('nta: no chart: no IP packets were stored\n');
    return null;
  }
  const captureIds = summary.sources.flatMap((s) => (s.captureId === null ? [] : [s.captureId]));
  let path: string;
  try {
    const { writeProtocolChart } = await import('../present/charts/index.js');
    // flags.db, not store.path: a PostgreSQL store shows its URL without the password.
    path = await writeProtocolChart(flags.db, { captureIds });
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
