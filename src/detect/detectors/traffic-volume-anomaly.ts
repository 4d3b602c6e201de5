/**
 * traffic_volume_anomaly: a home host sends far more than its own learned baseline. Bytes sent are
 * summed per interval; an EWMA of the interval totals (and of their squared deviation) is the baseline.
 * An interval alerts when it exceeds the baseline by `factor` and `sigmas` deviations, and is at least
 * `min_bytes`, once `learn_intervals` intervals have been seen. Baselines are kept in the database: a
 * later run on it starts from them instead of learning again.
 */
import { addrText, parseIPv4, type AddrKey } from '../addr-key.js';
import { boundedSet, defineDetector } from '../detector.js';
import { round6 } from '../window.js';

interface Host {
  /** Start of the current interval; NaN for a baseline restored from an earlier run, not seen yet. */
  start: number;
  firstFrame: number;
  bytes: number;
  mean: number;
  variance: number;
  intervals: number;
  threshold: number;
  alerted: boolean;
}

/** Idle intervals folded into the baseline at once, at most (a long silence is a reset, not a loop). */
const MAX_IDLE_STEPS = 1000;

export const trafficVolumeAnomaly = defineDetector({
  id: 'traffic_volume_anomaly',
  description: "A host's traffic far above its own learned baseline (EWMA)",
  subscribes: ['packet'],
  defaults: { interval_s: 10, alpha: 0.1, factor: 10, sigmas: 6, min_bytes: 5_000_000, learn_intervals: 6 },
  docs: {
    interval_s: 'seconds per interval whose bytes are compared with the baseline',
    alpha: 'EWMA weight of the newest interval',
    factor: 'an anomaly exceeds the baseline mean this many times',
    sigmas: 'and the mean by this many standard deviations',
    min_bytes: 'and is at least this many bytes in one interval',
    learn_intervals: 'intervals seen before alerting',
  },
  create(cfg, ctx) {
    const hosts = new Map<AddrKey, Host>();
    const thresholdOf = (h: Host): number =>
      h.intervals < cfg.learn_intervals
        ? Infinity
        : Math.max(cfg.min_bytes, h.mean * cfg.factor, h.mean + cfg.sigmas * Math.sqrt(h.variance));
    const fold = (h: Host, bytes: number): void => {
      const d = bytes - h.mean;
      h.mean += cfg.alpha * d;
      h.variance = (1 - cfg.alpha) * (h.variance + cfg.alpha * d * d);
      h.intervals++;
    };
    return {
      packet(ev) {
        if (!ev.srcHome) return;
        let h = hosts.get(ev.src);
        if (h === undefined) {
          h = {
            start: ev.ts,
            firstFrame: ev.frame,
            bytes: 0,
            mean: 0,
            variance: 0,
            intervals: 0,
            threshold: Infinity,
            alerted: false,
          };
          boundedSet(hosts, ev.src, h);
        } else if (Number.isNaN(h.start)) {
          h.start = ev.ts;
          h.firstFrame = ev.frame;
          h.threshold = thresholdOf(h);
        } else if (ev.ts - h.start >= cfg.interval_s) {
          const steps = Math.floor((ev.ts - h.start) / cfg.interval_s);
          fold(h, h.bytes);
          for (let i = 1; i < Math.min(steps, MAX_IDLE_STEPS); i++) fold(h, 0);
          h.start += steps * cfg.interval_s;
          h.firstFrame = ev.frame;
          h.bytes = 0;
          h.alerted = false;
          h.threshold = thresholdOf(h);
        }
        h.bytes += ev.length;
        if (h.alerted || h.bytes < h.threshold) return;
        h.alerted = true;
        const src = addrText(ev.src);
        ctx.emit({
          type: 'traffic_volume_anomaly',
          severity: 'medium',
          src,
          dst: addrText(ev.dst),
          dstPort: ev.dstPort >= 0 ? ev.dstPort : undefined,
          first: h.start,
          ts: ev.ts,
          message: `${src} sent ${h.bytes} bytes in ${cfg.interval_s} s, baseline ${Math.round(h.mean)} bytes`,
          evidence: {
            bytes_in_interval: h.bytes,
            interval_s: cfg.interval_s,
            baseline_mean_bytes: Math.round(h.mean),
            baseline_stdev_bytes: Math.round(Math.sqrt(h.variance)),
            threshold_bytes: Math.round(h.threshold),
            sample_destination: addrText(ev.dst),
            first_frame: h.firstFrame,
            frame: ev.frame,
            interval_start_s: round6(h.start),
          },
          mitre: 'T1048',
          identifier: src,
        });
      },
      sweep(now) {
        // Hosts silent for a day lose their baseline (restored ones not seen yet keep it: NaN compares false).
        for (const [k, h] of hosts) if (now - h.start > 86_400) hosts.delete(k);
      },
      *learned() {
        for (const [k, h] of hosts)
          if (h.intervals > 0)
            yield [addrText(k), { mean: h.mean, variance: h.variance, intervals: h.intervals }];
      },
      restore(key, value) {
        const v = value as { mean?: unknown; variance?: unknown; intervals?: unknown } | null;
        const { mean, variance, intervals } = v ?? {};
        if (typeof mean !== 'number' || typeof variance !== 'number' || typeof intervals !== 'number') return;
        if (!(mean >= 0 && variance >= 0 && intervals >= 0)) return;
        const v4 = parseIPv4(key);
        boundedSet(hosts, v4 >= 0 ? v4 : key, {
          start: NaN,
          firstFrame: 0,
          bytes: 0,
          mean,
          variance,
          intervals,
          threshold: Infinity,
          alerted: false,
        });
      },
    };
  },
});
