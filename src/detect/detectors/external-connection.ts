/**
 * external_connection: a home-network host talks to an address outside the home networks. One alert per
 * local host and remote address, updated per connection (count = connections); severity rises with
 * unusual ports and volume. Inbound connections count when the local host answered.
 */
import { boundedSet, defineDetector } from '../detector.js';
import { pushSample } from '../window.js';

/** Ports whose outside traffic is everyday: web, DNS, NTP, mail submission, IMAPS. */
const COMMON_PORTS = new Set([53, 80, 123, 443, 853, 993, 587, 8080, 8443]);
const NON_UNICAST = /^(22[4-9]|23[0-9]|255)\.|^ff|^0\.0\.0\.0$/;

interface Pair {
  connections: number;
  bytesOut: number;
  bytesIn: number;
  ports: number[];
  /** A protocol without ports seen (icmp, gre...), or null. */
  other: string | null;
  uids: string[];
}

export const externalConnection = defineDetector({
  id: 'external_connection',
  description: 'A home-network host talks to an address outside the home networks',
  subscribes: ['flow'],
  defaults: { high_volume_bytes: 100_000_000 },
  docs: { high_volume_bytes: 'bytes sent out to one remote above which the alert is medium severity' },
  create(cfg, ctx) {
    const pairs = new Map<string, Pair>();
    return {
      flow(f) {
        const origHome = ctx.home.hasText(f.orig_h);
        const respHome = ctx.home.hasText(f.resp_h);
        if (origHome === respHome) return;
        const local = origHome ? f.orig_h : f.resp_h;
        const remote = origHome ? f.resp_h : f.orig_h;
        if (NON_UNICAST.test(remote)) return;
        if (!origHome && f.resp_pkts === 0) return; // unanswered inbound: not a conversation
        const key = `${local}>${remote}`;
        let p = pairs.get(key);
        if (p === undefined) {
          p = { connections: 0, bytesOut: 0, bytesIn: 0, ports: [], other: null, uids: [] };
          boundedSet(pairs, key, p);
        }
        p.connections++;
        p.bytesOut += origHome ? f.orig_ip_bytes : f.resp_ip_bytes;
        p.bytesIn += origHome ? f.resp_ip_bytes : f.orig_ip_bytes;
        const ported = f.proto === 'tcp' || f.proto === 'udp';
        if (ported && !p.ports.includes(f.resp_p)) pushSample(p.ports, f.resp_p, 10);
        else if (!ported) p.other = f.proto;
        pushSample(p.uids, f.uid, 5);
        const what =
          (p.ports.length > 0 ? `, ports ${p.ports.join(',')}` : '') +
          (p.other === null ? '' : `, ${p.other}`);
        const unusual = p.ports.some((port) => !COMMON_PORTS.has(port));
        const severity = p.bytesOut >= cfg.high_volume_bytes ? 'medium' : unusual ? 'low' : 'info';
        ctx.emit({
          type: 'external_connection',
          variant: origHome ? 'outbound' : 'inbound',
          severity,
          src: local,
          dst: remote,
          dstPort: p.ports.length === 1 ? p.ports[0] : undefined,
          first: f.ts / 1e6,
          ts: f.ts / 1e6 + f.duration,
          message: `${local} ${origHome ? 'connected to' : 'was reached from'} outside address ${remote} (${p.connections} connection${p.connections === 1 ? '' : 's'}${what})`,
          evidence: {
            connections: p.connections,
            other_protocol: p.other,
            bytes_out: p.bytesOut,
            bytes_in: p.bytesIn,
            ports: p.ports,
            sample_uids: p.uids,
            proto: f.proto,
          },
          identifier: key,
        });
      },
    };
  },
});
