/**
 * udp_flood: UDP datagrams to one destination at a rate far above normal, from one source or many
 * (spoofed, reflected). Counted in one-second windows; an episode ends with a window below the rate.
 */
import { defineDetector } from '../detector.js';
import { FloodWindows } from '../flood-window.js';

export const udpFlood = defineDetector({
  id: 'udp_flood',
  description: 'UDP datagrams to one destination at a high rate',
  subscribes: ['packet'],
  defaults: { rate: 500 },
  docs: { rate: 'packets per one-second window to one destination that make a flood' },
  create(cfg, ctx) {
    const floods = new FloodWindows(
      { type: 'udp_flood', what: 'UDP', mitre: 'T1498', rate: cfg.rate, windowSec: 1 },
      ctx,
    );
    return {
      packet(ev) {
        if (!ev.fragment && ev.proto === 17) floods.add(ev);
      },
      sweep: (now) => floods.sweep(now),
      finish: () => floods.finish(),
    };
  },
});
