/**
 * syn_flood: TCP SYNs (without ACK) to one destination at a rate far above normal, from one source or many
 * (spoofed, reflected). Counted in one-second windows; an episode ends with a window below the rate.
 */
import { defineDetector } from '../detector.js';
import { FloodWindows } from '../flood-window.js';

export const synFlood = defineDetector({
  id: 'syn_flood',
  description: 'TCP SYNs (without ACK) to one destination at a high rate',
  subscribes: ['packet'],
  defaults: { rate: 150 },
  docs: { rate: 'packets per one-second window to one destination that make a flood' },
  create(cfg, ctx) {
    const floods = new FloodWindows(
      { type: 'syn_flood', what: 'SYN', mitre: 'T1498.001', rate: cfg.rate, windowSec: 1 },
      ctx,
    );
    return {
      packet(ev) {
        if (!ev.fragment && (ev.tcpFlags & 0x16) === 0x02) floods.add(ev);
      },
      sweep: (now) => floods.sweep(now),
      finish: () => floods.finish(),
    };
  },
});
