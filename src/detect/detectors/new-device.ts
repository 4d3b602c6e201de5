/**
 * new_device: a MAC (or, on links without MACs, an IP) of the home networks not seen before, after a
 * learning period that records the devices present. Once per device. Devices are learned from IP packets
 * with a home source address and from ARP. The devices known and the learning time spent are kept in the
 * database: a later run on it goes on from there (no second learning period, no alert for a known device).
 */
import { addrText, isGroupOrZeroMac, macText, parseIPv4, parseMacText, type AddrKey } from '../addr-key.js';
import { boundedSet, defineDetector } from '../detector.js';

/** Devices remembered at most (the oldest are forgotten first). */
const MAX_DEVICES = 1 << 20;
/** A MAC as a device key: above every IPv4 value, so both fit one map. */
const MAC_KEY = 1e15;
/** The learned entry holding the seconds of learning done so far. */
const LEARNING_KEY = 'learning';

export const newDevice = defineDetector({
  id: 'new_device',
  description: 'A MAC/IP not seen before appears on the local network (after a learning period)',
  subscribes: ['packet', 'arp'],
  defaults: { learning_s: 60 },
  docs: {
    learning_s:
      'seconds of packet time, from the first packet, during which devices are only learned (kept in the database across runs)',
  },
  create(cfg, ctx) {
    /** Device key → packet time first seen. */
    const known = new Map<AddrKey, number>();
    /** Learning seconds spent in earlier runs on the same database. */
    let learnedBefore = 0;
    let firstTs = -1;
    let lastTs = -1;
    let learnUntil = -1;
    let lastKey: AddrKey = -1;
    const see = (key: AddrKey, addr: AddrKey, mac: number, ts: number, frame: number, via: string): void => {
      if (ts > lastTs) lastTs = ts;
      if (key === lastKey) return;
      lastKey = key;
      if (learnUntil < 0) {
        firstTs = ts;
        learnUntil = ts + Math.max(0, cfg.learning_s - learnedBefore);
      }
      if (known.has(key) || (mac >= 0 && isGroupOrZeroMac(mac))) return;
      boundedSet(known, key, ts, MAX_DEVICES);
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
        if (ev.macSrc >= 0) see(ev.macSrc + MAC_KEY, ev.src, ev.macSrc, ev.ts, ev.frame, 'ip');
        else see(ev.src, ev.src, -1, ev.ts, ev.frame, 'ip');
      },
      arp(ev) {
        if (ev.senderIp === 0 || !ctx.home.hasV4(ev.senderIp)) return;
        // A damaged or relayed ARP (group address, or contradicted by the frame's source) names no device.
        if (isGroupOrZeroMac(ev.senderMac) || (ev.ethSrc >= 0 && ev.ethSrc !== ev.senderMac)) return;
        see(ev.senderMac + MAC_KEY, ev.senderIp, ev.senderMac, ev.ts, ev.frame, 'arp');
      },
      *learned() {
        const spent = firstTs < 0 ? 0 : Math.max(0, lastTs - firstTs);
        yield [LEARNING_KEY, { seconds: Math.min(cfg.learning_s, learnedBefore + spent) }];
        for (const [key, first] of known) {
          const name =
            typeof key === 'number' && key >= MAC_KEY
              ? `mac ${macText(key - MAC_KEY)}`
              : `ip ${addrText(key)}`;
          yield [name, { first_seen: first }];
        }
      },
      restore(key, value) {
        if (key === LEARNING_KEY) {
          const s = (value as { seconds?: unknown } | null)?.seconds;
          if (typeof s === 'number' && s >= 0) learnedBefore = s;
          return;
        }
        const first = (value as { first_seen?: unknown } | null)?.first_seen;
        const firstSeen = typeof first === 'number' ? first : 0;
        if (key.startsWith('mac ')) {
          const mac = parseMacText(key.slice(4));
          if (mac >= 0) boundedSet(known, mac + MAC_KEY, firstSeen, MAX_DEVICES);
        } else if (key.startsWith('ip ')) {
          const ip = key.slice(3);
          const v4 = parseIPv4(ip);
          boundedSet(known, v4 >= 0 ? v4 : ip, firstSeen, MAX_DEVICES);
        }
      },
    };
  },
});
