import { NtaError } from '../core/errors.js';
import { u16, u32 } from '../core/bytes.js';
import type { ByteWindow } from './byte-input.js';
import { PacketBatch, type PacketSource, type SourceInfo, type SourceStats } from './packet-batch.js';

/** Magic numbers as read little-endian from the first four bytes of a pcap file. */
export const PCAP_MAGIC = {
  microLE: 0xa1b2c3d4,
  microBE: 0xd4c3b2a1,
  nanoLE: 0xa1b23c4d,
  nanoBE: 0x4d3cb2a1,
  /** Alexey Kuznetsov's patched libpcap: 8 more bytes per record header (ifindex, protocol, pkt_type). */
  kuznetsovLE: 0xa1b2cd34,
  kuznetsovBE: 0x34cdb2a1,
} as const;

const FILE_HEADER_LEN = 24;
/** Largest record libpcap and Wireshark accept (MAXIMUM_SNAPLEN / WTAP_MAX_PACKET_SIZE_STANDARD). */
export const MAX_PCAP_RECORD = 262144;
/** The link type is the low 16 bits; the upper bits carry FCS information that tshark ignores. */
const LINKTYPE_MASK = 0xffff;

export function isPcapMagic(magicLE: number): boolean {
  return Object.values(PCAP_MAGIC).includes(magicLE as never);
}

/** Reads classic libpcap files: µs and ns variants, both byte orders. */
export class PcapReader implements PacketSource {
  readonly info: SourceInfo;
  readonly stats: SourceStats = { bytesRead: 0, frames: 0, dropped: 0, ifDropped: 0 };
  readonly #win: ByteWindow;
  readonly #batch: PacketBatch;
  #littleEndian = true;
  #nanos = false;
  #recordHeaderLen = 16;
  #linkType = 0;

  constructor(win: ByteWindow, name: string, sizeBytes: number | undefined, batch = new PacketBatch()) {
    this.#win = win;
    this.#batch = batch;
    this.info = { name, format: 'pcap', ...(sizeBytes === undefined ? {} : { sizeBytes }) };
  }

  /** Reads and checks the file header. Must be called before iterating. */
  async open(): Promise<void> {
    const win = this.#win;
    if (!(await win.fill(FILE_HEADER_LEN))) {
      throw new NtaError('NTA_ERR_CAPTURE_FORMAT', `${this.info.name}: pcap file header is cut short`);
    }
    const b = win.buf;
    const magic = u32(b, 0, true);
    this.#littleEndian =
      magic === PCAP_MAGIC.microLE || magic === PCAP_MAGIC.nanoLE || magic === PCAP_MAGIC.kuznetsovLE;
    this.#nanos = magic === PCAP_MAGIC.nanoLE || magic === PCAP_MAGIC.nanoBE;
    if (magic === PCAP_MAGIC.kuznetsovLE || magic === PCAP_MAGIC.kuznetsovBE) this.#recordHeaderLen = 24;
    const major = u16(b, 4, this.#littleEndian);
    if (major !== 2) {
      throw new NtaError(
        'NTA_ERR_CAPTURE_FORMAT',
        `${this.info.name}: unsupported pcap version ${major}.${u16(b, 6, this.#littleEndian)} (expected 2.x)`,
      );
    }
    this.#linkType = u32(b, 20, this.#littleEndian) & LINKTYPE_MASK;
    (this.info as { format: string }).format = this.#nanos ? 'nsecpcap' : 'pcap';
    win.start = FILE_HEADER_LEN;
    this.stats.bytesRead = win.inputConsumed;
  }

  get linkType(): number {
    return this.#linkType;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<PacketBatch> {
    const win = this.#win;
    const batch = this.#batch;
    for (;;) {
      batch.count = 0;
      batch.data = win.buf;
      const need = this.#scan(win.buf, win.end);
      this.stats.bytesRead = win.inputConsumed;
      if (need < 0) {
        const caplen = -need;
        yield* this.#flush(batch);
        throw new NtaError(
          'NTA_ERR_CAPTURE_CORRUPT',
          `${this.info.name}: corrupt record at offset ${win.offsetOf(win.start)} (captured length ${caplen} exceeds ${MAX_PCAP_RECORD}); ${this.stats.frames} frames read before it`,
        );
      }
      if (batch.count > 0) {
        yield batch;
        continue;
      }
      if (!(await win.fill(need))) {
        if (win.available > 0) {
          throw new NtaError(
            'NTA_ERR_CAPTURE_TRUNCATED',
            `${this.info.name}: capture ends in the middle of a record at offset ${win.offsetOf(win.start)} (${win.available} of ${need} bytes); ${this.stats.frames} frames read before it`,
          );
        }
        return;
      }
    }
  }

  /**
   * Fills the batch with the whole records in b[win.start..end) and advances win.start past them. Kept out
   * of the async generator so V8 optimizes it as a plain loop. Returns the bytes the next record needs
   * (0 when the batch filled up first), or minus the captured length of a corrupt record header.
   */
  #scan(b: Uint8Array, end: number): number {
    const win = this.#win;
    const batch = this.#batch;
    const le = this.#littleEndian;
    const hdrLen = this.#recordHeaderLen;
    const fracPerSec = this.#nanos ? 1e9 : 1e6;
    const nsPerFrac = this.#nanos ? 1 : 1000;
    const linkType = this.#linkType;
    let frame = this.stats.frames;
    let pos = win.start;
    let need = 0;
    while (!batch.full) {
      if (end - pos < hdrLen) {
        need = hdrLen;
        break;
      }
      const caplen = u32(b, pos + 8, le);
      if (caplen > MAX_PCAP_RECORD) {
        need = -caplen;
        break;
      }
      if (end - pos < hdrLen + caplen) {
        need = hdrLen + caplen;
        break;
      }
      const sec = u32(b, pos, le);
      const frac = u32(b, pos + 4, le);
      // A fraction of a second or more is a writer's bug; carry it into the seconds.
      const carry = frac >= fracPerSec ? Math.floor(frac / fracPerSec) : 0;
      batch.push(
        pos + hdrLen,
        caplen,
        u32(b, pos + 12, le),
        sec + carry,
        (frac - carry * fracPerSec) * nsPerFrac,
        true,
        linkType,
        ++frame,
      );
      pos += hdrLen + caplen;
    }
    this.stats.frames = frame;
    win.start = pos;
    return need;
  }

  async *#flush(batch: PacketBatch): AsyncGenerator<PacketBatch> {
    if (batch.count > 0) yield batch;
  }

  close(): Promise<void> {
    return this.#win.close();
  }
}
