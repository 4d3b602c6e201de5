/** One (second, protocol) of a batch: what its traffic rows add to `traffic_seconds`. */
export interface SecondSum {
  second: number | null;
  protocol: string;
  packets: number;
  bytes: number;
  firstNsec: number;
  lastNsec: number;
  firstTs: string | null;
  lastTs: string | null;
  /** Rowids in traffic (SQLite; 0 where the store does not know them). */
  firstId: number;
  lastId: number;
}

/** One address of a batch: what it adds to `traffic_hosts`. */
export interface HostSum {
  host: string;
  sentPackets: number;
  sentBytes: number;
  receivedPackets: number;
  receivedBytes: number;
}

/** One service port (the lower of a packet's two ports) of a batch: what it adds to `traffic_ports`. */
export interface PortSum {
  protocol: string;
  port: number;
  packets: number;
  bytes: number;
}

/** One address in one second of a batch: what it adds to `traffic_host_seconds`. */
export interface HostSecondSum extends HostSum {
  second: number;
}

/** One service port in one second of a batch: what it adds to `traffic_port_seconds`. */
export interface PortSecondSum extends PortSum {
  second: number;
}

/** The address and port sums of one second of a batch, by address (its HostSum) and by port key. */
interface SecondGroups {
  second: number;
  readonly hosts: Map<HostSum, HostSecondSum>;
  readonly ports: Map<number, PortSecondSum>;
}

/**
 * Key room per second for the IP protocol numbers -1..255 (-1: no IP protocol). Seconds are keyed from the
 * batch's first one, so keys stay small integers, which V8 does not box: no allocation per packet.
 */
const PROTOCOL_SLOTS = 512;
const PORT_SLOTS = 65_536;
/**
 * Address and port sums are zeroed between batches rather than dropped, so the same objects serve batch
 * after batch (the writer's heap stays small); beyond this many entries they are dropped after all.
 */
const MAX_KEPT = 16_384;
/** Emptied per-second groups kept for the next batches (a batch spans a few seconds, or many when quiet). */
const MAX_KEPT_SECONDS = 256;

/**
 * Sums a batch of traffic rows in memory while the store writes them: per second and protocol, per
 * address and per service port, and per second and address, per second and service port. The store then
 * adds each sum to its table (one upsert per group and batch, none per packet). Rows without a time are
 * summed under a NULL second in the first, and left out of the per-second address and port sums (no time
 * range holds them).
 */
export class TrafficSums {
  readonly #seconds = new Map<number, SecondSum>();
  /** Rows without a time, by IP protocol. */
  readonly #untimed = new Map<number, SecondSum>();
  #firstSecond = Number.NaN;
  readonly #hosts = new Map<string, HostSum>();
  readonly #ports = new Map<number, PortSum>();
  /** Per-second address and port sums, keyed by second from the batch's first one (as #seconds). */
  readonly #bySecond = new Map<number, SecondGroups>();
  /** The groups the last timed row went to: consecutive rows mostly share their second. */
  #last: SecondGroups | undefined;
  readonly #spareGroups: SecondGroups[] = [];
  readonly #spareHosts: HostSecondSum[] = [];
  readonly #sparePorts: PortSecondSum[] = [];

  /**
   * Counts one stored row. `ts` is its timestamp text (null without a time), `nsec` the fraction it was
   * made from, `protocol` its name ('' for none), ports -1 when absent, `id` its rowid in `traffic` (or 0).
   */
  add(
    sec: number,
    nsec: number,
    ts: string | null,
    ipProto: number,
    protocol: string,
    src: string,
    dst: string,
    srcPort: number,
    dstPort: number,
    bytes: number,
    id: number,
  ): void {
    this.#second(sec, nsec, ts, ipProto, protocol, bytes, id);
    const from = this.#host(src);
    from.sentPackets++;
    from.sentBytes += bytes;
    const to = this.#host(dst);
    to.receivedPackets++;
    to.receivedBytes += bytes;
    const groups = ts === null ? undefined : this.#groupsOf(sec);
    if (groups !== undefined) {
      const fromThen = this.#hostSecond(groups, from);
      fromThen.sentPackets++;
      fromThen.sentBytes += bytes;
      const toThen = this.#hostSecond(groups, to);
      toThen.receivedPackets++;
      toThen.receivedBytes += bytes;
    }
    if (srcPort >= 0 && dstPort >= 0) {
      const port = srcPort < dstPort ? srcPort : dstPort;
      const key = (ipProto + 1) * PORT_SLOTS + port;
      const p = this.#ports.get(key);
      if (p === undefined) this.#ports.set(key, { protocol, port, packets: 1, bytes });
      else {
        p.packets++;
        p.bytes += bytes;
      }
      if (groups !== undefined) {
        const then = this.#portSecond(groups, key, protocol, port);
        then.packets++;
        then.bytes += bytes;
      }
    }
  }

  /** The (second, protocol) groups this batch counted. */
  *seconds(): Generator<SecondSum> {
    yield* this.#seconds.values();
    yield* this.#untimed.values();
  }

