/**
 * port_scan_vertical: one source probes many ports of one host. Probes are bare SYNs (syn, or connect when
 * the scanner completes handshakes: it sends bare ACKs where a SYN scanner resets), FIN, NULL, Xmas
 * (FIN+PSH+URG), ACK (firewall mapping) and UDP (seen through the target's ICMP port unreachables, which
 * quote the probe). Each variant is its own alert.
 */
import { addrText, type AddrKey } from '../addr-key.js';
import { boundedSet, defineDetector } from '../detector.js';
import { TcpFlags, type PacketEvent } from '../events.js';
import { CappedSet, round6 } from '../window.js';
import { classifyProbe, ProbeClass, PROBE_NAMES, quotedUdpProbe } from '../probes.js';

interface ClassState {
  start: number;
  first: number;
  firstFrame: number;
  ports: CappedSet<number>;
  srcPorts: CappedSet<number>;
  nextAlert: number;
}

interface Pair {
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
    const record = (src: AddrKey, dst: AddrKey, port: number, cls: number, ev: PacketEvent): void => {
      let dsts = bySrc.get(src);
      if (dsts === undefined) {
        dsts = new Map();
        boundedSet(bySrc, src, dsts);
      }
      let pair = dsts.get(dst);
      if (pair === undefined) {
        pair = { classes: [], bareAcks: 0, resets: 0 };
        boundedSet(dsts, dst, pair, 4096);
      }
      let st = pair.classes[cls];
      if (st === undefined || ev.ts - st.start > cfg.window_s) {
        st = {
          start: ev.ts,
          first: ev.ts,
          firstFrame: ev.frame,
          ports: new CappedSet(),
          srcPorts: new CappedSet(64),
          nextAlert: cfg.min_ports,
        };
        pair.classes[cls] = st;
      }
      if (ev.srcPort >= 0) st.srcPorts.add(cls === ProbeClass.Udp ? ev.dstPort : ev.srcPort);
      if (!st.ports.add(port) || st.ports.size < st.nextAlert) return;
      st.nextAlert *= 2;
      let variant: string = PROBE_NAMES[cls]!;
      if (cls === ProbeClass.Syn && pair.bareAcks > 0 && pair.bareAcks >= pair.resets) variant = 'connect';
      const n = st.ports.size;
      ctx.emit({
        type: 'port_scan_vertical',
        variant,
        severity: 'medium',
        src: addrText(src),
        dst: addrText(dst),
        first: st.first,
        ts: ev.ts,
        message: `${addrText(src)} probed ${n}${n >= 4096 ? '+' : ''} ports of ${addrText(dst)} (${variant} scan) in ${(ev.ts - st.first).toFixed(1)} s`,
        evidence: {
          distinct_ports: n,
          sample_ports: st.ports.sample(),
          probe: PROBE_NAMES[cls],
          scanner_handshakes: pair.bareAcks,
          scanner_resets: pair.resets,
          first_frame: st.firstFrame,
          last_frame: ev.frame,
          duration_s: round6(ev.ts - st.first),
        },
        mitre: 'T1046',
        identifier: `${addrText(src)}>${addrText(dst)}/${PROBE_NAMES[cls]}`,
      });
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
      sweep(now) {
        for (const [src, dsts] of bySrc) {
          for (const [dst, pair] of dsts) {
            if (pair.classes.every((c) => c === undefined || now - c.start > cfg.window_s)) dsts.delete(dst);
          }
          if (dsts.size === 0) bySrc.delete(src);
        }
      },
    };
  },
});
