/**
 * icmp_flood: ICMP/ICMPv6 echo requests to one destination at a rate far above normal, from one source or many
 * (spoofed, reflected). Counted in one-second windows; an episode ends with a window below the rate.
 */
import { defineDetector } from '../detector.js';
import { FloodWindows } from '../flood-window.js';

export const icmpFlood = defineDetector({
  id: 'icmp_flood',
  description: 'ICMP/ICMPv6 echo requests to one destination at a high rate',
  subscribes: ['packet'],
  defaults: { rate: 150 },
  docs: { rate: 'packets per one-second window to one destination that make a flood' },
  create(cfg, ctx) {
    const floods = new FloodWindows(
      { type: 'icmp_flood', what: 'ICMP echo', mitre: 'T1498.001', rate: cfg.rate, windowSec: 1 },
      ctx,
    );
    return {
      packet(ev) {
        if (
          !ev.fragment &&
          ((ev.proto === 1 && ev.icmpType === 8) || (ev.proto === 58 && ev.icmpType === 128))
        )
          floods.add(ev);
      },
      sweep: (now) => floods.sweep(now),
      finish: () => floods.finish(),
    };
  },
});
