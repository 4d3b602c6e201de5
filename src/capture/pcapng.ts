import { NtaError, type NtaErrorCode } from '../core/errors.js';
import { u16, u32, u32le } from '../core/bytes.js';
import { splitTimestamp } from '../core/time.js';
import type { ByteWindow } from './byte-input.js';
import { PacketBatch, type PacketSource, type SourceInfo, type SourceStats } from './packet-batch.js';

/** The Section Header Block type; it reads the same in both byte orders. */
export const PCAPNG_MAGIC = 0x0a0d0d0a;
/** The SHB byte-order magic as read little-endian: a little-endian section, or a big-endian one. */
const BYTE_ORDER_LE = 0x1a2b3c4d;
const BYTE_ORDER_BE = 0x4d3c2b1a;

/** Block types this reader acts on; every other block (NRB, ISB, DSB, custom, ...) is skipped. */
export const PcapngBlock = {
  SectionHeader: PCAPNG_MAGIC,
  InterfaceDescription: 0x00000001,
  /** Obsolete Packet Block: 16-bit interface id and drop count, else like the EPB. */
  Packet: 0x00000002,
  SimplePacket: 0x00000003,
  NameResolution: 0x00000004,
  InterfaceStatistics: 0x00000005,
  EnhancedPacket: 0x00000006,
  DecryptionSecrets: 0x0000000a,
  Custom: 0x00000bad,
  CustomNoCopy: 0x40000bad,
} as const;

/** Type + total length in front, total length again at the end. */
const BLOCK_OVERHEAD = 12;
/** SHB body before its options: byte-order magic, major, minor, 64-bit section length. */
const MIN_SHB_LEN = BLOCK_OVERHEAD + 16;
/** IDB body before its options: link type, reserved, snap length. */
const MIN_IDB_LEN = BLOCK_OVERHEAD + 8;
/** EPB (and obsolete PB) body before the packet data: interface, timestamp (2 words), caplen, origlen. */
const MIN_EPB_LEN = BLOCK_OVERHEAD + 20;
/** SPB body before the packet data: original length. */
const MIN_SPB_LEN = BLOCK_OVERHEAD + 4;
/** Largest block accepted, as Wireshark's MAX_BLOCK_SIZE: a length field above it is damage, not data. */
export const MAX_PCAPNG_BLOCK = 16 << 20;
/** Interfaces one section may describe; each costs a few numbers, and a flood of IDBs is damage. */
export const MAX_PCAPNG_INTERFACES = 65536;

const OPT_ENDOFOPT = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;
/** if_tsresol when absent: 10^-6 (microseconds). */
const DEFAULT_TSRESOL = 6;

/** What one call of the synchronous scan ended on. */
const Scan = { Full: 0, Need: 1, Error: 2 } as const;
type Scan = (typeof Scan)[keyof typeof Scan];

const TWO_POW_32 = 4294967296;

/**
 * Reads pcapng files: any number of sections, each in either byte order, each with its own interfaces
 * (link type, snap length, if_tsresol, if_tsoffset). Enhanced, Simple and obsolete Packet Blocks are frames,
 * numbered 1.. across the file; every other block is skipped (custom blocks are not frames, unlike tshark 4.0).
 *
 * The scan over the window is synchronous and allocation-free per packet; the generator awaits once per
 * batch. Damage (bad block length, trailing length mismatch, option overrun, unknown interface) ends the
 * capture with NTA_ERR_CAPTURE_CORRUPT naming the byte offset, after every frame before it has been yielded.
 */
export class PcapngReader implements PacketSource {
  readonly info: SourceInfo;
  readonly stats: SourceStats = { bytesRead: 0, frames: 0, dropped: 0, ifDropped: 0 };
  readonly #win: ByteWindow;
  readonly #batch: PacketBatch;
  /** Byte order of the current section. */
  #le = true;
  #frame = 0;
  /** Bytes the scan wants in the window before it can go on (Scan.Need). */
  #need = 0;
  // The damage the scan stopped on; turned into an NtaError once the frames before it are out.
  #errPos = 0;
  #errWhat = '';
  #errCode: NtaErrorCode = 'NTA_ERR_CAPTURE_CORRUPT';
  // Interfaces of the current section, indexed by interface id; reset by every SHB.
  #ifCount = 0;
  readonly #ifLinkType: number[] = [];
  readonly #ifSnapLen: number[] = [];
  /** Timestamp units per second (10^n or 2^n). */
  readonly #ifUnits: number[] = [];
  /** nanoseconds = floor(frac * mul / div), exact for the resolutions on the fast path. */
  readonly #ifNsMul: number[] = [];
  readonly #ifNsDiv: number[] = [];
  /** 1 when the resolution is too fine for exact double arithmetic (finer than 10^-11 or 2^-32). */
  readonly #ifSlowTs: number[] = [];
  readonly #ifTsOffset: number[] = [];
  readonly #ts = { sec: 0, frac: 0 };

