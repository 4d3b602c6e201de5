/**
 * The detection engine: dispatches events to the enabled detectors that subscribed to them (STYLE.md E10:
 * a disabled detector is absent from the dispatch tables), turns their notices into alerts through the
 * allowlist and the suppressor, and hands new and updated alerts to the outputs.
 *
 * The packet path is synchronous and allocation-free for IPv4: the pipeline fills the reused PacketEvent,
 * addresses become numbers, home-network membership is computed once per packet for all detectors.
 */
import { AddressTextCache } from '../core/addr.js';
import { addrKeyOf, macValue } from './addr-key.js';
import { Allowlist } from './allowlist.js';
import { Blocklist } from './blocklist.js';
import type { CidrSet } from './cidr.js';
import { NON_UNICAST, cidrSetOf, DEFAULT_HOME_NETWORKS } from './cidr.js';
import type { Detector, DetectorContext, DetectorInstance, Notice, Thresholds } from './detector.js';
import { ArpEvent, PacketEvent, type DnsQueryEvent, type DomainEvent, type FlowEvent } from './events.js';
import type { LogOf, LogStream } from '../schema/streams.js';
import { DEFAULT_SUPPRESS_SECONDS, Suppressor, type Alert } from './suppress.js';

export interface EnabledDetector {
  readonly detector: Detector;
  readonly thresholds: Thresholds;
}

export interface EngineOptions {
  readonly detectors: readonly EnabledDetector[];
  readonly home?: CidrSet;
  readonly blocklist?: Blocklist;
  readonly allowlist?: Allowlist;
  readonly suppressSeconds?: number;
  /** A new alert (`isNew`) or an update of one (merged duplicate). */
  readonly onAlert?: (alert: Alert, isNew: boolean) => void;
}

const DNS_PORT = 53;
const SWEEP_EVERY = 1;

export class DetectionEngine {
  readonly packetEvent = new PacketEvent();
  readonly arpEvent = new ArpEvent();
  readonly home: CidrSet;
  readonly #nonUnicast = cidrSetOf(NON_UNICAST);
  readonly #addr = new AddressTextCache();
  readonly #suppressor: Suppressor;
  readonly #allowlist: Allowlist;
  readonly #onAlert: ((alert: Alert, isNew: boolean) => void) | undefined;
  readonly #packet: DetectorInstance[] = [];
  readonly #arp: DetectorInstance[] = [];
  readonly #dns: DetectorInstance[] = [];
  readonly #domain: DetectorInstance[] = [];
  readonly #flow: DetectorInstance[] = [];
  readonly #sweepers: DetectorInstance[] = [];
  readonly #finishers: DetectorInstance[] = [];
  readonly #changed = new Set<Alert>();
  #clock = -Infinity;
  #nextSweep = -Infinity;
  readonly counts: Record<string, number> = {};
  suppressed = 0;

  constructor(opts: EngineOptions) {
    this.home = opts.home ?? cidrSetOf(DEFAULT_HOME_NETWORKS);
    this.#suppressor = new Suppressor(opts.suppressSeconds ?? DEFAULT_SUPPRESS_SECONDS);
    this.#allowlist = opts.allowlist ?? new Allowlist();
    this.#onAlert = opts.onAlert;
    const ctx: DetectorContext = {
      home: this.home,
      blocklist: opts.blocklist ?? new Blocklist(),
      emit: (n) => this.#notice(n),
    };
    for (const { detector, thresholds } of opts.detectors) {
      const inst = detector.create({ ...detector.defaults, ...thresholds }, ctx);
      for (const kind of detector.subscribes) {
        if (kind === 'packet' && inst.packet !== undefined) this.#packet.push(inst);
        if (kind === 'arp' && inst.arp !== undefined) this.#arp.push(inst);
        if (kind === 'dns' && inst.dns !== undefined) this.#dns.push(inst);
        if (kind === 'domain' && inst.domain !== undefined) this.#domain.push(inst);
        if (kind === 'flow' && inst.flow !== undefined) this.#flow.push(inst);
      }
      if (inst.sweep !== undefined) this.#sweepers.push(inst);
      if (inst.finish !== undefined) this.#finishers.push(inst);
    }
  }

  /** Whether any detector wants IP packets (the pipeline skips filling events otherwise). */
  get wantsPackets(): boolean {
    return this.#packet.length > 0;
  }
  get wantsArp(): boolean {
    return this.#arp.length > 0;
  }
  get wantsFlows(): boolean {
    return this.#flow.length > 0;
  }
  /** Whether any detector wants application records (names from DNS, TLS and HTTP). */
  get wantsAppLogs(): boolean {
    return this.#domain.length > 0 || this.#dns.length > 0;
  }

  /**
   * Sets the event's addresses from the frame (IPv4 as numbers, IPv6 as cached text) with their home
   * membership. Call after filling the other fields of `packetEvent`, then `packet()`.
   */
  setAddresses(b: Uint8Array, srcOff: number, dstOff: number, v6: boolean): void {
    const ev = this.packetEvent;
    ev.v6 = v6;
    if (v6) {
      ev.src = this.#addr.ipv6(b, srcOff);
      ev.dst = this.#addr.ipv6(b, dstOff);
    } else {
      ev.src = ((b[srcOff]! << 24) | (b[srcOff + 1]! << 16) | (b[srcOff + 2]! << 8) | b[srcOff + 3]!) >>> 0;
      ev.dst = ((b[dstOff]! << 24) | (b[dstOff + 1]! << 16) | (b[dstOff + 2]! << 8) | b[dstOff + 3]!) >>> 0;
    }
    ev.srcHome = this.home.has(ev.src);
    ev.dstHome = this.home.has(ev.dst);
    ev.dstNonUnicast = this.#nonUnicast.has(ev.dst);
  }

