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

/**
 * Sums a batch of traffic rows in memory while the store writes them: per second and protocol, per
 * address and per service port. The store then adds each sum to its table (one upsert per group and
 * batch, none per packet). Rows without a time are summed under a NULL second.
 */
export class TrafficSums {
  readonly #seconds = new Map<number, SecondSum>();
  /** Rows without a time, by IP protocol. */
  readonly #untimed = new Map<number, SecondSum>();
  #firstSecond = Number.NaN;
  readonly #hosts = new Map<string, HostSum>();
  readonly #ports = new Map<number, PortSum>();

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
    if (srcPort >= 0 && dstPort >= 0) {
      const port = srcPort < dstPort ? srcPort : dstPort;
      const key = (ipProto + 1) * PORT_SLOTS + port;
      const p = this.#ports.get(key);
      if (p === undefined) this.#ports.set(key, { protocol, port, packets: 1, bytes });
      else {
        p.packets++;
        p.bytes += bytes;
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