  /** The addresses this batch counted. */
  *hosts(): Generator<HostSum> {
    for (const h of this.#hosts.values()) if (h.sentPackets + h.receivedPackets > 0) yield h;
  }

  /** The ports this batch counted. */
  *ports(): Generator<PortSum> {
    for (const p of this.#ports.values()) if (p.packets > 0) yield p;
  }

  /** The (second, address) groups this batch counted. */
  *hostSeconds(): Generator<HostSecondSum> {
    for (const g of this.#bySecond.values()) yield* g.hosts.values();
  }

  /** The (second, service port) groups this batch counted. */
  *portSeconds(): Generator<PortSecondSum> {
    for (const g of this.#bySecond.values()) yield* g.ports.values();
  }

  /** Starts the next batch empty. */
  clear(): void {
    this.#seconds.clear();
    this.#untimed.clear();
    this.#firstSecond = Number.NaN;
    if (this.#hosts.size > MAX_KEPT) this.#hosts.clear();
    else
      for (const h of this.#hosts.values())
        h.sentPackets = h.sentBytes = h.receivedPackets = h.receivedBytes = 0;
    if (this.#ports.size > MAX_KEPT) this.#ports.clear();
    else for (const p of this.#ports.values()) p.packets = p.bytes = 0;
    for (const g of this.#bySecond.values()) {
      for (const h of g.hosts.values()) if (this.#spareHosts.length < MAX_KEPT) this.#spareHosts.push(h);
      for (const p of g.ports.values()) if (this.#sparePorts.length < MAX_KEPT) this.#sparePorts.push(p);
      g.hosts.clear();
      g.ports.clear();
      if (this.#spareGroups.length < MAX_KEPT_SECONDS) this.#spareGroups.push(g);
    }
    this.#bySecond.clear();
    this.#last = undefined;
  }

  /** The per-second groups of a timed row's second (after #second has set the batch's first second). */
  #groupsOf(sec: number): SecondGroups {
    if (this.#last !== undefined && this.#last.second === sec) return this.#last;
    const key = sec - this.#firstSecond;
    let g = this.#bySecond.get(key);
    if (g === undefined) {
      g = this.#spareGroups.pop() ?? { second: sec, hosts: new Map(), ports: new Map() };
      g.second = sec;
      this.#bySecond.set(key, g);
    }
    return (this.#last = g);
  }

  #hostSecond(groups: SecondGroups, host: HostSum): HostSecondSum {
    let h = groups.hosts.get(host);
    if (h === undefined) {
      h = this.#spareHosts.pop() ?? {
        host: '',
        second: 0,
        sentPackets: 0,
        sentBytes: 0,
        receivedPackets: 0,
        receivedBytes: 0,
      };
      h.host = host.host;
      h.second = groups.second;
      h.sentPackets = h.sentBytes = h.receivedPackets = h.receivedBytes = 0;
      groups.hosts.set(host, h);
    }
    return h;
  }

  #portSecond(groups: SecondGroups, key: number, protocol: string, port: number): PortSecondSum {
    let p = groups.ports.get(key);
    if (p === undefined) {
      p = this.#sparePorts.pop() ?? { protocol: '', port: 0, second: 0, packets: 0, bytes: 0 };
      p.protocol = protocol;
      p.port = port;
      p.second = groups.second;
      p.packets = p.bytes = 0;
      groups.ports.set(key, p);
    }
    return p;
  }

  #host(host: string): HostSum {
    let h = this.#hosts.get(host);
    if (h === undefined) {
      h = { host, sentPackets: 0, sentBytes: 0, receivedPackets: 0, receivedBytes: 0 };
      this.#hosts.set(host, h);
    }
    return h;
  }

  #second(
    sec: number,
    nsec: number,
    ts: string | null,
    ipProto: number,
    protocol: string,
    bytes: number,
    id: number,
  ): void {
    if (ts !== null && Number.isNaN(this.#firstSecond)) this.#firstSecond = sec;
    const groups = ts === null ? this.#untimed : this.#seconds;
    const key = ts === null ? ipProto : (sec - this.#firstSecond) * PROTOCOL_SLOTS + ipProto + 1;
    const g = groups.get(key);
    if (g === undefined) {
      groups.set(key, {
        second: ts === null ? null : sec,
        protocol,
        packets: 1,
        bytes,
        firstNsec: nsec,
        lastNsec: nsec,
        firstTs: ts,
        lastTs: ts,
        firstId: id,
        lastId: id,
      });
      return;
    }
    g.packets++;
    g.bytes += bytes;
    if (nsec < g.firstNsec) {
      g.firstNsec = nsec;
      g.firstTs = ts;
    } else if (nsec > g.lastNsec) {
      g.lastNsec = nsec;
      g.lastTs = ts;
    }
    if (id < g.firstId) g.firstId = id;
    else if (id > g.lastId) g.lastId = id;
  }
}
