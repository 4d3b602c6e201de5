/**
 * Drives one detector through the real engine with hand-made events (STYLE.md E9: a detector test needs
 * only event payloads). Addresses are dotted quads; times are seconds.
 */
import { parseIPv4 } from '../../src/detect/addr-key.js';
import { Blocklist } from '../../src/detect/blocklist.js';
import { cidrSetOf, DEFAULT_HOME_NETWORKS } from '../../src/detect/cidr.js';
import type { Detector, Thresholds } from '../../src/detect/detector.js';
import { DetectionEngine } from '../../src/detect/engine.js';
import type { Alert } from '../../src/detect/suppress.js';
import type { ConnLog } from '../../src/schema/conn.js';
import type { DnsLog } from '../../src/schema/dns.js';

export const SYN = 0x02;
export const ACK = 0x10;
export const RST = 0x04;
export const FIN = 0x01;
export const PSH = 0x08;
export const URG = 0x20;

const mac = (m: string): number[] => m.split(':').map((h) => parseInt(h, 16));
const ip4 = (a: string): number[] => {
  const v = parseIPv4(a);
  if (v < 0) throw new Error(`bad address ${a}`);
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
};

export interface PacketSpec {
  ts: number;
  src: string;
  dst: string;
  proto?: number;
  sport?: number;
  dport?: number;
  flags?: number;
  icmpType?: number;
  icmpCode?: number;
  length?: number;
  payload?: Uint8Array | string;
  mac?: string;
}

export class DetectorHarness {
  readonly alerts: Alert[] = [];
  readonly engine: DetectionEngine;
  #frame = 0;

  constructor(
    detector: Detector,
    thresholds: Thresholds = {},
    opts: { home?: readonly string[]; blocklist?: Blocklist; suppressSeconds?: number } = {},
  ) {
    this.engine = new DetectionEngine({
      detectors: [{ detector, thresholds }],
      home: cidrSetOf(opts.home ?? DEFAULT_HOME_NETWORKS),
      blocklist: opts.blocklist ?? new Blocklist(),
      ...(opts.suppressSeconds === undefined ? {} : { suppressSeconds: opts.suppressSeconds }),
      onAlert: (a) => {
        if (!this.alerts.includes(a)) this.alerts.push(a);
      },
    });
  }

  packet(p: PacketSpec): void {
    const payload =
      typeof p.payload === 'string' ? new TextEncoder().encode(p.payload) : (p.payload ?? new Uint8Array(0));
    const b = new Uint8Array(8 + payload.length);
    b.set(ip4(p.src), 0);
    b.set(ip4(p.dst), 4);
    b.set(payload, 8);
    const ev = this.engine.packetEvent;
    const tcp = p.flags !== undefined;
    ev.ts = p.ts;
    ev.frame = ++this.#frame;
    ev.proto = p.proto ?? (tcp ? 6 : p.icmpType !== undefined ? 1 : 17);
    ev.srcPort = p.sport ?? (ev.proto === 6 || ev.proto === 17 ? 40000 : -1);
    ev.dstPort = p.dport ?? (ev.proto === 6 || ev.proto === 17 ? 80 : -1);
    ev.tcpFlags = tcp ? p.flags! : -1;
    ev.icmpType = p.icmpType ?? -1;
    ev.icmpCode = p.icmpCode ?? -1;
    ev.length = p.length ?? 60 + payload.length;
    ev.fragment = false;
    ev.macSrc = -1;
    if (p.mac !== undefined) {
      const m = mac(p.mac);
      ev.macSrc =
        ((m[0]! << 8) | m[1]!) * 4294967296 + (((m[2]! << 24) | (m[3]! << 16) | (m[4]! << 8) | m[5]!) >>> 0);
    }
    ev.data = b;
    ev.payloadOff = 8;
    ev.payloadEnd = 8 + payload.length;
    this.engine.setAddresses(b, 0, 4, false);
    this.engine.packet();
  }

  /** An Ethernet/IPv4 ARP packet. */
  arp(ts: number, op: 1 | 2, senderMac: string, senderIp: string, targetMac: string, targetIp: string): void {
    const b = new Uint8Array([
      0, 1, 8, 0, 6, 4, 0, op,
      ...mac(senderMac), ...ip4(senderIp), ...mac(targetMac), ...ip4(targetIp),
    ]); // prettier-ignore
    this.engine.arp(b, 0, b.length, ts, ++this.#frame, 8, -1);
  }

  flow(f: Partial<ConnLog> & { ts: number; orig_h: string; resp_h: string; resp_p: number }): void {
    this.engine.flow({
      uid: `C${++this.#frame}`,
      duration: 1,
      orig_p: 40000,
      proto: 'tcp',
      service: null,
      conn_state: 'SF',
      history: 'ShADadFf',
      orig_pkts: 10,
      orig_bytes: 500,
      resp_pkts: 10,
      resp_bytes: 500,
      orig_ip_bytes: 1000,
      resp_ip_bytes: 1000,
      community_id: '1:x',
      vlan: null,
      ip_proto: 6,
      ...f,
      ts: Math.round(f.ts * 1e6),
    });
  }

  /** A dns log record of one query (no response), as the DNS parser hands it to the engine. */
  dns(q: { ts: number; src: string; dst: string; name: string; qtype?: number; dport?: number }): void {
    const log: DnsLog = {
      ts: Math.round(q.ts * 1e6),
      uid: `C${++this.#frame}`,
      orig_h: q.src,
      orig_p: 40000,
      resp_h: q.dst,
      resp_p: q.dport ?? 53,
      proto: 'udp',
      trans_id: 0x1234,
      rtt: null,
      query: q.name,
      qclass: 1,
      qtype: q.qtype ?? 1,
      qtype_name: null,
      rcode: null,
      rcode_name: null,
      AA: false,
      TC: false,
      RD: true,
      RA: false,
      answers: null,
      TTLs: null,
      rejected: false,
    };
    this.engine.appLog('dns', log);
  }

  types(): string[] {
    return this.alerts.map((a) => (a.variant === null ? a.type : `${a.type}/${a.variant}`));
  }
}
