/**
 * dns_tunneling: data carried in DNS queries: many long subdomains under one domain, many TXT/NULL
 * queries with distinct names, or a very large number of unique names under one domain. Counted per client
 * and registered domain (the last two labels) in tumbling windows.
 */
import { addrText, type AddrKey } from '../addr-key.js';
import { boundedSet, defineDetector } from '../detector.js';
import { CappedSet, pushSample, round6 } from '../window.js';

interface DomainState {
  start: number;
  /** Flow uids of the first queries counted (a tunnel over UDP uses a new flow per query). */
  uids: string[];
  queries: number;
  long: number;
  txtNull: number;
  longest: number;
  unique: CappedSet<string>;
  samples: string[];
  alerted: boolean;
}

const QTYPE_NULL = 10;
const QTYPE_TXT = 16;
/** Reverse lookups are many unique names under one domain by nature. */
const EXEMPT = /(^|\.)(in-addr|ip6)\.arpa$/;

/** Shannon entropy (bits per character) of a string. */
export function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

export const dnsTunneling = defineDetector({
  id: 'dns_tunneling',
  description: 'Long or high-entropy subdomains, TXT/NULL-heavy or many unique names under one domain',
  subscribes: ['dns'],
  defaults: {
    long_label_chars: 50,
    min_long_queries: 10,
    min_txt_null: 30,
    min_unique_names: 300,
    window_s: 300,
  },
  docs: {
    long_label_chars: 'characters before the registered domain that make a query name long',
    min_long_queries: 'long query names under one domain from one client that make a tunnel',
    min_txt_null: 'TXT/NULL queries with distinct names under one domain that make a tunnel',
    min_unique_names: 'distinct names under one domain from one client that make a tunnel',
    window_s: 'seconds over which queries are counted (tumbling, from the first one)',
  },
  create(cfg, ctx) {
    const byClient = new Map<AddrKey, Map<string, DomainState>>();
    return {
      dns(q) {
        const labels = q.name.split('.');
        if (labels.length < 3 || EXEMPT.test(q.name)) return;
        const base = labels.slice(-2).join('.');
        const sub = q.name.slice(0, q.name.length - base.length - 1);
        let domains = byClient.get(q.src);
        if (domains === undefined) {
          domains = new Map();
          boundedSet(byClient, q.src, domains);
        }
        let s = domains.get(base);
        if (s === undefined || q.ts - s.start > cfg.window_s) {
          s = {
            start: q.ts,
            uids: [],
            queries: 0,
            long: 0,
            txtNull: 0,
            longest: 0,
            unique: new CappedSet(),
            samples: [],
            alerted: false,
          };
          boundedSet(domains, base, s, 4096);
        }
        s.queries++;
        if (s.uids[s.uids.length - 1] !== q.uid) pushSample(s.uids, q.uid, 5);
        const isNew = s.unique.add(sub);
        if (sub.length >= cfg.long_label_chars) {
          s.long++;
          pushSample(s.samples, q.name.length > 80 ? `${q.name.slice(0, 77)}...` : q.name, 3);
        }
        if ((q.qtype === QTYPE_TXT || q.qtype === QTYPE_NULL) && isNew) s.txtNull++;
        if (q.name.length > s.longest) s.longest = q.name.length;
        if (s.alerted) return;
        const why =
          s.long >= cfg.min_long_queries
            ? `${s.long} long query names`
            : s.txtNull >= cfg.min_txt_null
              ? `${s.txtNull} distinct TXT/NULL queries`
              : s.unique.size >= cfg.min_unique_names
                ? `${s.unique.size} unique names`
                : null;
        if (why === null) return;
        s.alerted = true;
        ctx.emit({
          type: 'dns_tunneling',
          severity: 'high',
          src: addrText(q.src),
          dst: addrText(q.dst),
          dstPort: 53,
          first: s.start,
          ts: q.ts,
          message: `${addrText(q.src)} looks like a DNS tunnel under ${base}: ${why} in ${(q.ts - s.start).toFixed(1)} s`,
          evidence: {
            domain: base,
            queries: s.queries,
            long_names: s.long,
            txt_null_queries: s.txtNull,
            unique_names: s.unique.size,
            longest_name: s.longest,
            subdomain_entropy: Math.round(entropy(sub) * 100) / 100,
            sample_names: s.samples,
            flow_uids: s.uids,
            duration_s: round6(q.ts - s.start),
          },
          mitre: 'T1071.004',
          identifier: `${addrText(q.src)}/${base}`,
          domain: base,
        });
      },
      sweep(now) {
        for (const [c, domains] of byClient) {
          for (const [d, s] of domains) if (now - s.start > cfg.window_s) domains.delete(d);
          if (domains.size === 0) byClient.delete(c);
        }
      },
    };
  },
});
