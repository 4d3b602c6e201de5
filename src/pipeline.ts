import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { NtaError } from './core/errors.js';
import { TimestampFormatter } from './core/time.js';
import { openCapture } from './capture/open.js';
import type { PcapngWriterOptions } from './capture/pcapng-writer.js';
import type { QueryDb } from './store/query/query-db.js';
import type { PacketBatch, PacketSource } from './capture/packet-batch.js';
import { PacketDecoder } from './decode/decoder.js';
import { DecodedPacket, Network } from './decode/packet.js';
import { ADDR_BYTES, TrafficRecords } from './schema/traffic.js';
import type { CaptureStatus } from './schema/captures.js';
import type { Store } from './store/store.js';
import type { ConnLog } from './schema/conn.js';
import type { LogOf, LogStream } from './schema/streams.js';
import { FlowTable, type FlowState, type FlowTableOptions, type FlowTableStats } from './flow/table.js';
import { ConnRecorder, EndpointText } from './flow/record.js';
import type { AppStats } from './app/dispatch.js';
import type { AppLogSink } from './app/context.js';
import { ProtocolCounts } from './present/protocol-counts.js';
import type { DetectionEngine } from './detect/engine.js';
import { toAlertLog } from './detect/suppress.js';
import { macValue } from './detect/addr-key.js';

/** Rows handed to the store per transaction. */
const RECORDS_PER_WRITE = 8192;
/** Finished records of a log stream (flows, dns…) handed to the store at once (checked after each batch). */
const LOGS_PER_WRITE = 2048;
/**
 * Rows and finished records are handed to the store at least this often, full batch or not: a quiet live
 * capture still commits what it saw, and a crash (kill -9) loses at most about this much.
 */
export const STORE_FLUSH_MS = 1000;
/** What detectors learned is saved at the end of each source, and this often during a long one (live). */
export const LEARNED_SAVE_MS = 10 * 60_000;

export interface PacketObserver {
  /** Called for every frame with its decoded outer layers; `i` indexes into `batch`. */
  packet(batch: PacketBatch, i: number, decoded: DecodedPacket): void;
  /** Called after each batch, so observers do their I/O once per batch; a promise applies backpressure. */
  batchDone(): unknown;
  /** Called once before reading with counters the pipeline keeps current; read them, never write them. */
  started?(live: LiveCounters): void;
}

/** Counters an observer may read while the pipeline runs (a status display reads them a few times a second). */
export interface LiveCounters {
  /** Flow table counters (live and ended flows); null when flow tracking is off. */
  readonly flows: Readonly<FlowTableStats> | null;
  /** Frames and bytes per protocol since the start of the run. */
  readonly protocols: Pick<ProtocolCounts, 'toRecord' | 'bytesRecord'>;
}

/** A source not opened yet: opening errors are reported against `name` and reading goes on with the next. */
export interface CaptureInput {
  readonly name: string;
  /** Absolute path of the file holding the source's frames under their numbers (`captures.file`), or null. */
  readonly file?: string | null | undefined;
  open(): Promise<PacketSource>;
}

/** Capture files (or `-`), opened by content when their turn comes. */
export const fileInputs = (paths: readonly string[]): CaptureInput[] =>
  paths.map((path) => ({
    name: path,
    file: path === '-' ? null : resolve(path),
    open: () => openCapture(path),
  }));

export type StopReason = 'interrupted' | 'limit';

export interface ReadOptions {
  readonly inputs: readonly CaptureInput[];
  readonly store?: Store | undefined;
  /** Stop after this many frames in all (tshark's -c). */
  readonly maxPackets?: number | undefined;
  readonly observer?: PacketObserver | undefined;
  /**
   * Checked once per batch: `interrupted` (a signal, the reader of stdout gone) or `limit` (a limit the user
   * set, such as a duration) stops the read; the capture row says `interrupted` or `complete`.
   */
  readonly shouldStop?: () => StopReason | null;
  /** Per-packet `traffic` rows (on by default); false stores flows and metadata only. */
  readonly packets?: boolean;
  /** Flow tracking and application metadata (on by default): table options, or false to turn both off. */
  readonly flows?: FlowTableOptions | false;
  /** Receives every finished flow record (in addition to the store). */
  readonly onFlow?: (log: ConnLog) => void;
  /** Detection: packets, ARP and finished flows go to the engine; its alerts to the store. */
  readonly detect?: DetectionEngine | undefined;
  /** Receives every dns/tls/http/dhcp/dhcpv6/quic record (in addition to the store). */
  readonly onAppLog?: AppLogSink;
  /** Called after each batch, after the observer: exporters write there; a promise applies backpressure. */
  readonly afterBatch?: () => unknown;
}

