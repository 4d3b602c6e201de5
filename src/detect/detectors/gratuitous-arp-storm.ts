/**
 * gratuitous_arp_storm: a burst of gratuitous ARP (sender address = target address) from one MAC. A host
 * announces itself a few times when it joins or moves; dozens within seconds is a storm or an attack tool.
 */
import { ipv4Text, macText } from '../addr-key.js';
import { boundedSet, defineDetector } from '../detector.js';
import { round6 } from '../window.js';

export const gratuitousArpStorm = defineDetector({
  id: 'gratuitous_arp_storm',
  description: 'Burst of gratuitous ARP from one MAC',
  subscribes: ['arp'],
  defaults: { min_packets: 20, window_s: 10 },
  docs: {
    min_packets: 'gratuitous ARP packets from one MAC within the window that make a storm',
    window_s: 'seconds over which they are counted (tumbling, from the first one)',
  },
  create(cfg, ctx) {
    const byMac = new Map<
      number,
      { start: number; first: number; firstFrame: number; count: number; total: number }
    >();
    return {
      arp(ev) {
        if (ev.senderIp !== ev.targetIp || ev.senderIp === 0) return;
        let s = byMac.get(ev.senderMac);
        if (s === undefined) {
          s = { start: ev.ts, first: ev.ts, firstFrame: ev.frame, count: 0, total: 0 };
          boundedSet(byMac, ev.senderMac, s);
        } else if (ev.ts - s.start > cfg.window_s) {
          if (s.count < cfg.min_packets) {
            s.first = ev.ts;
            s.firstFrame = ev.frame;
            s.total = 0;
          }
          s.start = ev.ts;
          s.count = 0;
        }
        s.count++;
        s.total++;
        if (s.count !== cfg.min_packets) return;
        const mac = macText(ev.senderMac);
        ctx.emit({
          type: 'gratuitous_arp_storm',
          severity: 'medium',
          src: ipv4Text(ev.senderIp),
          first: s.first,
          ts: ev.ts,
          message: `${mac} (${ipv4Text(ev.senderIp)}) sent ${s.count} gratuitous ARP in ${(ev.ts - s.start).toFixed(1)} s`,
          evidence: {
            mac,
            packets: s.total,
            first_frame: s.firstFrame,
            last_frame: ev.frame,
            duration_s: round6(ev.ts - s.first),
          },
          mitre: 'T1557.002',
          identifier: mac,
        });
      },
      sweep(now) {
        for (const [k, s] of byMac) if (now - s.start > 6 * cfg.window_s) byMac.delete(k);
      },
    };
  },
});
