/**
 * port_scan_horizontal: one source probes the same port on many hosts. A SYN counts as a probe until the
 * host answers it with a SYN-ACK, so a browser opening connections to many web servers stays quiet while a
 * sweep of a subnet (mostly unanswered or reset) is reported. Variants syn, fin, null, xmas, udp; ACK
 * sweeps are host discovery and reported by ping_sweep.
 */
import { addrText, type AddrKey } from '../addr-key.js';
import { defineDetector } from '../detector.js';
import { TcpFlags, type PacketEvent } from '../events.js';
import { classifyProbe, ProbeClass, PROBE_NAMES, quotedUdpProbe } from '../probes.js';
import { CappedSet, Every, round6, SCAN_PURGE_EVERY_S } from '../window.js';

/** (source, port) probe sets tracked at once; beyond, new ones wait for old ones to expire. */
const MAX_STATES = 65_536;

interface PortState {
  readonly src: AddrKey;
  readonly cls: number;
  readonly port: number;
  start: number;
  firstFrame: number;
  last: number;
  lastFrame: number;
  /** Hosts when last reported; 0 before the alert. */
  reported: number;
  hosts: CappedSet<AddrKey>;
  answered: number;
  nextAlert: number;
}

export const portScanHorizontal = defineDetector({
  id: 'port_scan_horizontal',
  description: 'One source probes the same port on many hosts (syn, fin, null, xmas, udp)',
  subscribes: ['packet'],
  defaults: { min_hosts: 24, window_s: 60 },
  docs: {
    min_hosts: 'distinct hosts probed on one port, not answering with SYN-ACK, before alerting',
    window_s: 'seconds over which probes are counted (tumbling, from the first probe)',
  },
  create(cfg, ctx) {
    const purge = new Every(SCAN_PURGE_EVERY_S);
    /** src → "class:port" → state */
    const bySrc = new Map<AddrKey, Map<number, PortState>>();
    let states = 0;
    const raise = (st: PortState, refresh: boolean): void => {
      const variant = PROBE_NAMES[st.cls]!;
      const n = st.hosts.size;
      const src = addrText(st.src);
      st.reported = n;
      ctx.emit({
        type: 'port_scan_horizontal',
        variant,
        severity: 'medium',
        src,
        dstPort: st.port,
        first: st.start,
        ts: st.last,
        message: `${src} probed port ${st.port} on ${n} hosts (${variant}) in ${(st.last - st.start).toFixed(1)} s`,
        evidence: {
          distinct_hosts: n,
          sample_hosts: st.hosts.sample().map(addrText),
          answered_syn_ack: st.answered,
          port: st.port,
          first_frame: st.firstFrame,
          last_frame: st.lastFrame,
          duration_s: round6(st.last - st.start),
        },
        mitre: 'T1046',
        identifier: `${src}/${variant}/${st.port}`,
        refresh,
      });
    };
    const refresh = (st: PortState): void => {
      if (st.reported > 0 && st.hosts.size > st.reported) raise(st, true);
    };
    const record = (src: AddrKey, dst: AddrKey, port: number, cls: number, ev: PacketEvent): void => {
      let ports = bySrc.get(src);
      const key = cls * 65536 + port;
      let st = ports?.get(key);
      if (st === undefined && states >= MAX_STATES) return;
      if (st === undefined || ev.ts - st.start > cfg.window_s) {
        if (st !== undefined) refresh(st);
        else states++;
        if (ports === undefined) {
          ports = new Map();
          bySrc.set(src, ports);
        }
        st = {
          src,
          cls,
          port,
          start: ev.ts,
          firstFrame: ev.frame,
          last: ev.ts,
          lastFrame: ev.frame,
          reported: 0,
          hosts: new CappedSet(),
          answered: 0,
          nextAlert: cfg.min_hosts,
        };
        ports.set(key, st);
      }
      if (!st.hosts.add(dst)) return;
      st.last = ev.ts;
      st.lastFrame = ev.frame;
      if (st.hosts.size < st.nextAlert) return;
      st.nextAlert *= 2;
      raise(st, false);
    };
    return {
      packet(ev) {
        if (ev.fragment) return;
        if (ev.tcpFlags >= 0) {
          const f = ev.tcpFlags & 0x3f;
          if ((f & (TcpFlags.SYN | TcpFlags.ACK)) === (TcpFlags.SYN | TcpFlags.ACK)) {
            // The host answered: its probe was a connection, not a scan.
            const st = bySrc.get(ev.dst)?.get(ProbeClass.Syn * 65536 + ev.srcPort);
            if (st !== undefined && st.hosts.values.delete(ev.src)) st.answered++;
            return;
          }
          const cls = classifyProbe(ev);
          if (cls >= 0 && cls !== ProbeClass.Ack && !ev.dstNonUnicast)
            record(ev.src, ev.dst, ev.dstPort, cls, ev);
          return;
        }
        const udp = quotedUdpProbe(ev);
        if (udp >= 0) record(ev.dst, ev.src, udp, ProbeClass.Udp, ev);
      },
      sweep(now) {
        if (!purge.due(now)) return;
        for (const [src, ports] of bySrc) {
          for (const [k, st] of ports) {
            refresh(st);
            if (now - st.start > cfg.window_s) {
              ports.delete(k);
              states--;
            }
          }
          if (ports.size === 0) bySrc.delete(src);
        }
      },
      finish() {
        for (const ports of bySrc.values()) for (const st of ports.values()) refresh(st);
      },
    };
  },
});
