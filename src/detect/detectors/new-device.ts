/**
 * new_device: a MAC (or, on links without MACs, an IP) of the home networks not seen before, after a
 * learning period that records the devices present. Once per device. Devices are learned from IP packets
 * with a home source address and from ARP.
 */
import { addrText, isGroupOrZeroMac, macText, type AddrKey } from '../addr-key.js';
import { boundedSet, defineDetector } from '../detector.js';

export const newDevice = defineDetector({
  id: 'new_device',
  description: 'A MAC/IP not seen before appears on the local network (after a learning period)',
  subscribes: ['packet', 'arp'],
  defaults: { learning_s: 60 },
  docs: {
    learning_s: 'seconds of packet time, from the first packet, during which devices are only learned',
  },
  create(cfg, ctx) {
    const known = new Map<AddrKey, true>();
    let learnUntil = -1;
    let lastKey: AddrKey = -1;
    const see = (key: AddrKey, addr: AddrKey, mac: number, ts: number, frame: number, via: string): void => {
      if (key === lastKey) return;
      lastKey = key;
      if (learnUntil < 0) learnUntil = ts + cfg.learning_s;
      if (known.has(key) || (mac >= 0 && isGroupOrZeroMac(mac))) return;
      boundedSet(known, key, true, 1 << 20);
      if (ts < learnUntil) return;
      const ip = addrText(addr);
      const m = mac >= 0 ? macText(mac) : null;
      ctx.emit({
        type: 'new_device',
        severity: 'info',
        src: ip,
        first: ts,
        ts,
        message: `new device ${m === null ? ip : `${m} (${ip})`} on the local network`,
        evidence: { mac: m, ip, first_frame: frame, seen_via: via },
        mitre: 'T1200',
        identifier: m ?? ip,
      });
    };
    return {
      packet(ev) {
        if (!ev.srcHome) return;
        if (ev.macSrc >= 0) see(ev.macSrc + 1e15, ev.src, ev.macSrc, ev.ts, ev.frame, 'ip');
        else see(ev.src, ev.src, -1, ev.ts, ev.frame, 'ip');
      },
      arp(ev) {
        if (ev.senderIp === 0 || !ctx.home.hasV4(ev.senderIp)) return;
        // A damaged or relayed ARP (group address, or contradicted by the frame's source) names no device.
        if (isGroupOrZeroMac(ev.senderMac) || (ev.ethSrc >= 0 && ev.ethSrc !== ev.senderMac)) return;
        see(ev.senderMac + 1e15, ev.senderIp, ev.senderMac, ev.ts, ev.frame, 'arp');
      },
    };
  },
});