export interface SourceResult {
  readonly source: string;
  readonly format: string;
  readonly captureId: number | null;
  readonly status: CaptureStatus;
  readonly error: string | null;
  readonly packets: number;
}

export interface ReadSummary {
  readonly packets: number;
  readonly bytes: number;
  readonly ipPackets: number;
  readonly malformed: number;
  readonly truncated: number;
  readonly unknownLinkType: number;
  readonly anomalies: Record<string, number>;
  readonly protocols: Record<string, number>;
  readonly rowsStored: number;
  /** Flow table counters; null when flow tracking is off. */
  readonly flows: FlowTableStats | null;
  /** dns/tls/http/dhcp/dhcpv6/quic records made; null when flow tracking (and with it the metadata) is off. */
  readonly app: AppStats | null;
  /** Device inventory: devices (one row each, per capture), devices dropped at the cap; null when metadata is off. */
  readonly hosts: { readonly devices: number; readonly evicted: number } | null;
  readonly elapsedSeconds: number;
  readonly packetsPerSecond: number;
  readonly sources: readonly SourceResult[];
  readonly interrupted: boolean;
}

/**
 * Reads captures through decode into the store: the one place that wires capture → decode → store, for
 * files and live interfaces alike. Damaged input never loses what came before it: good frames are stored and the capture
 * row records the error.
 */
