import type { PacketBatch, SourceInfo, SourceStats } from '../capture/packet-batch.js';
import { type DecodedPacket, Network } from '../decode/packet.js';
import type { FlowTableStats } from '../flow/table.js';
import type { LiveCounters, PacketObserver } from '../pipeline.js';
import { formatBytes, formatCount } from './numbers.js';
import { ProtocolCounts } from './protocol-counts.js';

/** What the status reads from the source being read: its name and kind, bytes read and drops. */
export interface StatusSource {
  readonly info: SourceInfo;
  readonly stats: SourceStats;
}

export interface LiveStatusOptions {
  /** Sources the run will read (files or one interface). */
  readonly inputs: number;
  /** Bytes of all input files together when every size is known: turns on the progress bar and ETA. */
  readonly totalBytes?: number | undefined;
  /** Alerts raised so far; the alerts figure is shown only when this is given. */
  readonly alerts?: (() => number) | undefined;
}

/** Rates are measured over about this much of the recent past. */
const RATE_WINDOW_MS = 1000;
const BAR_WIDTH = 30;

interface Sample {
  readonly t: number;
  readonly packets: number;
  readonly bytes: number;
}

/**
 * The live view's figures: counted per packet with no allocation (a counter, a sum and a typed-array
 * increment), turned into text only when the terminal is redrawn, a few times a second.
 */
export class LiveStatus implements PacketObserver {
  readonly #protocols = new ProtocolCounts();
  readonly #options: LiveStatusOptions;
  #packets = 0;
  #bytes = 0;
  #flows: Readonly<FlowTableStats> | null = null;
  #source: StatusSource | null = null;
  #sourceIndex = 0;
  /** Bytes read and packets dropped by the sources before the current one. */
  #doneBytes = 0;
  #doneDrops = 0;
  #startedAt: number | null = null;
  #samples: Sample[] = [];

  constructor(options: LiveStatusOptions) {
    this.#options = options;
  }

  packet(batch: PacketBatch, i: number, d: DecodedPacket): void {
    this.#packets++;
    this.#bytes += batch.wireLen[i]!;
    if (d.network === Network.IPv4 || d.network === Network.IPv6) this.#protocols.addIp(d.ipProto);
    else if (d.network === Network.ARP) this.#protocols.addArp();
    else this.#protocols.addNonIp();
  }

  batchDone(): boolean {
    return true;
  }

  started(live: LiveCounters): void {
    this.#flows = live.flows;
  }

  /** The pipeline opened its next source. */
  sourceOpened(source: StatusSource): void {
    if (this.#source !== null) {
      this.#doneBytes += this.#source.stats.bytesRead;
      this.#doneDrops += drops(this.#source.stats);
    }
    this.#source = source;
    this.#sourceIndex++;
  }

  /** The status lines at time `now` (ms), each cut to `width` columns. */
  lines(now: number, width: number): string[] {
    this.#startedAt ??= now;
    const elapsed = (now - this.#startedAt) / 1000;
    const rate = this.#rate(now);
    const out: string[] = [this.#heading()];
    const progress = this.#progress(elapsed);
    if (progress !== null) out.push(progress);
    out.push(
      `${formatCount(Math.round(rate.packets))} packets/s  ${formatBits(rate.bytes * 8)}  │  ` +
        `${formatCount(this.#packets)} packets, ${formatBytes(this.#bytes)}  │  ${formatClock(elapsed)}`,
    );
    const protocols = Object.entries(this.#protocols.toRecord());
    out.push(
      protocols.length === 0
        ? 'No packets yet'
        : protocols.map(([name, n]) => `${name} ${formatCount(n)}`).join('  ·  '),
    );
    const parts: string[] = [];
    if (this.#flows !== null)
      parts.push(
        `Flows ${formatCount(this.#flows.liveFlows)} open, ${formatCount(this.#flows.flowsEnded)} ended`,
      );
    parts.push(
      `Dropped ${formatCount(this.#doneDrops + (this.#source === null ? 0 : drops(this.#source.stats)))}`,
    );
    if (this.#options.alerts !== undefined) parts.push(`Alerts ${formatCount(this.#options.alerts())}`);
    out.push(parts.join('  ·  '));
    return out.map((l) => fit(l, width));
  }

  #heading(): string {
    const s = this.#source;
    if (s === null) return 'Starting…';
    if (s.info.format === 'live') return `Capturing on ${s.info.name}`;
    const n = this.#options.inputs;
    return `Reading ${s.info.name}${n > 1 ? ` (file ${this.#sourceIndex} of ${n})` : ''}`;
  }

  #progress(elapsed: number): string | null {
    const total = this.#options.totalBytes;
    if (total === undefined || total <= 0) return null;
    const done = Math.min(total, this.#doneBytes + (this.#source?.stats.bytesRead ?? 0));
    const share = done / total;
    const filled = Math.round(share * BAR_WIDTH);
    const bar = '█'.repeat(filled) + '░'.repeat(BAR_WIDTH - filled);
    const eta =
      share > 0.005 && elapsed >= 1 ? `ETA ${formatClock((elapsed * (1 - share)) / share)}` : 'ETA –';
    return `${bar} ${(share * 100).toFixed(0).padStart(3)}%  ${formatBytes(done)} of ${formatBytes(total)}  ${eta}`;
  }

  /** Packets and bytes per second over the last RATE_WINDOW_MS. */
  #rate(now: number): { packets: number; bytes: number } {
    const samples = this.#samples;
    samples.push({ t: now, packets: this.#packets, bytes: this.#bytes });
    while (samples.length > 2 && now - samples[1]!.t >= RATE_WINDOW_MS) samples.shift();
    const first = samples[0]!;
    const dt = (now - first.t) / 1000;
    if (dt <= 0) return { packets: 0, bytes: 0 };
    return { packets: (this.#packets - first.packets) / dt, bytes: (this.#bytes - first.bytes) / dt };
  }
}

const drops = (s: SourceStats): number => s.dropped + s.ifDropped;

/** Bits per second with SI prefixes: 98.1 Mbit/s. */
export function formatBits(bitsPerSecond: number): string {
  const units = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s', 'Tbit/s'];
  let v = bitsPerSecond;
  let u = 0;
  while (v >= 999.5 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${Math.round(v)} ${units[0]!}` : `${v.toPrecision(3)} ${units[u]!}`;
}

/** Seconds as m:ss or h:mm:ss. */
export function formatClock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A line cut to the terminal's width (a wrapped line would break the redraw's line count). */
function fit(line: string, width: number): string {
  const max = Math.max(10, width - 1);
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}
