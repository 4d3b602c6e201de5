/** One (second, protocol) of a batch: what its traffic rows add to `traffic_seconds`. */
export interface SecondGroup {
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

/**
 * Key room per second for the IP protocol numbers -1..255 (-1: no IP protocol). Timed rows have keys from
 * 0 up (packet times are never before 1970: capture formats store unsigned seconds), untimed rows below 0.
 */
const PROTOCOL_SLOTS = 512;

/**
 * Sums a batch of traffic rows per second and protocol in memory while the store writes them; the store
 * then adds each group to `traffic_seconds` (one upsert per group and batch, none per packet). Rows without
 * a time are summed under a NULL second.
 */
export class SecondSums {
  readonly #groups = new Map<number, SecondGroup>();

  /**
   * Counts one stored row. `ts` is its timestamp text (null without a time), `nsec` the fraction it was
   * made from, `protocol` its name ('' for none), `id` its rowid in `traffic` (or 0).
   */
  add(
    sec: number,
    nsec: number,
    ts: string | null,
    ipProto: number,
    protocol: string,
    bytes: number,
    id: number,
  ): void {
    const key = ts === null ? -2 - ipProto : sec * PROTOCOL_SLOTS + ipProto + 1;
    const g = this.#groups.get(key);
    if (g === undefined) {
      this.#groups.set(key, {
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

  /** The batch's groups, in the order they were first seen. */
  groups(): IterableIterator<SecondGroup> {
    return this.#groups.values();
  }

  /** Starts the next batch empty. */
  clear(): void {
    this.#groups.clear();
  }
}