export async function readCaptures(opts: ReadOptions): Promise<ReadSummary> {
  const started = process.hrtime.bigint();
  const decoder = new PacketDecoder();
  const decoded = new DecodedPacket();
  const protocols = new ProtocolCounts();
  const store = opts.store;
  let records = store === undefined ? new TrafficRecords(0) : await store.records(RECORDS_PER_WRITE);
  const observer = opts.observer;
  const maxPackets = opts.maxPackets ?? Infinity;
  const sources: SourceResult[] = [];
  const time = new TimestampFormatter();
  let packets = 0;
  let bytes = 0;
  let ipPackets = 0;
  let rowsStored = 0;
  let interrupted = false;
  let stopped = false;
  const unstored: { [S in LogStream]: LogOf<S>[] } = {
    flows: [],
    dns: [],
    tls: [],
    http: [],
    dhcp: [],
    dhcpv6: [],
    quic: [],
    hosts: [],
  };
  let lastFlush = performance.now();
  const endpoints = new EndpointText();
  const recorder = new ConnRecorder(endpoints);
  const onFlow = opts.onFlow;
  const onAppLog = opts.onAppLog;
  const detect = opts.detect;
  const detectPackets = detect?.wantsPackets === true;
  const detectArp = detect?.wantsArp === true;
  const detectFlows = detect?.wantsFlows === true;
  const detectAppLogs = detect?.wantsAppLogs === true;
  const wantLogs = store !== undefined || onFlow !== undefined || detectFlows;
  const logPackets = store !== undefined && opts.packets !== false;
  const appModules = opts.flows === false ? null : await loadAppModules();
  const hosts = appModules === null ? undefined : new appModules.HostInventory();
  let hostsSeen = 0;
  const app =
    appModules === null
      ? undefined
      : new appModules.AppDispatcher(
          (stream, log) => {
            onAppLog?.(stream, log);
            hosts?.appLog(stream, log);
            if (detectAppLogs) detect!.appLog(stream, log);
            if (store !== undefined) unstored[stream].push(log);
          },
          endpoints,
          hosts === undefined ? undefined : (ip, name, source) => hosts.name(null, ip, name, source),
        );
  const flows =
    opts.flows === false
      ? undefined
      : new FlowTable((f: FlowState) => {
          app?.flowEnded(f);
          if (!wantLogs) return;
          const log = recorder.toConnLog(f);
          onFlow?.(log);
          if (detectFlows) detect!.flow(log);
          if (store !== undefined) unstored.flows.push(log);
        }, opts.flows);
  observer?.started?.({ flows: flows?.stats ?? null, protocols });
  const flushLogs = (captureId: number | undefined, min: number): void => {
    for (const stream of ['flows', 'dns', 'tls', 'http', 'dhcp', 'dhcpv6', 'quic', 'hosts'] as const) {
      const logs = unstored[stream];
      if (logs.length < Math.max(min, 1)) continue;
      if (store !== undefined && captureId !== undefined) store.writeLogs(stream, logs, captureId);
      unstored[stream] = [];
    }
  };
  const flushAlerts = (captureId: number | undefined): void => {
    if (detect === undefined) return;
    const changed = detect.drainChanged();
    if (changed.length > 0 && store !== undefined && captureId !== undefined)
      store.writeAlerts(changed.map(toAlertLog), captureId);
  };
  let clock = 0;
  // What detectors learned in earlier runs on this database (devices, baselines): no second learning period.
  const keepLearned = detect?.learns === true && store !== undefined;
  if (keepLearned) detect!.restoreLearned(await store!.loadLearned());
  let learnedSaved = performance.now();

  for (const input of opts.inputs) {
    if (packets >= maxPackets || stopped) break;
    let source: PacketSource;
    try {
      source = await input.open();
    } catch (err) {
      if (!(err instanceof NtaError)) throw err;
      sources.push({
        source: input.name,
        format: 'unknown',
        captureId: null,
        status: 'error',
        error: err.message,
        packets: 0,
      });
      continue;
    }
    let captureId: number | undefined;
    try {
      captureId = await store?.startCapture({
        source: source.info.name,
        format: source.info.format,
        startedAt: new Date().toISOString(),
        file: input.file ?? null,
      });
    } catch (err) {
      // A store that fails here (a locked database) ends the run; the open source is closed first.
      await source.close();
      throw err;
    }
    const linkTypes = new Set<number>();
    let lastLinkType = -1;
    const before = decoder.counters();
    let srcPackets = 0;
    let srcBytes = 0;
    let srcIp = 0;
    let firstTs: string | null = null;
    let lastTs: string | null = null;
    let status: CaptureStatus = 'complete';
    let error: string | null = null;
    const flush = async (): Promise<void> => {
      lastFlush = performance.now();
      if (records.count > 0 && store !== undefined && captureId !== undefined) {
        rowsStored += records.count;
        records = await store.writeTraffic(records, captureId);
      }
    };
    try {
      for await (const batch of source) {
        const data = batch.data;
        const n = Math.min(batch.count, maxPackets - packets);
        for (let i = 0; i < n; i++) {
          const off = batch.offset[i]!;
          const linkType = batch.linkType[i]!;
          decoder.decode(data, off, off + batch.caplen[i]!, linkType, decoded, batch.wireLen[i]!);
          srcBytes += batch.wireLen[i]!;
          if (hosts !== undefined) {
            const tsUs = batch.tsSec[i]! * 1e6 + Math.floor(batch.tsNsec[i]! / 1000);
            hosts.packet(data, off + batch.caplen[i]!, decoded, tsUs, batch.wireLen[i]!);
          }
          observer?.packet(batch, i, decoded);
          if (batch.hasTs[i] === 1) clock = batch.tsSec[i]! + batch.tsNsec[i]! * 1e-9;
          if (detectPackets && (decoded.network === Network.IPv4 || decoded.network === Network.IPv6))
            detectPacket(detect!, batch, i, decoded, clock);
          else if (detectArp && decoded.network === Network.ARP && decoded.l3Off >= 0)
            detect!.arp(
              data,
              decoded.l3Off,
              off + batch.caplen[i]!,
              clock,
              batch.frame[i]!,
              decoded.macSrcOff,
              decoded.macDstOff,
            );
          if (linkType !== lastLinkType) {
            linkTypes.add(linkType);
            lastLinkType = linkType;
          }
          if (decoded.network === Network.IPv4 || decoded.network === Network.IPv6) {
            protocols.addIp(decoded.ipProto, batch.wireLen[i]!);
            srcIp++;
            const flow = flows?.packet(
              data,
              decoded,
              batch.tsSec[i]!,
              batch.tsNsec[i]!,
              batch.hasTs[i] === 1,
            );
            if (flow !== undefined && flow !== null)
              app!.packet(data, decoded, flow, flows!.isOrig, batch.tsSec[i]!, batch.tsNsec[i]!);
            if (logPackets) {
              pushRecord(records, batch, i, decoded);
              if (records.full) await flush();
            }
          } else if (decoded.network === Network.ARP) {
            protocols.addArp(batch.wireLen[i]!);
          } else {
            protocols.addNonIp(batch.wireLen[i]!);
          }
        }
        srcPackets += n;
        packets += n;
        if (n > 0 && batch.hasTs[0] === 1 && firstTs === null)
          firstTs = time.format(batch.tsSec[0]!, batch.tsNsec[0]!);
        const last = n - 1;
        if (n > 0 && batch.hasTs[last] === 1) lastTs = time.format(batch.tsSec[last]!, batch.tsNsec[last]!);
        if (performance.now() - lastFlush >= STORE_FLUSH_MS) {
          await flush();
          // Devices changed since the last write replace their rows: a live capture keeps the table current.
          if (hosts !== undefined && store !== undefined) unstored.hosts.push(...hosts.snapshot(false));
          flushLogs(captureId, 0);
          if (keepLearned && lastFlush - learnedSaved >= LEARNED_SAVE_MS) {
            learnedSaved = lastFlush;
            // Not awaited: the packet path goes on; a failing store reports itself on the next write.
            store!.saveLearned(detect!.learned()).catch(() => undefined);
          }
        } else {
          flushLogs(captureId, LOGS_PER_WRITE);
        }
        flushAlerts(captureId);
        const pending = observer?.batchDone();
        if (pending instanceof Promise) await pending;
        const exported = opts.afterBatch?.();
        if (exported instanceof Promise) await exported;
        if (packets >= maxPackets) break;
        const stop = opts.shouldStop?.() ?? null;
        if (stop !== null) {
          stopped = true;
          if (stop === 'interrupted') {
            interrupted = true;
            status = 'interrupted';
          }
          break;
        }
      }
    } catch (err) {
      // A damaged capture ends this source; a failing store (disk full, database gone) ends the whole run.
      if (!(err instanceof NtaError) || err.code.startsWith('NTA_ERR_STORE')) throw err;
      status = err.code === 'NTA_ERR_CAPTURE_TRUNCATED' ? 'truncated' : 'error';
      error = err.message;
    } finally {
      await source.close();
    }
    await flush();
    // Learning is saved with each source, before its flows end (learning detectors see packets, not flows).
    if (keepLearned) await store!.saveLearned(detect!.learned());
    // Flows end with their capture: each is stored against the capture it came from.
    flows?.flush();
    app?.flush();
    if (hosts !== undefined) {
      if (store !== undefined) unstored.hosts.push(...hosts.snapshot(false));
      hostsSeen += hosts.size;
      hosts.clear();
    }
    flushLogs(captureId, 0);
    detect?.finish();
    flushAlerts(captureId);
    bytes += srcBytes;
    ipPackets += srcIp;
    const after = decoder.counters();
    if (store !== undefined && captureId !== undefined) {
      await store.finishCapture(captureId, {
        endedAt: new Date().toISOString(),
        status,
        error,
        firstPacket: firstTs,
        lastPacket: lastTs,
        packets: srcPackets,
        bytes: srcBytes,
        ipPackets: srcIp,
        malformed: after.malformed - before.malformed,
        truncated: after.truncated - before.truncated,
        unknownLinkType: after.unknownLinkType - before.unknownLinkType,
        dropped: source.stats.dropped,
        ifDropped: source.stats.ifDropped,
        linkTypes: [...linkTypes].sort((a, b) => a - b).join(','),
      });
    }
    sources.push({
      source: source.info.name,
      format: source.info.format,
      captureId: captureId ?? null,
      status,
      error,
      packets: srcPackets,
    });
  }
  const elapsedSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const c = decoder.counters();
  return {
    packets,
    bytes,
    ipPackets,
    malformed: c.malformed,
    truncated: c.truncated,
    unknownLinkType: c.unknownLinkType,
    anomalies: { ...c.byAnomaly, ...app?.anomalies() },
    protocols: protocols.toRecord(),
    rowsStored,
    flows: flows === undefined ? null : { ...flows.stats },
    app: app === undefined ? null : { ...app.stats },
    hosts: hosts === undefined ? null : { devices: hostsSeen, evicted: hosts.evicted },
    elapsedSeconds,
    packetsPerSecond: elapsedSeconds > 0 ? packets / elapsedSeconds : 0,
    sources,
    interrupted,
  };
}

