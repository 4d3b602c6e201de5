import { PacketBatch, type PacketSource, type SourceInfo, type SourceStats } from '../packet-batch.js';
import type { PacketWriter } from '../ring-writer.js';
import { compileMatcher, type PacketMatcher } from './bpf-program.js';

/**
 * Wraps a packet source for `-f`, `-w` and `-c`, so the pipeline stays as it is:
 * - `filter`: a libpcap expression applied to each packet, compiled once per link type (pcapng files can mix
 *   them); frames that do not match are dropped before anything sees them, but keep their frame numbers;
 * - `limit`: packets still wanted in all (`-c`), shared by every source of one run;
 * - `writer`: receives the batch that is handed on, once, before the pipeline decodes it.
 *
 * A link type the filter cannot be compiled for ends that source with libpcap's one-line error.
 */
export interface TapOptions {
  readonly filter?: string | null | undefined;
  readonly writer?: PacketWriter | undefined;
  readonly limit?: { remaining: number } | undefined;
  /** Snap length the filter is compiled with. */
  readonly snaplen?: number | undefined;
}

export class TapSource implements PacketSource {
  readonly #inner: PacketSource;
  readonly #opts: TapOptions;
  readonly #matchers = new Map<number, PacketMatcher>();
  #out: PacketBatch | null = null;

  constructor(inner: PacketSource, opts: TapOptions) {
    this.#inner = inner;
    this.#opts = opts;
  }

  get info(): SourceInfo {
    return this.#inner.info;
  }

  get stats(): SourceStats {
    return this.#inner.stats;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<PacketBatch> {
    const { filter, writer, limit } = this.#opts;
    const active = filter !== undefined && filter !== null && filter.trim() !== '';
    for await (const batch of this.#inner) {
      const out = active ? this.#filter(batch, filter) : batch;
      if (limit !== undefined) {
        if (out.count > limit.remaining) out.count = limit.remaining;
        limit.remaining -= out.count;
      }
      writer?.writeBatch(out, 0, out.count);
      yield out;
    }
  }

  async close(): Promise<void> {
    for (const m of this.#matchers.values()) m.close();
    this.#matchers.clear();
    await this.#inner.close();
  }

  /** The matching packets of `batch`, described by a batch of our own over the same bytes. */
  #filter(batch: PacketBatch, expr: string): PacketBatch {
    let out = this.#out;
    if (out === null || out.capacity < batch.count) out = this.#out = new PacketBatch(batch.capacity);
    out.data = batch.data;
    out.count = 0;
    const data = batch.data;
    let lastLinkType = -1;
    let matcher: PacketMatcher | undefined;
    for (let i = 0; i < batch.count; i++) {
      const linkType = batch.linkType[i]!;
      if (linkType !== lastLinkType) {
        matcher = this.#matcher(expr, linkType);
        lastLinkType = linkType;
      }
      const off = batch.offset[i]!;
      const caplen = batch.caplen[i]!;
      const wireLen = batch.wireLen[i]!;
      if (!matcher!.matches(data, off, caplen, wireLen)) continue;
      out.push(
        off,
        caplen,
        wireLen,
        batch.tsSec[i]!,
        batch.tsNsec[i]!,
        batch.hasTs[i] === 1,
        linkType,
        batch.frame[i]!,
      );
    }
    return out;
  }

  #matcher(expr: string, linkType: number): PacketMatcher {
    let m = this.#matchers.get(linkType);
    if (m === undefined) {
      m = compileMatcher(expr, linkType, this.#opts.snaplen);
      this.#matchers.set(linkType, m);
    }
    return m;
  }
}
