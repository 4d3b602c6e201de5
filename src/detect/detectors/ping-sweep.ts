/**
 * ping_sweep: one source probes many addresses for liveness: ICMP/ICMPv6 echo requests, ARP requests
 * (keyed by the sender MAC), or bare TCP ACKs to one port from one source port (nmap -PA).
 * TCP SYN sweeps are reported as port_scan_horizontal.
 */
import { addrText, macText, type AddrKey } from '../addr-key.js';
import { boundedSet, defineDetector } from '../detector.js';
import { TcpFlags, type ArpEvent, type PacketEvent } from '../events.js';
import { CappedSet, Every, round6, SCAN_PURGE_EVERY_S } from '../window.js';

interface Sweep {
  start: number;
  firstFrame: number;
  last: number;
  lastFrame: number;
  targets: CappedSet<AddrKey>;
  nextAlert: number;
  /** Targets when last reported (0: not yet), and how to report again. */
  reported: number;
  variant: string;
  src: string;
  extra: Record<string, unknown>;
}

/**
 * A key's first probe. Most keys never probe a second host (a bare ACK of one connection, one ping): the
 * full state, with its target set, is made only when a second host is probed.
 */
class FirstProbe {
  readonly target: AddrKey;
  readonly ts: number;
  readonly frame: number;
  constructor(target: AddrKey, ts: number, frame: number) {
    this.target = target;
    this.ts = ts;
    this.frame = frame;
  }
}

/** Evidence particular to a variant, made when a sweep starts (not for every probe). */
type ExtraOf = (ev: PacketEvent | ArpEvent) => Record<string, unknown>;
const noExtra: ExtraOf = () => ({});
const ackExtra: ExtraOf = (ev) => {
  const p = ev as PacketEvent;
  return { port: p.dstPort, source_port: p.srcPort };
};
const arpExtra: ExtraOf = (ev) => ({ mac: macText((ev as ArpEvent).senderMac) });

/** As for ACK scans: above this port, bare ACKs are mostly servers answering clients. */
const ACK_PROBE_MAX_PORT = 32767;
const IPPROTO_ICMP = 1;
const IPPROTO_ICMPV6 = 58;

