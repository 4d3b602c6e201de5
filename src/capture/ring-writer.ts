import { unlinkSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { NtaError } from '../core/errors.js';
import type { PacketBatch } from './packet-batch.js';
import { PcapngWriter, type InterfaceStatistics, type PcapngWriterOptions } from './pcapng-writer.js';

/**
 * `-w FILE` with dumpcap's ring buffer (`-b filesize:MB`, `-b files:N`, `-b duration:S`): packets go to
 * `PREFIX_NNNNN_YYYYmmddHHMMSS.EXT` files, a new one when the current one reaches the size or age limit,
 * keeping only the newest N files (deleting the oldest ones this run wrote). Without a ring, one file at FILE.
 */

export interface RingOptions {
  /** Switch files once one holds this many bytes. */
  readonly fileBytes?: number | undefined;
  /** Switch files once one is this old (seconds of wall clock). */
  readonly durationSeconds?: number | undefined;
  /** Keep only the newest N files. */
  readonly files?: number | undefined;
}

/** Where the packets that passed the filter go while they are analyzed. */
export interface PacketWriter {
  /** Appends packets [start, end) of `batch` and hands them to the file (one write per batch at most). */
  writeBatch(batch: PacketBatch, start: number, end: number): void;
  /** Flushes and closes; `stats` end a single file with the capture's counters (not a ring: dumpcap's way). */
  close(stats?: InterfaceStatistics): void;
}

export class CaptureFileWriter implements PacketWriter {
  readonly #path: string;
  readonly #ring: RingOptions | null;
  readonly #opts: PcapngWriterOptions;
  readonly #now: () => Date;
  #current: PcapngWriter | null = null;
  #openedAt = 0;
  #seq = 0;
  /** Files of this run still on disk, oldest first. */
  readonly #kept: string[] = [];
  #packets = 0;
  #closed = false;

  /** Creates the first file at once, so an unwritable path fails before capture starts. */
  constructor(
    path: string,
    ring: RingOptions | null,
    opts: PcapngWriterOptions = {},
    now = () => new Date(),
  ) {
    if (ring !== null && ring.fileBytes === undefined && ring.durationSeconds === undefined) {
      throw new NtaError('NTA_ERR_USAGE', 'a ring buffer needs -b filesize:MB or -b duration:SECONDS');
    }
    this.#path = path;
    this.#ring = ring;
    this.#opts = opts;
    this.#now = now;
    this.#open();
  }

  /** Every file written by this run that is still on disk, oldest first. */
  get files(): readonly string[] {
    return this.#kept;
  }

  get packets(): number {
    return this.#packets;
  }

  writeBatch(batch: PacketBatch, start: number, end: number): void {
    const ring = this.#ring;
    if (ring === null) {
      this.#current!.writeBatch(batch, start, end);
    } else {
      const maxBytes = ring.fileBytes ?? Infinity;
      const maxMs = (ring.durationSeconds ?? Infinity) * 1000;
      const expired = maxMs !== Infinity && this.#now().getTime() - this.#openedAt >= maxMs;
      if (expired && this.#current !== null && this.#current.packets > 0) this.#rotate();
      for (let i = start; i < end; i++) {
        if (this.#current === null) this.#open();
        const w = this.#current!;
        w.writePacket(batch, i);
        if (w.bytes >= maxBytes) this.#rotate(); // as dumpcap: the packet that reaches the size ends the file
      }
    }
    this.#packets += end - start;
    this.#current?.flush();
  }

  close(stats?: InterfaceStatistics): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#current?.close(false, this.#ring === null ? stats : undefined);
    this.#current = null;
  }

  #rotate(): void {
    this.#current?.close();
    this.#current = null;
  }

  #open(): void {
    const path = this.#ring === null ? this.#path : this.#ringName(++this.#seq);
    this.#current = PcapngWriter.create(path, this.#opts);
    this.#openedAt = this.#now().getTime();
    this.#kept.push(path);
    const keep = this.#ring?.files;
    while (keep !== undefined && this.#kept.length > keep) {
      const oldest = this.#kept.shift()!;
      try {
        unlinkSync(oldest);
      } catch {
        /* already gone: nothing to free */
      }
    }
  }

  /** dumpcap's names: out.pcapng → out_00001_20240131235959.pcapng (local time the file was opened). */
  #ringName(seq: number): string {
    const ext = extname(this.#path);
    const prefix = join(dirname(this.#path), basename(this.#path, ext));
    const d = this.#now();
    const p2 = (n: number): string => String(n).padStart(2, '0');
    const stamp = `${d.getFullYear()}${p2(d.getMonth() + 1)}${p2(d.getDate())}${p2(d.getHours())}${p2(d.getMinutes())}${p2(d.getSeconds())}`;
    return `${prefix}_${String(seq).padStart(5, '0')}_${stamp}${ext === '' ? '.pcapng' : ext}`;
  }
}
