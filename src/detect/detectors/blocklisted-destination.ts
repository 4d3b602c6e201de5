/**
 * blocklisted_destination: traffic between a host and an address on a configured blocklist (either
 * direction; the local side is src_ip), or a DNS query, HTTP Host header or TLS server name for a listed
 * domain. One alert per host and listed
 * party, updated at most once a minute while the traffic goes on. Inactive when the blocklist is empty.
 */
import { addrText, type AddrKey } from '../addr-key.js';
import { boundedSet, defineDetector } from '../detector.js';
import type { PacketEvent } from '../events.js';

interface Hit {
  first: number;
  firstFrame: number;
  lastEmit: number;
  packets: number;
  bytes: number;
}

export const blocklistedDestination = defineDetector({
  id: 'blocklisted_destination',
  description: 'Traffic to an address, or a domain (DNS query, HTTP Host, TLS server name), on a blocklist',
  subscribes: ['packet', 'dns', 'domain'],
  defaults: { update_s: 60 },
  docs: { update_s: 'seconds between updates of one alert while the traffic goes on' },
  create(cfg, ctx) {
    const bl = ctx.blocklist;
    if (bl.empty) return {};
    /** Per-address verdicts: one Set probe per prefix length is paid once per address. */
    const listed = new Map<AddrKey, boolean>();
    const isListed = (k: AddrKey): boolean => {
      let v = listed.get(k);
      if (v === undefined) {
        v = bl.addresses.has(k);
        boundedSet(listed, k, v);
      }
      return v;
    };
    const hits = new Map<string, Hit>();
    const hit = (local: AddrKey, remote: AddrKey, ev: PacketEvent): void => {
      const key = `${local}>${remote}`;
      let h = hits.get(key);
      if (h === undefined) {
        h = { first: ev.ts, firstFrame: ev.frame, lastEmit: -Infinity, packets: 0, bytes: 0 };
        boundedSet(hits, key, h);
      }
      h.packets++;
      h.bytes += ev.length;
      if (ev.ts - h.lastEmit < cfg.update_s) return;
      h.lastEmit = ev.ts;
      const r = addrText(remote);
      const entry = typeof remote === 'number' ? bl.addresses.matchV4(remote) : r;
      ctx.emit({
        type: 'blocklisted_destination',
        severity: 'high',
        src: addrText(local),
        dst: r,
        dstPort: ev.dst === remote && ev.dstPort >= 0 ? ev.dstPort : undefined,
        first: h.first,
        ts: ev.ts,
        message: `${addrText(local)} exchanged traffic with blocklisted ${r} (${entry})`,
        evidence: {
          entry,
          packets: h.packets,
          bytes: h.bytes,
          first_frame: h.firstFrame,
          last_frame: ev.frame,
        },
        identifier: key,
      });
    };
    return {
      packet(ev) {
        if (bl.addresses.size === 0) return;
        if (isListed(ev.dst)) hit(ev.src, ev.dst, ev);
        else if (isListed(ev.src)) hit(ev.dst, ev.src, ev);
      },
      domain(d) {
        const entry = bl.matchDomain(d.name);
        if (entry === null) return;
        ctx.emit({
          type: 'blocklisted_destination',
          variant: 'domain',
          severity: 'high',
          src: d.src,
          dst: d.dst,
          dstPort: d.dstPort,
          first: d.ts,
          ts: d.ts,
          message: `${d.src} contacted blocklisted ${d.name} (${entry}, ${d.source === 'http' ? 'HTTP Host' : 'TLS server name'})`,
          evidence: { entry, name: d.name, seen_in: d.source, uid: d.uid },
          identifier: `${d.src}>${entry}`,
          domain: d.name,
        });
      },
      dns(q) {
        const entry = bl.matchDomain(q.name);
        if (entry === null) return;
        ctx.emit({
          type: 'blocklisted_destination',
          variant: 'domain',
          severity: 'high',
          src: addrText(q.src),
          dst: addrText(q.dst),
          first: q.ts,
          ts: q.ts,
          message: `${addrText(q.src)} looked up blocklisted ${q.name} (${entry})`,
          evidence: { entry, name: q.name, seen_in: 'dns', uid: q.uid },
          identifier: `${addrText(q.src)}>${entry}`,
          domain: q.name,
        });
      },
    };
  },
});
