/**
 * c2_beaconing: a local host connects to one outside destination (address and port) at regular
 * intervals: most gaps between connection starts lie close to their median. Needs many connections
 * (default 30), so a few periodic fetches do not qualify; services periodic by design (DNS, NTP, SSDP,
 * mDNS, NetBIOS, DHCP) are left out.
 */
import { boundedSet, defineDetector } from '../detector.js';
import { pushSample, round6 } from '../window.js';

const PERIODIC_SERVICES = new Set([53, 67, 68, 123, 137, 138, 1900, 5353, 5355]);
const MAX_STARTS = 256;

interface Series {
  starts: number[];
  uids: string[];
  alertedAt: number;
}

export const c2Beaconing = defineDetector({
  id: 'c2_beaconing',
  description: 'Connections from a host to one outside destination at regular intervals',
  subscribes: ['flow'],
  defaults: { min_connections: 30, min_interval_s: 2, tolerance: 0.2, min_regular_fraction: 0.8 },
  docs: {
    min_connections: 'connections to one destination before the intervals are judged',
    min_interval_s: 'median interval below this is not beaconing (polling, streaming)',
    tolerance: 'an interval is regular within this fraction of the median',
    min_regular_fraction: 'share of regular intervals that makes a beacon',
  },
  create(cfg, ctx) {
    const series = new Map<string, Series>();
    return {
      flow(f) {
        if (PERIODIC_SERVICES.has(f.resp_p) || !ctx.home.hasText(f.orig_h) || ctx.home.hasText(f.resp_h))
          return;
        const key = `${f.orig_h}>${f.resp_h}:${f.resp_p}/${f.proto}`;
        let s = series.get(key);
        if (s === undefined) {
          s = { starts: [], uids: [], alertedAt: 0 };
          boundedSet(series, key, s);
        }
        if (s.starts.length >= MAX_STARTS) s.starts.shift();
        s.starts.push(f.ts / 1e6);
        pushSample(s.uids, f.uid, 5);
        const n = s.starts.length;
        if (n < cfg.min_connections || n < s.alertedAt * 2) return;
        const t = [...s.starts].sort((a, b) => a - b);
        const gaps: number[] = [];
        for (let i = 1; i < t.length; i++) gaps.push(t[i]! - t[i - 1]!);
        const sorted = [...gaps].sort((a, b) => a - b);
        const median = sorted[sorted.length >> 1]!;
        if (median < cfg.min_interval_s) return;
        const regular = gaps.filter((g) => Math.abs(g - median) <= cfg.tolerance * median).length;
        const fraction = regular / gaps.length;
        if (fraction < cfg.min_regular_fraction) return;
        s.alertedAt = n;
        const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
        const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
        ctx.emit({
          type: 'c2_beaconing',
          severity: 'high',
          src: f.orig_h,
          dst: f.resp_h,
          dstPort: f.resp_p,
          first: t[0]!,
          ts: t[t.length - 1]!,
          message: `${f.orig_h} connects to ${f.resp_h}:${f.resp_p} every ${median.toFixed(1)} s (${n} connections, ${Math.round(fraction * 100)}% regular)`,
          evidence: {
            connections: n,
            interval_median_s: round6(median),
            interval_mean_s: round6(mean),
            interval_stdev_s: round6(sd),
            regular_fraction: Math.round(fraction * 1000) / 1000,
            sample_uids: s.uids,
          },
          mitre: 'T1071',
          identifier: key,
        });
      },
    };
  },
});
