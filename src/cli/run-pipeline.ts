import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { NtaError } from '../core/errors.js';
import {
  readCaptures,
  type CaptureInput,
  type PacketObserver,
  type ReadSummary,
  type StopReason,
} from '../pipeline.js';
import { LiveStatus } from '../present/live-status.js';
import { combineObservers } from '../present/observers.js';
import { PacketLinePrinter } from '../present/packet-lines.js';
import { StatusArea, wantStatusArea } from '../present/status-area.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import type { IpfixExporter, IpfixExportStats } from '../export/ipfix/exporter.js';
import type { EveExporter, EveExportStats } from '../export/eve/eve-exporter.js';
import type { OutputFlags } from './args.js';
import type { ConnLog } from '../schema/conn.js';
import type { DetectionEngine } from '../detect/engine.js';
import type { AllowEntry } from '../detect/allowlist.js';
import type { Alert } from '../detect/suppress.js';
import { ALERT_TYPES, type AlertLog, type AlertType } from '../schema/alert.js';
import type { AlertOutputs } from '../present/alert-output.js';
export { formatAlertCounts, formatDeliveryStats } from '../present/alert-output.js';
import { parseSyslogUrl, parseWebhookUrl, type SyslogTarget } from '../core/output-targets.js';
import { syslogTargetText } from '../present/syslog-transport.js';
import type { DeliveryStats } from '../present/delivery-queue.js';
import { stdoutWriter, type StdoutWriter } from './stdout.js';

export interface PipelineRun {
  readonly summary: ReadSummary;
  readonly out: StdoutWriter;
  /** IPFIX export counters, null without --ipfix. */
  readonly ipfix: IpfixExportStats | null;
  /** EVE file counters, null without --eve. */
  readonly eve: EveExportStats | null;
  /** New alerts per type; null when detection was off. */
  readonly alerts: Record<string, number> | null;
  /** What each webhook and syslog receiver was sent (empty without them). */
  readonly alertOutputs: readonly DeliveryStats[];
}

export interface Detection {
  readonly engine: DetectionEngine;
  readonly outputs: AlertOutputs;
}

/**
 * Builds the detection engine from the flags, the config file and the allowlist kept in the database, or
 * returns undefined with --no-detect. Configuration errors surface here, before any packet is read.
 * `onAlert` sees every alert raised or updated, after the console and EVE outputs.
 */
