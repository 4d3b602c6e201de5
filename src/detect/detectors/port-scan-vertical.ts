/**
 * port_scan_vertical: one source probes many ports of one host. Probes are bare SYNs (syn, or connect when
 * the scanner completes handshakes: it sends bare ACKs where a SYN scanner resets), FIN, NULL, Xmas
 * (FIN+PSH+URG), ACK (firewall mapping) and UDP (seen through the target's ICMP port unreachables, which
 * quote the probe). Each variant is its own alert. The alert is raised at `min_ports`, counted again at
 * each doubling, and its evidence refreshed (not counted) as the scan goes on.
 */
import { addrText, type AddrKey } from '../addr-key.js';
import { defineDetector } from '../detector.js';
import { TcpFlags, type PacketEvent } from '../events.js';
import { CappedSet, Every, round6, SCAN_PURGE_EVERY_S } from '../window.js';
import { classifyProbe, ProbeClass, PROBE_NAMES, quotedUdpProbe } from '../probes.js';

interface ClassState {
  start: number;
  firstFrame: number;
  last: number;
  lastFrame: number;
  ports: CappedSet<number>;
  srcPorts: CappedSet<number>;
  nextAlert: number;
  /** Ports when the alert was last raised or refreshed; 0 before the alert. */
  reported: number;
}

/** Source/destination pairs tracked at once (every connection's SYN starts one); beyond, new pairs wait. */
const MAX_PAIRS = 65_536;

interface Pair {
  readonly src: AddrKey;
  readonly dst: AddrKey;
  readonly classes: (ClassState | undefined)[];
  /** Handshakes completed by the scanner (bare ACKs) and resets without ACK it sent: connect vs SYN scan. */
  bareAcks: number;
  resets: number;
}

export const portScanVertical = defineDetector({
  id: 'port_scan_vertical',
  description: 'One source probes many ports of one host (syn, connect, fin, null, xmas, ack, udp)',
  subscribes: ['packet'],
  defaults: { min_ports: 20, window_s: 60 },
  docs: {
    min_ports: 'distinct destination ports probed on one host before alerting (then at each doubling)',
    window_s: 'seconds over which probes are counted (tumbling, from the first probe)',
  },
  create(cfg, ctx) {
    const bySrc = new Map<AddrKey, Map<AddrKey, Pair>>();
    let pairs = 0;
    const raise = (pair: Pair, cls: number, st: ClassState, refresh: boolean): void => {
      st.reported = st.ports.size;
      let variant: string = PROBE_NAMES[cls]!;
      if (cls === ProbeClass.Syn && pair.bareAcks > 0 && pair.bareAcks >= pair.resets) variant = 'connect';
      const n = st.ports.size;
      const src = addrText(pair.src);
      const dst = addrText(pair.dst);
      ctx.emit({
        type: 'port_scan_vertical',
        variant,
        severity: 'medium',
        src,
        dst,
        first: st.start,
        ts: st.last,
        message: `${src} probed ${n}${n >= 4096 ? '+' : ''} ports of ${dst} (${variant} scan) in ${(st.last - st.start).toFixed(1)} s`,
        evidence: {
          distinct_ports: n,
          sample_ports: st.ports.sample(),
          probe: PROBE_NAMES[cls],
          source_ports: st.srcPorts.size,
          scanner_handshakes: pair.bareAcks,
          scanner_resets: pair.resets,
          first_frame: st.firstFrame,
          last_frame: st.lastFrame,
          duration_s: round6(st.last - st.start),
        },
        mitre: 'T1046',
        identifier: `${src}>${dst}/${PROBE_NAMES[cls]}`,
        refresh,
      });
    };
    const record = (src: AddrKey, dst: AddrKey, port: number, cls: number, ev: PacketEvent): void => {
      let dsts = bySrc.get(src);
      let pair = dsts?.get(dst);
      if (pair === undefined) {
        if (pairs >= MAX_PAIRS) return;
        if (dsts === undefined) {
          dsts = new Map();
          bySrc.set(src, dsts);
        }
        pair = { src, dst, classes: [], bareAcks: 0, resets: 0 };
        dsts.set(dst, pair);
        pairs++;
      }
      let st = pair.classes[cls];
      if (st === undefined || ev.ts - st.start > cfg.window_s) {
        if (st !== undefined && st.reported > 0 && st.ports.size > st.reported) raise(pair, cls, st, true);
        st = {
          start: ev.ts,
          firstFrame: ev.frame,
          last: ev.ts,
          lastFrame: ev.frame,
          ports: new CappedSet(),
          srcPorts: new CappedSet(64),
          nextAlert: cfg.min_ports,
          reported: 0,
        };
        pair.classes[cls] = st;
      }
      if (ev.srcPort >= 0) st.srcPorts.add(cls === ProbeClass.Udp ? ev.dstPort : ev.srcPort);
      if (!st.ports.add(port)) return;
      st.last = ev.ts;
      st.lastFrame = ev.frame;
      if (st.ports.size < st.nextAlert) return;
      st.nextAlert *= 2;
      raise(pair, cls, st, false);
    };
    /** Brings alerted scans' evidence up to date (every SCAN_PURGE_EVERY_S, and at the end of input). */
    const purge = new Every(SCAN_PURGE_EVERY_S);
    const refreshAll = (now: number, expire: boolean): void => {
      for (const [src, dsts] of bySrc) {
        for (const [dst, pair] of dsts) {
          let live = false;
          pair.classes.forEach((st, cls) => {
            if (st === undefined) return;
            if (st.reported > 0 && st.ports.size > st.reported) raise(pair, cls, st, true);
            if (now - st.start <= cfg.window_s) live = true;
          });
          if (expire && !live) {
            dsts.delete(dst);
            pairs--;
          }
        }
        if (dsts.size === 0) bySrc.delete(src);
      }
    };
    return {
      packet(ev) {
        if (ev.fragment) return;
        if (ev.tcpFlags >= 0) {
          const f = ev.tcpFlags & 0x3f;
          if (f === TcpFlags.ACK && ev.payloadEnd === ev.payloadOff) {
            // A bare ACK after SYNs to this host completes a handshake (connect scan); else it may probe.
            const pair = bySrc.get(ev.src)?.get(ev.dst);
            if (pair?.classes[ProbeClass.Syn] !== undefined) {
              pair.bareAcks++;
              return;
            }
          }
          const cls = classifyProbe(ev);
          if (cls >= 0) {
            record(ev.src, ev.dst, ev.dstPort, cls, ev);
            return;
          }
          // A SYN scanner resets (RST without ACK) the half-open connections its probes got answered.
          if (f !== TcpFlags.RST) return;
          const pair = bySrc.get(ev.src)?.get(ev.dst);
          if (pair !== undefined) pair.resets++;
          return;
        }
        const udp = quotedUdpProbe(ev);
        if (udp >= 0) record(ev.dst, ev.src, udp, ProbeClass.Udp, ev);
      },
      sweep: (now) => {
        if (purge.due(now)) refreshAll(now, true);
      },
      finish: (now) => refreshAll(now, false),
    };
  },
});