/** The application parsers and the inventory: loaded only with flow tracking on (--no-flows skips them). */
async function loadAppModules() {
  const [{ AppDispatcher }, { HostInventory }] = await Promise.all([
    import('./app/dispatch.js'),
    import('./app/hosts/inventory.js'),
  ]);
  return { AppDispatcher, HostInventory };
}

/** Fills the engine's reused packet event from the decoded frame and runs the packet detectors. */
function detectPacket(
  detect: DetectionEngine,
  batch: PacketBatch,
  i: number,
  d: DecodedPacket,
  ts: number,
): void {
  const ev = detect.packetEvent;
  const data = batch.data;
  ev.ts = ts;
  ev.frame = batch.frame[i]!;
  ev.proto = d.ipProto;
  ev.srcPort = d.srcPort;
  ev.dstPort = d.dstPort;
  ev.tcpFlags = d.tcpFlags;
  ev.icmpType = d.icmpType;
  ev.icmpCode = d.icmpCode;
  ev.length = batch.wireLen[i]!;
  ev.fragment = d.fragOffset !== 0;
  ev.macSrc = d.macSrcOff >= 0 ? macValue(data, d.macSrcOff) : -1;
  ev.data = data;
  ev.payloadOff = d.payloadOff;
  ev.payloadEnd = d.payloadEnd;
  detect.setAddresses(data, d.srcOff, d.dstOff, d.network === Network.IPv6);
  detect.packet();
}