  packet(): void {
    const ev = this.packetEvent;
    this.#tick(ev.ts);
    for (const d of this.#packet) d.packet!(ev);
  }

  /**
   * An ARP frame: the header at b[off, end) (Ethernet/IPv4 ARP only), MACs of the link header at the given
   * offsets (-1 when absent).
   */
  arp(
    b: Uint8Array,
    off: number,
    end: number,
    ts: number,
    frame: number,
    ethSrcOff: number,
    ethDstOff: number,
  ): void {
    // hardware type 1 (Ethernet), protocol 0x0800, lengths 6 and 4: 28 bytes.
    if (end - off < 28 || b[off + 4] !== 6 || b[off + 5] !== 4 || b[off + 2] !== 0x08 || b[off + 3] !== 0)
      return;
    const ev = this.arpEvent;
    this.#tick(ts);
    ev.ts = ts;
    ev.frame = frame;
    ev.opcode = (b[off + 6]! << 8) | b[off + 7]!;
    ev.ethSrc = ethSrcOff >= 0 ? macValue(b, ethSrcOff) : -1;
    ev.ethDst = ethDstOff >= 0 ? macValue(b, ethDstOff) : -1;
    ev.senderMac = macValue(b, off + 8);
    ev.senderIp = ((b[off + 14]! << 24) | (b[off + 15]! << 16) | (b[off + 16]! << 8) | b[off + 17]!) >>> 0;
    ev.targetMac = macValue(b, off + 18);
    ev.targetIp = ((b[off + 24]! << 24) | (b[off + 25]! << 16) | (b[off + 26]! << 8) | b[off + 27]!) >>> 0;
    for (const d of this.#arp) d.arp!(ev);
  }

  /**
   * An application record: DNS queries to port 53 become DNS events (parsed once, by the DNS parser of
   * src/app, over UDP and TCP alike); HTTP Host headers and TLS server names become domain events.
   */
  appLog<S extends LogStream>(stream: S, log: LogOf<S>): void {
    let name: string | null;
    let source: DomainEvent['source'];
    if (stream === 'dns') {
      this.#dnsLog(log as LogOf<'dns'>);
      return;
    } else if (stream === 'http') {
      name = (log as LogOf<'http'>).host;
      source = 'http';
    } else if (stream === 'tls') {
      name = (log as LogOf<'tls'>).server_name;
      source = 'tls';
    } else {
      return;
    }
    if (name === null || name === '') return;
    const r = log as LogOf<'http'> | LogOf<'tls'>;
    const ev: DomainEvent = {
      ts: r.ts / 1e6,
      uid: r.uid,
      src: r.orig_h,
      dst: r.resp_h,
      dstPort: r.resp_p,
      name: name
        .toLowerCase()
        .replace(/:[0-9]*$/, '')
        .replace(/\.$/, ''),
      source,
    };
    for (const d of this.#domain) d.domain!(ev);
  }

  #dnsLog(log: LogOf<'dns'>): void {
    // mDNS and LLMNR names are local announcements, not lookups a tunnel could hide in.
    if (this.#dns.length === 0 || log.query === null || log.query === '' || log.resp_p !== DNS_PORT) return;
    const ev: DnsQueryEvent = {
      ts: log.ts / 1e6,
      uid: log.uid,
      src: addrKeyOf(log.orig_h),
      dst: addrKeyOf(log.resp_h),
      name: log.query.toLowerCase().replace(/\.$/, ''),
      qtype: log.qtype ?? 0,
    };
    for (const d of this.#dns) d.dns!(ev);
  }

  flow(log: FlowEvent): void {
    for (const d of this.#flow) d.flow!(log);
  }

  /** The input ended (a capture file, or the run): detectors report what is pending. */
  finish(): void {
    for (const d of this.#finishers) d.finish!(this.#clock);
  }

  /** Alerts new or changed since the last call (for the store, once per batch). */
  drainChanged(): Alert[] {
    if (this.#changed.size === 0) return [];
    const out = [...this.#changed];
    this.#changed.clear();
    return out;
  }

  #tick(ts: number): void {
    if (ts <= this.#clock) return;
    this.#clock = ts;
    if (ts < this.#nextSweep) return;
    this.#nextSweep = ts + SWEEP_EVERY;
    for (const d of this.#sweepers) d.sweep!(ts);
    this.#suppressor.sweep(ts);
  }

  #notice(n: Notice): void {
    if (this.#allowlist.size > 0 && this.#allowlist.match(n) !== undefined) {
      this.suppressed++;
      return;
    }
    const { alert, isNew } = this.#suppressor.admit(n);
    if (isNew) this.counts[alert.type] = (this.counts[alert.type] ?? 0) + 1;
    this.#changed.add(alert);
    this.#onAlert?.(alert, isNew);
  }
}
