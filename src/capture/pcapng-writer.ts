import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { NtaError } from '../core/errors.js';
import { describeFsError } from './byte-input.js';
import type { PacketBatch } from './packet-batch.js';
import { PcapngBlock } from './pcapng.js';

/**
 * Writes pcapng as dumpcap does: one Section Header Block, one Interface Description Block per link type seen
 * (written just before its first packet), then an Enhanced Packet Block per packet with the original time in
 * nanoseconds (`if_tsresol` 9), the captured bytes and the length on the wire (a packet without a time, read
 * from a Simple Packet Block, is written back as one when it can be). Little-endian throughout.
 *
 * Blocks are built in one buffer and written with one write call per batch (or when the buffer fills): never
 * a system call per packet, and no allocation per packet. Writes are synchronous: they go to the page cache,
 * and a capture keeps running in its worker meanwhile.
 */

const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_ENDOFOPT = 0;
const OPT_SHB_USERAPPL = 4;
const OPT_IF_NAME = 2;
const OPT_IF_TSRESOL = 9;
const OPT_IF_FILTER = 11;
const OPT_ISB_STARTTIME = 2;
const OPT_ISB_ENDTIME = 3;
const OPT_ISB_IFRECV = 4;
const OPT_ISB_IFDROP = 5;
const OPT_ISB_OSDROP = 7;
const OPT_ISB_USRDELIV = 8;
/** Bytes before the packet data: EPB type, length, interface id, timestamp (2 words), caplen, origlen. */
const EPB_HEAD = 28;
/** SPB: type, length, original length. */
const SPB_HEAD = 12;
const DEFAULT_BUFFER_BYTES = 1 << 20;
/** Snap length written in the IDB when the source does not say (tcpdump's default). */
export const DEFAULT_WRITE_SNAPLEN = 262144;

const TWO_POW_32 = 4294967296;
const TWO_POW_16 = 65536;
const NS_PER_SEC = 1_000_000_000;

const pad4 = (n: number): number => (n + 3) & ~3;
const utf8 = new TextEncoder();

export interface PcapngWriterOptions {
  /** shb_userappl, e.g. `nta 0.1.0`. */
  readonly application?: string | undefined;
  /** if_name of every interface (the capture device), when there is one. */
  readonly ifName?: string | undefined;
  /** if_filter: the libpcap expression the packets passed. */
  readonly filter?: string | null | undefined;
  /** Snap length for the IDBs. */
  readonly snaplen?: number | undefined;
  /** Size of the write buffer. */
  readonly bufferBytes?: number | undefined;
}

/**
 * Capture counters for the Interface Statistics Block written at the end of a live capture's file, so that
 * capinfos and Wireshark show what the kernel dropped, as they do for dumpcap's files.
 */
export interface InterfaceStatistics {
  /** Wall-clock start and end of the capture, in milliseconds since the epoch. */
  readonly startedMs: number;
  readonly endedMs: number;
  /** libpcap's ps_recv: packets that reached the capture (isb_ifrecv). */
  readonly received: number;
  /** libpcap's ps_ifdrop: dropped by the interface or its driver (isb_ifdrop). */
  readonly ifDropped: number;
  /** libpcap's ps_drop: dropped by the kernel for lack of buffer space (isb_osdrop). */
  readonly osDropped: number;
}

export class PcapngWriter {
  readonly path: string;
  readonly #fd: number;
  readonly #opts: PcapngWriterOptions;
  readonly #snaplen: number;
  #buf: Buffer;
  #dv: DataView;
  #pos = 0;
  /** Bytes already handed to the file. */
  #written = 0;
  #packets = 0;
  /** Interface id by link type, for link types with an IDB in this file. */
  readonly #ifId = new Map<number, number>();
  #lastLinkType = -1;
  #lastIfId = 0;
  /** Buffer view of the batch being written, and the batch data it views. */
  #src: Buffer = Buffer.alloc(0);
  #srcData: Uint8Array | null = null;
  #closed = false;

  private constructor(path: string, fd: number, opts: PcapngWriterOptions) {
    this.path = path;
    this.#fd = fd;
    this.#opts = opts;
    this.#snaplen = opts.snaplen ?? DEFAULT_WRITE_SNAPLEN;
    this.#buf = Buffer.alloc(opts.bufferBytes ?? DEFAULT_BUFFER_BYTES);
    this.#dv = new DataView(this.#buf.buffer, this.#buf.byteOffset, this.#buf.byteLength);
    this.#sectionHeader();
  }

  /** Creates (or truncates) `path` and buffers the section header; fails with a one-line NtaError. */
  static create(path: string, opts: PcapngWriterOptions = {}): PcapngWriter {
    let fd: number;
    try {
      fd = openSync(path, 'w');
    } catch (err) {
      throw new NtaError('NTA_ERR_IO', `${path}: ${describeFsError(err)}`, { cause: err });
    }
    return new PcapngWriter(path, fd, opts);
  }