export async function setUpDetection(
  flags: OutputFlags,
  onAlert?: (alert: Alert, isNew: boolean) => void,
): Promise<Detection | undefined> {
  if (!flags.detect) return undefined;
  // Loaded here, not at start-up: --no-detect runs and the other commands never need them.
  const [
    { DetectionEngine },
    { engineOptions, loadDetectConfig },
    { AlertOutputs },
    { loadAllowlist },
    { toAlertLog },
  ] = await Promise.all([
    import('../detect/engine.js'),
    import('../detect/config.js'),
    import('../present/alert-output.js'),
    import('../store/query/alerts.js'),
    import('../detect/suppress.js'),
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
  const cfg = await loadDetectConfig(flags.config);
  const opts = engineOptions({ homeNets: flags.homeNet, blocklists: flags.blocklist, allow }, cfg);
  // Receivers of the config file and of the flags, each once.
  const webhooks = new Map<string, URL>();
  for (const url of [...(cfg.webhook ?? []).map((u) => parseWebhookUrl(u)!), ...flags.webhook])
    webhooks.set(url.href, url);
  const syslog = new Map<string, SyslogTarget>();
  for (const t of [...(cfg.syslog ?? []).map((u) => parseSyslogUrl(u)!), ...flags.syslog])
    syslog.set(syslogTargetText(t), t);
  const eveJson =
    webhooks.size === 0
      ? undefined
      : await import('../export/eve/eve-record.js').then(
          ({ eveAlert }) =>
            (log: AlertLog) =>
              JSON.stringify(eveAlert(log)),
        );
  const outputs = new AlertOutputs({
    console: flags.quiet !== true && flags.json !== true,
    toLog: toAlertLog,
    eveJson,
    webhooks: [...webhooks.values()],
    syslog: [...syslog.values()],
    syslogHeader: {
      facility: flags.syslogFacility ?? cfg.syslog_facility ?? 'local5',
      appName: cfg.syslog_app_name ?? 'nta',
    },
  });
  const engine = new DetectionEngine({
    ...opts,
    onAlert: (a, isNew) => {
      outputs.alert(a, isNew);
      onAlert?.(a, isNew);
    },
  });
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
  const { IpfixExporter } = await import('../export/ipfix/exporter.js');
  return IpfixExporter.open(flags.ipfix);
}

/**
 * The store `--db` names for `read` and `capture` (none with --no-db), with the sensor, retention and outage
 * messages of the flags. `bulkLoad`: capture files are read into it (see SqliteStore.open).
 */
export async function openOutputStore(flags: OutputFlags, bulkLoad = false): Promise<Store | undefined> {
  if (flags.db === false) return undefined;
  return openStore(flags.db, {
    sensor: flags.sensor,
    retentionDays: flags.retention,
    onStatus: (message) => process.stderr.write(`nta: warning: ${message}\n`),
    bulkLoad,
  });
}

/**
 * The EVE file of `--eve`, opened (for appending) before anything is read, so a bad path is one line
 * first; runPipeline closes it. Without flow tracking it gets alerts only.
 */
export async function openEve(flags: OutputFlags): Promise<EveExporter | undefined> {
  if (flags.eve === undefined) return undefined;
  // Loaded here, not at start-up: only --eve needs it.
  const { EveExporter } = await import('../export/eve/eve-exporter.js');
  return EveExporter.open(flags.eve, {
    maxBytes: Math.round(flags.eveMaxSize * 1_000_000),
    keep: flags.eveFiles,
  });
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
    /** Receives flows, dns/tls/http records and alerts (see openEve); closed at the end, whatever happens. */
    eve?: EveExporter | undefined;
    /** Sees every packet besides the packet lines and the status area. */
    observer?: PacketObserver | undefined;
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
          ...input,
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
  const eve = options.eve;
  if (eve !== undefined && detection !== undefined) detection.outputs.eve = eve.alert;
  const onFlow =
    ipfix !== undefined && eve !== undefined
      ? (log: ConnLog) => {
          ipfix.add(log);
          eve.flow(log);
        }
      : (ipfix?.add ?? eve?.flow);
  let summary: ReadSummary;
  let eveStats: EveExportStats | null;
  let exported: IpfixExportStats | null;
  let alertOutputs: DeliveryStats[];
  let failed = true;
  try {
    summary = await readCaptures({
      inputs: sources,
      store,
      maxPackets: flags.count,
      ...(flags.flows ? {} : { flows: false as const }),
      detect: detection?.engine,
      ...(flags.packets ? {} : { packets: false }),
      ...(onFlow === undefined ? {} : { onFlow }),
      ...(eve === undefined ? {} : { onAppLog: eve.app, afterBatch: () => eve.afterBatch() }),
      observer: combineObservers([
        quiet ? undefined : new PacketLinePrinter(out.write),
        status,
        options.observer,
      ]),
      shouldStop: (): StopReason | null => {
        if (interrupted || out.closed) return 'interrupted';
        return options.limitReached?.() === true ? 'limit' : null;
      },
    });
    failed = false;
  } finally {
    area?.stop();
    // Alert outputs first: their last records (merged alerts) go into the EVE file before it closes, and
    // what is still queued for webhooks and syslog leaves while the store commits (a second Ctrl-C exits).
    const delivered = detection?.outputs.close();
    try {
      // After a failure, close quietly: the failure is what the run reports.
      eveStats = (await (failed ? eve?.close().catch(() => undefined) : eve?.close())) ?? null;
      exported = (await ipfix?.close()) ?? null;
      await store?.close();
    } finally {
      alertOutputs = (await delivered) ?? [];
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
  return {
    summary,
    out,
    alerts: detection === undefined ? null : { ...detection.engine.counts },
    ipfix: exported,
    eve: eveStats,
    alertOutputs,
  };
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
