/**
 * udp_flood: UDP datagrams to one destination at a rate far above normal, from one source or many
 * (spoofed, reflected). Counted in one-second windows; an episode ends with a window below the rate. A
 * destination that answers a good share of the datagrams (QUIC, a busy DNS server) is not flooded.
 */
import { defineDetector } from '../detector.js';
import { FloodWindows } from '../flood-window.js';

export const udpFlood = defineDetector({
  id: 'udp_flood',
  description: 'UDP datagrams to one destination at a high rate',
  subscribes: ['packet'],
  defaults: { rate: 500, max_reply_ratio: 0.1 },
  docs: {
    rate: 'packets per one-second window to one destination that make a flood',
    max_reply_ratio: 'a destination answering more than this share of the datagrams is in a conversation',
  },
  create(cfg, ctx) {
    const floods = new FloodWindows(
      {
        type: 'udp_flood',
        what: 'UDP',
        mitre: 'T1498',
        rate: cfg.rate,
        windowSec: 1,
        maxReplyRatio: cfg.max_reply_ratio,
      },
      ctx,
    );
    return {
      packet(ev) {
        if (ev.fragment || ev.proto !== 17) return;
        floods.add(ev);
        floods.reply(ev);
      },
      sweep: (now) => floods.sweep(now),
      finish: () => floods.finish(),
    };
  },
});