  constructor(win: ByteWindow, name: string, sizeBytes: number | undefined, batch = new PacketBatch()) {
    this.#win = win;
    this.#batch = batch;
    this.info = { name, format: 'pcapng', ...(sizeBytes === undefined ? {} : { sizeBytes }) };
  }

  /** Reads and checks the first Section Header Block. Must be called before iterating. */
  async open(): Promise<void> {
    const win = this.#win;
    const name = this.info.name;
    if (!(await win.fill(MIN_SHB_LEN))) {
      throw new NtaError(
        'NTA_ERR_CAPTURE_TRUNCATED',
        `${name}: pcapng section header is cut short (${win.available} bytes)`,
      );
    }
    const b = win.buf;
    const pos = win.start;
    if (u32le(b, pos) !== PCAPNG_MAGIC) {
      throw new NtaError('NTA_ERR_CAPTURE_FORMAT', `${name}: not a pcapng file (no section header block)`);
    }
    const bom = u32le(b, pos + 8);
    if (bom !== BYTE_ORDER_LE && bom !== BYTE_ORDER_BE) {
      throw new NtaError(
        'NTA_ERR_CAPTURE_FORMAT',
        `${name}: not a pcapng file (unknown byte-order magic 0x${hex32(bom)})`,
      );
    }
    const len = u32(b, pos + 4, bom === BYTE_ORDER_LE);
    if (len >= MIN_SHB_LEN && len <= MAX_PCAPNG_BLOCK && len % 4 === 0 && !(await win.fill(len))) {
      throw new NtaError(
        'NTA_ERR_CAPTURE_TRUNCATED',
        `${name}: pcapng section header is cut short (${win.available} of ${len} bytes)`,
      );
    }
    // The scan checks the block itself (lengths, version, options) and stops after it.
    const batch = this.#batch;
    batch.count = 0;
    if (this.#scan(batch, 1) === Scan.Error) throw this.#damage();
    this.stats.bytesRead = win.inputConsumed;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<PacketBatch> {
    const win = this.#win;
    const batch = this.#batch;
    for (;;) {
      batch.count = 0;
      const st = this.#scan(batch, Infinity);
      this.stats.frames = this.#frame;
      this.stats.bytesRead = win.inputConsumed;
      if (batch.count > 0) yield batch;
      if (st === Scan.Error) throw this.#damage();
      if (st === Scan.Full) continue;
      if (!(await win.fill(this.#need))) {
        if (win.available > 0) {
          throw new NtaError(
            'NTA_ERR_CAPTURE_TRUNCATED',
            `${this.info.name}: capture ends in the middle of a block at offset ${win.offsetOf(win.start)} (${win.available} of ${this.#need} bytes); ${this.#frame} frames read before it`,
          );
        }
        return;
      }
    }
  }

  /**
   * Consumes whole blocks from the window into `batch` until the batch is full, `maxBlocks` blocks are done,
   * more bytes are needed, or the file is damaged. Synchronous; allocates nothing per packet.
   */
  #scan(batch: PacketBatch, maxBlocks: number): Scan {
    const win = this.#win;
    const b = win.buf;
    const end = win.end;
    batch.data = b;
    let pos = win.start;
    let le = this.#le;
    let frame = this.#frame;
    let blocks = 0;
    let result: Scan = Scan.Full;
    const ts = this.#ts;
    while (!batch.full && blocks < maxBlocks) {
      if (end - pos < BLOCK_OVERHEAD) {
        this.#need = BLOCK_OVERHEAD;
        result = Scan.Need;
        break;
      }
      const type = u32(b, pos, le);
      if (type === PcapngBlock.SectionHeader) {
        // A new section may switch byte order: its length is read in the order its own magic says.
        const bom = u32le(b, pos + 8);
        if (bom !== BYTE_ORDER_LE && bom !== BYTE_ORDER_BE) {
          result = this.#fail(pos, `section header with unknown byte-order magic 0x${hex32(bom)}`);
          break;
        }
        const sle = bom === BYTE_ORDER_LE;
        const len = u32(b, pos + 4, sle);
        if (len < MIN_SHB_LEN || len % 4 !== 0 || len > MAX_PCAPNG_BLOCK) {
          result = this.#fail(pos, `section header with invalid block length ${len}`);
          break;
        }
        if (end - pos < len) {
          this.#need = len;
          result = Scan.Need;
          break;
        }
        const major = u16(b, pos + 12, sle);
        if (major !== 1) {
          result = this.#fail(
            pos,
            `unsupported pcapng version ${major}.${u16(b, pos + 14, sle)} (expected 1.x)`,
            'NTA_ERR_CAPTURE_FORMAT',
          );
          break;
        }
        // Options before the trailer, as Wireshark does: an overrunning option is the likelier damage.
        if (!this.#checkOptions(b, pos + MIN_SHB_LEN - 4, pos + len - 4, sle, pos)) {
          result = Scan.Error;
          break;
        }
        if (u32(b, pos + len - 4, sle) !== len) {
          result = this.#fail(
            pos,
            `section header whose trailing length ${u32(b, pos + len - 4, sle)} is not ${len}`,
          );
          break;
        }
        le = sle;
        this.#le = sle;
        this.#ifCount = 0;
        pos += len;
        blocks++;
        continue;
      }
      const len = u32(b, pos + 4, le);
      if (len < BLOCK_OVERHEAD || len % 4 !== 0 || len > MAX_PCAPNG_BLOCK) {
        result = this.#fail(pos, `block of type 0x${hex32(type)} with invalid length ${len}`);
        break;
      }
      if (end - pos < len) {
        this.#need = len;
        result = Scan.Need;
        break;
      }
      if (u32(b, pos + len - 4, le) !== len) {
        result = this.#fail(
          pos,
          `block of type 0x${hex32(type)} whose trailing length ${u32(b, pos + len - 4, le)} is not ${len}`,
        );
        break;
      }
      if (type === PcapngBlock.EnhancedPacket || type === PcapngBlock.Packet) {
        if (len < MIN_EPB_LEN) {
          result = this.#fail(pos, `packet block too short (${len} bytes)`);
          break;
        }
        const ifId = type === PcapngBlock.EnhancedPacket ? u32(b, pos + 8, le) : u16(b, pos + 8, le);
        const caplen = u32(b, pos + 20, le);
        if (ifId >= this.#ifCount) {
          result = this.#failInterface(pos, ifId);
          break;
        }
        if (caplen > len - MIN_EPB_LEN) {
          result = this.#fail(
            pos,
            `packet block whose captured length ${caplen} exceeds the block (${len} bytes)`,
          );
          break;
        }
        let sec: number;
        let nsec: number;
        // Read as signed: no capture runs in the year 292,000, but tools that apply offsets do write times
        // just before 1970 as huge unsigned values (pcapng-example-eth-sll in the corpus).
        const hi = u32(b, pos + 12, le) | 0;
        const lo = u32(b, pos + 16, le);
        if (this.#ifSlowTs[ifId] === 0) {
          const units = this.#ifUnits[ifId]!;
          splitTimestamp(hi, lo, units, ts);
          sec = ts.sec;
          nsec = Math.floor((ts.frac * this.#ifNsMul[ifId]!) / this.#ifNsDiv[ifId]!);
        } else {
          this.#slowTimestamp(hi, lo, this.#ifUnits[ifId]!);
          sec = ts.sec;
          nsec = ts.frac;
        }
        batch.push(
          pos + 28,
          caplen,
          u32(b, pos + 24, le),
          sec + this.#ifTsOffset[ifId]!,
          nsec,
          true,
          this.#ifLinkType[ifId]!,
          ++frame,
        );
      } else if (type === PcapngBlock.SimplePacket) {
        if (len < MIN_SPB_LEN) {
          result = this.#fail(pos, `simple packet block too short (${len} bytes)`);
          break;
        }
        if (this.#ifCount === 0) {
          result = this.#failInterface(pos, 0);
          break;
        }
        // No captured-length field: min(original length, snap length (0 = none), what the block holds).
        const wireLen = u32(b, pos + 8, le);
        const snap = this.#ifSnapLen[0]!;
        let caplen = Math.min(wireLen, len - MIN_SPB_LEN);
        if (snap !== 0 && snap < caplen) caplen = snap;
        batch.push(pos + 12, caplen, wireLen, 0, 0, false, this.#ifLinkType[0]!, ++frame);
      } else if (type === PcapngBlock.InterfaceDescription) {
        if (!this.#addInterface(b, pos, len, le)) {
          result = Scan.Error;
          break;
        }
      }
      // Every other block type (NRB, ISB, DSB, custom, local use, unknown) carries no frame: skip it.
      pos += len;
      blocks++;
    }
    win.start = pos;
    this.#frame = frame;
    return result;
  }

  #addInterface(b: Uint8Array, pos: number, len: number, le: boolean): boolean {
    if (len < MIN_IDB_LEN) {
      this.#fail(pos, `interface description block too short (${len} bytes)`);
      return false;
    }
    if (this.#ifCount >= MAX_PCAPNG_INTERFACES) {
      this.#fail(pos, `more than ${MAX_PCAPNG_INTERFACES} interfaces in one section`);
      return false;
    }
    let tsresol = DEFAULT_TSRESOL;
    let tsoffset = 0;
    let o = pos + MIN_IDB_LEN - 4;
    const optEnd = pos + len - 4;
    while (optEnd - o >= 4) {
      const code = u16(b, o, le);
      const olen = u16(b, o + 2, le);
      if (code === OPT_ENDOFOPT) break;
      if (olen > optEnd - o - 4) return this.#optionOverrun(pos, o, olen);
      if (code === OPT_IF_TSRESOL && olen === 1) tsresol = b[o + 4]!;
      else if (code === OPT_IF_TSOFFSET && olen === 8) {
        // A signed 64-bit count of seconds; exact while it is within ±2^53.
        const first = u32(b, o + 4, le);
        const second = u32(b, o + 8, le);
        const hi = (le ? second : first) | 0;
        tsoffset = hi * TWO_POW_32 + (le ? first : second);
      }
      o += 4 + ((olen + 3) & ~3);
    }
    const binary = (tsresol & 0x80) !== 0;
    const exp = tsresol & 0x7f;
    if (binary ? exp > 63 : exp > 19) {
      this.#fail(pos, `interface ${this.#ifCount} has an unsupported if_tsresol 0x${tsresol.toString(16)}`);
      return false;
    }
    const id = this.#ifCount++;
    this.#ifLinkType[id] = u16(b, pos + 8, le);
    this.#ifSnapLen[id] = u32(b, pos + 12, le);
    this.#ifTsOffset[id] = tsoffset;
    this.#ifUnits[id] = binary ? 2 ** exp : 10 ** exp;
    let mul = 1;
    let div = 1;
    let slow = 0;
    if (binary) {
      // frac < 2^exp; 1e9 = 2^9 * 1953125, so frac * 1953125 stays below 2^53 up to exp = 32.
      if (exp <= 9) mul = 1e9 / 2 ** exp;
      else if (exp <= 32) {
        mul = 1953125;
        div = 2 ** (exp - 9);
      } else slow = 1;
    } else if (exp <= 9) mul = 10 ** (9 - exp);
    else if (exp <= 11) div = 10 ** (exp - 9);
    else slow = 1;
    this.#ifNsMul[id] = mul;
    this.#ifNsDiv[id] = div;
    this.#ifSlowTs[id] = slow;
    return true;
  }

  /** Checks that the options in b[o..end) stay inside their block (SHB options are otherwise ignored). */
  #checkOptions(b: Uint8Array, o: number, end: number, le: boolean, blockPos: number): boolean {
    while (end - o >= 4) {
      const code = u16(b, o, le);
      const olen = u16(b, o + 2, le);
      if (code === OPT_ENDOFOPT) break;
      if (olen > end - o - 4) return this.#optionOverrun(blockPos, o, olen);
      o += 4 + ((olen + 3) & ~3);
    }
    return true;
  }