export const pingSweep = defineDetector({
  id: 'ping_sweep',
  description: 'One source probes many hosts for liveness (icmp, arp, tcp_ack)',
  subscribes: ['packet', 'arp'],
  defaults: { min_hosts: 20, window_s: 60 },
  docs: {
    min_hosts: 'distinct addresses probed before alerting (then at each doubling)',
    window_s: 'seconds over which probes are counted (tumbling, from the first probe)',
  },
  create(cfg, ctx) {
    const icmp = new Map<AddrKey, Sweep | FirstProbe>();
    /** source → (source port, destination port) → sweep */
    const ack = new Map<AddrKey, Map<number, Sweep | FirstProbe>>();
    const arp = new Map<number, Sweep | FirstProbe>();
    const startSweep = (
      ts: number,
      frame: number,
      variant: string,
      src: AddrKey,
      extra: Record<string, unknown>,
    ): Sweep => ({
      start: ts,
      firstFrame: frame,
      last: ts,
      lastFrame: frame,
      targets: new CappedSet(),
      nextAlert: cfg.min_hosts,
      reported: 0,
      variant,
      src: addrText(src),
      extra,
    });
    const probe = <K>(
      sweeps: Map<K, Sweep | FirstProbe>,
      key: K,
      variant: string,
      src: AddrKey,
      target: AddrKey,
      ts: number,
      frame: number,
      extra: ExtraOf,
      ev: PacketEvent | ArpEvent,
    ): void => {
      let s = sweeps.get(key);
      if (s instanceof FirstProbe && ts - s.ts <= cfg.window_s) {
        if (s.target === target) return;
        const first = s;
        s = startSweep(first.ts, first.frame, variant, src, extra(ev));
        s.targets.add(first.target);
        sweeps.set(key, s);
      } else if (s === undefined || s instanceof FirstProbe || ts - s.start > cfg.window_s) {
        if (s !== undefined && !(s instanceof FirstProbe)) refresh(s);
        if (cfg.min_hosts > 1) {
          boundedSet(sweeps, key, new FirstProbe(target, ts, frame));
          return;
        }
        s = startSweep(ts, frame, variant, src, extra(ev));
        boundedSet(sweeps, key, s);
      }
      if (!s.targets.add(target)) return;
      s.last = ts;
      s.lastFrame = frame;
      if (s.targets.size < s.nextAlert) return;
      s.nextAlert *= 2;
      raise(s, false);
    };
    const raise = (s: Sweep, refresh: boolean): void => {
      const n = s.targets.size;
      s.reported = n;
      ctx.emit({
        type: 'ping_sweep',
        variant: s.variant,
        severity: 'low',
        src: s.src,
        first: s.start,
        ts: s.last,
        message: `${s.src} probed ${n} hosts for liveness (${s.variant}) in ${(s.last - s.start).toFixed(1)} s`,
        evidence: {
          distinct_hosts: n,
          sample_targets: s.targets.sample().map(addrText),
          first_frame: s.firstFrame,
          last_frame: s.lastFrame,
          duration_s: round6(s.last - s.start),
          ...s.extra,
        },
        mitre: 'T1018',
        identifier: `${s.src}/${s.variant}`,
        refresh,
      });
    };
    /** Brings a reported sweep's evidence up to date. */
    const refresh = (s: Sweep): void => {
      if (s.reported > 0 && s.targets.size > s.reported) raise(s, true);
    };
    const purge = new Every(SCAN_PURGE_EVERY_S);
    const all = (): Map<unknown, Sweep | FirstProbe>[] =>
      [icmp, arp, ...ack.values()] as Map<unknown, Sweep | FirstProbe>[];
    return {
      packet(ev) {
        if (ev.dstNonUnicast) return;
        const echo =
          (ev.proto === IPPROTO_ICMP && ev.icmpType === 8) ||
          (ev.proto === IPPROTO_ICMPV6 && ev.icmpType === 128);
        if (echo) {
          probe(icmp, ev.src, 'icmp', ev.src, ev.dst, ev.ts, ev.frame, noExtra, ev);
          return;
        }
        if (ev.tcpFlags < 0) return;
        const f = ev.tcpFlags & 0x3f;
        if (
          f !== TcpFlags.ACK ||
          ev.payloadEnd !== ev.payloadOff ||
          ev.dstPort < 0 ||
          ev.dstPort > ACK_PROBE_MAX_PORT ||
          ev.srcPort <= 1023
        )
          return;
        // A prober sends its ACKs from one source port; each real connection has its own, so bare ACKs
        // of established connections never gather many hosts under one key.
        let bySrcPort = ack.get(ev.src);
        if (bySrcPort === undefined) {
          bySrcPort = new Map();
          boundedSet(ack, ev.src, bySrcPort);
        }
        probe(
          bySrcPort,
          ev.srcPort * 65536 + ev.dstPort,
          'tcp_ack',
          ev.src,
          ev.dst,
          ev.ts,
          ev.frame,
          ackExtra,
          ev,
        );
      },
      arp(ev) {
        // Requests for another address; gratuitous ARP (sender = target) announces, it does not probe.
        if (ev.opcode !== 1 || ev.senderIp === ev.targetIp) return;
        probe(arp, ev.senderMac, 'arp', ev.senderIp, ev.targetIp, ev.ts, ev.frame, arpExtra, ev);
      },
      sweep(now) {
        if (!purge.due(now)) return;
        for (const sweeps of all())
          for (const [k, s] of sweeps) {
            if (s instanceof FirstProbe) {
              if (now - s.ts > cfg.window_s) sweeps.delete(k);
              continue;
            }
            refresh(s);
            if (now - s.start > cfg.window_s) sweeps.delete(k);
          }
        for (const [src, m] of ack) if (m.size === 0) ack.delete(src);
      },
      finish() {
        for (const sweeps of all())
          for (const s of sweeps.values()) if (!(s instanceof FirstProbe)) refresh(s);
      },
    };
  },
});