  /** Bytes of the file so far, buffered ones included. */
  get bytes(): number {
    return this.#written + this.#pos;
  }

  get packets(): number {
    return this.#packets;
  }

  /** Appends packets [start, end) of `batch`. The bytes are copied: the batch may be reused afterwards. */
  writeBatch(batch: PacketBatch, start = 0, end = batch.count): void {
    for (let i = start; i < end; i++) this.writePacket(batch, i);
  }

  /** Appends packet `i` of `batch` as an EPB (after an IDB for its link type, the first time). */
  writePacket(batch: PacketBatch, i: number): void {
    const linkType = batch.linkType[i]!;
    const ifId = linkType === this.#lastLinkType ? this.#lastIfId : this.#interfaceFor(linkType);
    const caplen = batch.caplen[i]!;
    const wireLen = batch.wireLen[i]!;
    // A packet without a time came from a Simple Packet Block: write one back when it can say the same.
    const simple =
      batch.hasTs[i] === 0 && ifId === 0 && caplen === Math.min(wireLen, this.#snaplen) && caplen > 0;
    const head = simple ? SPB_HEAD : EPB_HEAD;
    const len = head + pad4(caplen) + 4;
    this.#reserve(len);
    const dv = this.#dv;
    const o = this.#pos;
    dv.setUint32(o, simple ? PcapngBlock.SimplePacket : PcapngBlock.EnhancedPacket, true);
    dv.setUint32(o + 4, len, true);
    if (simple) {
      dv.setUint32(o + 8, wireLen, true);
    } else {
      dv.setUint32(o + 8, ifId, true);
      if (batch.hasTs[i] === 1) this.#timestamp(o + 12, batch.tsSec[i]!, batch.tsNsec[i]!);
      else dv.setBigUint64(o + 12, 0n, true);
      dv.setUint32(o + 20, caplen, true);
      dv.setUint32(o + 24, wireLen, true);
    }
    const data = batch.data;
    if (data !== this.#srcData) {
      this.#srcData = data;
      this.#src = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    }
    const from = batch.offset[i]!;
    this.#src.copy(this.#buf, o + head, from, from + caplen);
    this.#buf.fill(0, o + head + caplen, o + len - 4);
    dv.setUint32(o + len - 4, len, true);
    this.#pos = o + len;
    this.#packets++;
  }

  /** Hands the buffered blocks to the file: one write call. */
  flush(): void {
    let off = 0;
    try {
      while (off < this.#pos) off += writeSync(this.#fd, this.#buf, off, this.#pos - off);
    } catch (err) {
      throw new NtaError('NTA_ERR_IO', `${this.path}: ${describeFsError(err)}`, { cause: err });
    } finally {
      this.#written += off;
      this.#buf.copy(this.#buf, 0, off, this.#pos);
      this.#pos -= off;
    }
    this.#srcData = null; // do not keep the batch's memory alive between batches
  }

  /**
   * Flushes and closes the file; `sync` also waits for the disk. With `stats`, an Interface Statistics Block
   * for every interface ends the file (isb_usrdeliv: the packets this file holds). Safe to call twice.
   */
  close(sync = false, stats?: InterfaceStatistics): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      if (stats !== undefined) for (const id of this.#ifId.values()) this.#statistics(id, stats);
      this.flush();
      if (sync) fsyncSync(this.#fd);
    } finally {
      closeSync(this.#fd);
    }
  }

  /** Makes room for `len` more bytes: flushes, and grows the buffer for a block larger than it. */
  #reserve(len: number): void {
    if (this.#pos + len <= this.#buf.length) return;
    this.flush();
    if (len > this.#buf.length) {
      this.#buf = Buffer.alloc(pad4(len));
      this.#dv = new DataView(this.#buf.buffer, this.#buf.byteOffset, this.#buf.byteLength);
    }
  }

  /** Nanoseconds since the epoch as two 32-bit words, exactly: sec × 10^9 exceeds 2^53. */
  #timestamp(o: number, sec: number, nsec: number): void {
    const dv = this.#dv;
    if (sec < 0 || sec >= TWO_POW_32) {
      const ns = BigInt.asUintN(64, BigInt(sec) * 1_000_000_000n + BigInt(nsec)); // damaged files only
      dv.setUint32(o, Number(ns >> 32n), true);
      dv.setUint32(o + 4, Number(ns & 0xffffffffn), true);
      return;
    }
    // sec = sh·2^16 + sl, so sec·10^9 = (sh·10^9)·2^16 + sl·10^9; every partial product is below 2^53.
    const sh = Math.floor(sec / TWO_POW_16);
    const sl = sec - sh * TWO_POW_16;
    const x = sh * NS_PER_SEC;
    const xh = Math.floor(x / TWO_POW_16);
    const xl = x - xh * TWO_POW_16;
    const low = xl * TWO_POW_16 + sl * NS_PER_SEC + nsec;
    const carry = Math.floor(low / TWO_POW_32);
    dv.setUint32(o, xh + carry, true); // pcapng: upper 32 bits first, then lower, each in section byte order
    dv.setUint32(o + 4, low - carry * TWO_POW_32, true);
  }

  #sectionHeader(): void {
    const app = this.#opts.application === undefined ? null : utf8.encode(this.#opts.application);
    const optLen = (app === null ? 0 : 4 + pad4(app.length)) + 4;
    const len = 28 + optLen;
    this.#reserve(len);
    const dv = this.#dv;
    let o = this.#pos;
    dv.setUint32(o, PcapngBlock.SectionHeader, true);
    dv.setUint32(o + 4, len, true);
    dv.setUint32(o + 8, BYTE_ORDER_MAGIC, true);
    dv.setUint16(o + 12, 1, true);
    dv.setUint16(o + 14, 0, true);
    dv.setBigInt64(o + 16, -1n, true); // section length not given
    o += 24;
    if (app !== null) o = this.#option(o, OPT_SHB_USERAPPL, app);
    o = this.#option(o, OPT_ENDOFOPT, new Uint8Array(0));
    dv.setUint32(o, len, true);
    this.#pos = o + 4;
  }

  #statistics(ifId: number, stats: InterfaceStatistics): void {
    const counters: [number, number][] = [
      [OPT_ISB_IFRECV, stats.received],
      [OPT_ISB_IFDROP, stats.ifDropped],
      [OPT_ISB_OSDROP, stats.osDropped],
      [OPT_ISB_USRDELIV, this.#packets],
    ];
    // Header 20 (type, length, interface id, timestamp), two time options and four counters of 12 bytes
    // each, end of options, trailing length.
    const len = 20 + 12 * (2 + counters.length) + 4 + 4;
    this.#reserve(len);
    const dv = this.#dv;
    let o = this.#pos;
    const end = stats.endedMs;
    dv.setUint32(o, PcapngBlock.InterfaceStatistics, true);
    dv.setUint32(o + 4, len, true);
    dv.setUint32(o + 8, ifId, true);
    this.#timestamp(o + 12, Math.floor(end / 1000), (end % 1000) * 1e6);
    o += 20;
    for (const [code, ms] of [
      [OPT_ISB_STARTTIME, stats.startedMs],
      [OPT_ISB_ENDTIME, end],
    ] as const) {
      dv.setUint16(o, code, true);
      dv.setUint16(o + 2, 8, true);
      this.#timestamp(o + 4, Math.floor(ms / 1000), (ms % 1000) * 1e6);
      o += 12;
    }
    for (const [code, value] of counters) {
      dv.setUint16(o, code, true);
      dv.setUint16(o + 2, 8, true);
      dv.setBigUint64(o + 4, BigInt(value), true);
      o += 12;
    }
    dv.setUint32(o, 0, true); // opt_endofopt
    dv.setUint32(o + 4, len, true);
    this.#pos = o + 8;
  }

  #interfaceFor(linkType: number): number {
    let id = this.#ifId.get(linkType);
    if (id === undefined) {
      id = this.#ifId.size;
      this.#ifId.set(linkType, id);
      this.#interfaceDescription(linkType);
    }
    this.#lastLinkType = linkType;
    this.#lastIfId = id;
    return id;
  }

  #interfaceDescription(linkType: number): void {
    const opts: [number, Uint8Array][] = [];
    if (this.#opts.ifName !== undefined) opts.push([OPT_IF_NAME, utf8.encode(this.#opts.ifName)]);
    opts.push([OPT_IF_TSRESOL, Uint8Array.of(9)]);
    const filter = this.#opts.filter;
    if (filter !== undefined && filter !== null) {
      const expr = utf8.encode(filter);
      const value = new Uint8Array(1 + expr.length); // first byte 0: a libpcap filter string
      value.set(expr, 1);
      opts.push([OPT_IF_FILTER, value]);
    }
    opts.push([OPT_ENDOFOPT, new Uint8Array(0)]);
    const len = 20 + opts.reduce((n, [, v]) => n + 4 + pad4(v.length), 0);
    this.#reserve(len);
    const dv = this.#dv;
    let o = this.#pos;
    dv.setUint32(o, PcapngBlock.InterfaceDescription, true);
    dv.setUint32(o + 4, len, true);
    dv.setUint16(o + 8, linkType, true);
    dv.setUint16(o + 10, 0, true);
    dv.setUint32(o + 12, this.#snaplen, true);
    o += 16;
    for (const [code, value] of opts) o = this.#option(o, code, value);
    dv.setUint32(o, len, true);
    this.#pos = o + 4;
  }

  #option(o: number, code: number, value: Uint8Array): number {
    this.#dv.setUint16(o, code, true);
    this.#dv.setUint16(o + 2, value.length, true);
    this.#buf.set(value, o + 4);
    this.#buf.fill(0, o + 4 + value.length, o + 4 + pad4(value.length));
    return o + 4 + pad4(value.length);
  }
}
