/**
 * Per-target packet rates in one-second tumbling windows, for the flood detectors (a helper, not a
 * detector). Sources are counted up to a cap, so a spoofed flood costs bounded memory.
 */
import { addrText, type AddrKey } from './addr-key.js';
import { boundedSet, type DetectorContext } from './detector.js';
import type { PacketEvent } from './events.js';
import type { AlertType } from '../schema/alert.js';
import { CappedSet, pushSample, round6 } from './window.js';

interface Target {
  readonly dst: AddrKey;
  last: number;
  lastFrame: number;
  /** Packets when last reported; 0 before the alert. */
  reported: number;
  windowStart: number;
  count: number;
  /** Packets the target sent in the current window, and whether the window was reported. */
  replies: number;
  windowAlerted: boolean;
  /** First packet time of the current run of windows above the rate, or -1. */
  floodStart: number;
  firstFrame: number;
  total: number;
  peak: number;
  readonly sources: CappedSet<AddrKey>;
  topSource: AddrKey;
  topCount: number;
  readonly ports: number[];
}

export interface FloodSpec {
  readonly type: AlertType;
  readonly what: string;
  readonly mitre: string;
  readonly rate: number;
  readonly windowSec: number;
  /**
   * A window whose target answered more than this share of the packets (a download, a busy server) is
   * traffic, not a flood; undefined: answers are not counted (SYN-ACKs and echo replies prove nothing).
   */
  readonly maxReplyRatio?: number | undefined;
}

export class FloodWindows {
  readonly #targets = new Map<AddrKey, Target>();
  readonly #spec: FloodSpec;
  readonly #ctx: DetectorContext;

  constructor(spec: FloodSpec, ctx: DetectorContext) {
    this.#spec = spec;
    this.#ctx = ctx;
  }

  add(ev: PacketEvent): void {
    let t = this.#targets.get(ev.dst);
    const ts = ev.ts;
    if (t === undefined) {
      t = {
        dst: ev.dst,
        last: ts,
        lastFrame: ev.frame,
        reported: 0,
        windowStart: ts,
        count: 0,
        replies: 0,
        windowAlerted: false,
        floodStart: -1,
        firstFrame: ev.frame,
        total: 0,
        peak: 0,
        sources: new CappedSet(1024),
        topSource: ev.src,
        topCount: 0,
        ports: [],
      };
      boundedSet(this.#targets, ev.dst, t);
    } else if (ts - t.windowStart >= this.#spec.windowSec) {
      // A quiet window ends the flood episode.
      if (t.count < this.#spec.rate) {
        this.#refresh(t);
        this.#reset(t, ev);
      }
      t.windowStart = ts;
      t.count = 0;
      t.replies = 0;
      t.windowAlerted = false;
    }
    t.count++;
    t.total++;
    t.last = ts;
    t.lastFrame = ev.frame;
    if (t.floodStart < 0) t.floodStart = ts;
    t.sources.add(ev.src);
    if (ev.src === t.topSource) t.topCount++;
    if (ev.dstPort >= 0 && !t.ports.includes(ev.dstPort)) pushSample(t.ports, ev.dstPort, 5);
    if (t.count > t.peak) t.peak = t.count;
    if (t.count < this.#spec.rate || t.windowAlerted) return;
    const ratio = this.#spec.maxReplyRatio;
    if (ratio !== undefined && t.replies > t.count * ratio) return;
    t.windowAlerted = true;
    this.#emit(t, false);
  }

  /** A packet from `ev.src`: counted as an answer when `ev.src` is a tracked target. */
  reply(ev: PacketEvent): void {
    const t = this.#targets.get(ev.src);
    if (t !== undefined && ev.ts - t.windowStart < this.#spec.windowSec) t.replies++;
  }

  /** Brings a reported flood's evidence (totals, duration) up to date without counting a detection. */
  #refresh(t: Target): void {
    if (t.reported > 0 && t.total > t.reported) this.#emit(t, true);
  }

  #reset(t: Target, ev: PacketEvent): void {
    t.floodStart = -1;
    t.firstFrame = ev.frame;
    t.total = 0;
    t.peak = 0;
    // Cleared, not replaced: every busy destination comes through here once a second.
    t.sources.clear();
    t.topSource = ev.src;
    t.topCount = 0;
    t.ports.length = 0;
    t.reported = 0;
  }

  #emit(t: Target, refresh: boolean): void {
    t.reported = t.total;
    const s = this.#spec;
    const nSrc = t.sources.size;
    const single = t.topCount * 2 > t.total;
    const from = single
      ? addrText(t.topSource)
      : `${nSrc}${nSrc >= 1024 ? '+' : ''} sources (spoofed or distributed)`;
    this.#ctx.emit({
      type: s.type,
      severity: 'high',
      src: addrText(t.topSource),
      dst: addrText(t.dst),
      dstPort: t.ports.length === 1 ? t.ports[0] : undefined,
      first: t.floodStart,
      ts: t.last,
      message: `${s.what} flood on ${addrText(t.dst)}: ${t.peak} per ${s.windowSec} s at the peak, ${t.total} in all, from ${from}`,
      evidence: {
        packets: t.total,
        peak_per_window: t.peak,
        window_s: s.windowSec,
        distinct_sources: nSrc,
        single_source: single,
        sample_sources: t.sources.sample(5).map(addrText),
        sample_ports: [...t.ports], // a copy: t.ports is reused
        first_frame: t.firstFrame,
        last_frame: t.lastFrame,
        duration_s: round6(t.last - t.floodStart),
      },
      mitre: s.mitre,
      identifier: addrText(t.dst),
      refresh,
    });
  }

  sweep(now: number): void {
    for (const [k, t] of this.#targets) {
      this.#refresh(t);
      if (now - t.windowStart > 10 * this.#spec.windowSec) this.#targets.delete(k);
    }
  }

  finish(): void {
    for (const t of this.#targets.values()) this.#refresh(t);
  }
}