function pushRecord(rec: TrafficRecords, batch: PacketBatch, i: number, d: DecodedPacket): void {
  const r = rec.count++;
  const data = batch.data;
  const addrLen = d.network === Network.IPv6 ? 16 : 4;
  const a = r * ADDR_BYTES;
  for (let k = 0; k < addrLen; k++) {
    rec.src[a + k] = data[d.srcOff + k]!;
    rec.dst[a + k] = data[d.dstOff + k]!;
  }
  rec.frame[r] = batch.frame[i]!;
  rec.tsSec[r] = batch.tsSec[i]!;
  rec.tsNsec[r] = batch.tsNsec[i]!;
  rec.hasTs[r] = batch.hasTs[i]!;
  rec.ipVersion[r] = d.network;
  rec.ipProto[r] = d.ipProto;
  rec.srcPort[r] = d.srcPort;
  rec.dstPort[r] = d.dstPort;
  rec.length[r] = batch.wireLen[i]!;
}

export interface EvidenceWritten {
  /** Frames written. */
  readonly frames: number;
  /** Capture files they were read from, in order. */
  readonly files: readonly string[];
}

/**
 * Writes the frames that are the evidence of one alert (src/evidence/selection.ts says which) to a pcapng
 * file, read back from the capture files the database recorded. A capture that cannot be read again (a
 * live capture without -w, standard input, a file since moved or deleted) is one clear error, raised before
 * the output file is created.
 */
export async function writeAlertEvidence(
  db: QueryDb,
  alertId: string,
  outPath: string,
  writerOptions: PcapngWriterOptions = {},
): Promise<EvidenceWritten> {
  // Loaded here: only `nta alerts --pcap` writes evidence, and every read and capture would load them.
  const [{ readAlertEvidence }, { evidenceUids, selectEvidence }, { extractEvidence }, { PcapngWriter }] =
    await Promise.all([
      import('./store/query/alerts.js'),
      import('./evidence/selection.js'),
      import('./evidence/extract.js'),
      import('./capture/pcapng-writer.js'),
    ]);
  const rows = await readAlertEvidence(db, alertId, evidenceUids);
  const selections = selectEvidence(rows.alert, rows.flows);
  if (selections.length === 0)
    throw new NtaError('NTA_ERR_USAGE', `alert ${alertId} names no frames or flows in its evidence`);
  const captures = new Map(rows.captures.map((c) => [c.id, c]));
  const files = selections.map((sel) => {
    const c = captures.get(sel.captureId);
    const file =
      c === undefined ? null : (c.file ?? (c.format === 'live' || c.source === '-' ? null : c.source));
    if (c === undefined || file === null) {
      const why =
        c === undefined
          ? `capture ${sel.captureId} is not in the database`
          : c.format === 'live'
            ? `they were captured live on ${c.source} and not saved (no -w file, or a ring buffer)`
            : 'they were read from standard input';
      throw new NtaError('NTA_ERR_IO', `alert ${alertId}: cannot read its packets again: ${why}`);
    }
    if (!existsSync(file))
      throw new NtaError('NTA_ERR_IO', `alert ${alertId}: its capture file ${file} is gone`);
    return file;
  });
  const writer = PcapngWriter.create(outPath, writerOptions);
  let frames = 0;
  try {
    for (const [k, sel] of selections.entries()) {
      const source = await openCapture(files[k]!);
      try {
        frames += await extractEvidence(source, sel, writer);
      } finally {
        await source.close();
      }
    }
  } finally {
    writer.close();
  }
  return { frames, files };
}