  #optionOverrun(blockPos: number, optPos: number, olen: number): false {
    const win = this.#win;
    this.#fail(
      blockPos,
      `option at offset ${win.offsetOf(optPos)} has length ${olen}, more than the block holds`,
    );
    return false;
  }

  /**
   * Timestamps finer than 10^-11 or 2^-32 s need more than 53 bits of exact arithmetic: BigInt, which
   * allocates. No capture tool writes such resolutions, so the per-packet cost is accepted here only.
   */
  #slowTimestamp(hi: number, lo: number, units: number): void {
    const v = (BigInt(hi) << 32n) | BigInt(lo);
    const u = BigInt(units);
    this.#ts.sec = Number(v / u);
    this.#ts.frac = Number(((v % u) * 1_000_000_000n) / u);
  }

  #failInterface(pos: number, ifId: number): Scan {
    return this.#fail(
      pos,
      `packet block names interface ${ifId}, but the section describes ${this.#ifCount} interface${this.#ifCount === 1 ? '' : 's'}`,
    );
  }

  #fail(pos: number, what: string, code: NtaErrorCode = 'NTA_ERR_CAPTURE_CORRUPT'): Scan {
    this.#errPos = pos;
    this.#errWhat = what;
    this.#errCode = code;
    return Scan.Error;
  }

  #damage(): NtaError {
    const at = this.#win.offsetOf(this.#errPos);
    const kind = this.#errCode === 'NTA_ERR_CAPTURE_CORRUPT' ? 'corrupt pcapng' : 'unreadable pcapng';
    return new NtaError(
      this.#errCode,
      `${this.info.name}: ${kind} block at offset ${at}: ${this.#errWhat}; ${this.#frame} frames read before it`,
    );
  }

  close(): Promise<void> {
    return this.#win.close();
  }
}

const hex32 = (v: number): string => v.toString(16).padStart(8, '0');
