import type { Dirent } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { NtaError } from '../core/errors.js';
import { u32le } from '../core/bytes.js';
import {
  ByteWindow,
  describeFsError,
  fileByteStream,
  readableByteStream,
  type ByteStream,
} from './byte-input.js';
import { PcapReader, isPcapMagic } from './pcap.js';
import { PCAPNG_MAGIC, PcapngReader } from './pcapng.js';
import { DEFAULT_BATCH_CAPACITY, PacketBatch, type PacketSource } from './packet-batch.js';

export { describeFsError } from './byte-input.js';

/** Upper bound on the read window: the largest record or block a reader will hold at once. */
const MAX_WINDOW = 64 << 20;
const GZIP_MAGIC0 = 0x1f;
const GZIP_MAGIC1 = 0x8b;

export interface OpenOptions {
  /** Packets per batch (default DEFAULT_BATCH_CAPACITY). */
  readonly batchCapacity?: number;
  /** Initial read window in bytes; it grows as large blocks need (default 4 MiB). */
  readonly initialWindow?: number;
}

/**
 * Opens a capture by content, never by name: pcap or pcapng, plain or gzip-compressed, a path or `-` for
 * standard input. Errors are NtaErrors with one-line messages naming the path.
 */
export async function openCapture(path: string, options: OpenOptions = {}): Promise<PacketSource> {
  const opened = await openWindow(path, options.initialWindow);
  return openReader(opened, path, options.batchCapacity);
}

/**
 * Opens a capture arriving on a stream (what `-` does with standard input): sniffed by content like a file;
 * `name` is what messages and `info.name` show. Closing the source destroys the stream.
 */
export async function openCaptureStream(
  stream: Readable,
  name: string,
  options: OpenOptions = {},
): Promise<PacketSource> {
  const opened = await sniffWindow(
    readableByteStream(stream, (err) => ioError(name, err)),
    name,
    undefined,
    options.initialWindow,
  );
  return openReader(opened, name, options.batchCapacity);
}

async function openReader(
  opened: OpenedWindow,
  path: string,
  batchCapacity = DEFAULT_BATCH_CAPACITY,
): Promise<PacketSource> {
  const { win, sizeBytes, magic, gzip } = opened;
  let reader: PcapReader | PcapngReader;
  if (isPcapMagic(magic)) reader = new PcapReader(win, path, sizeBytes, new PacketBatch(batchCapacity));
  else if (magic === PCAPNG_MAGIC)
    reader = new PcapngReader(win, path, sizeBytes, new PacketBatch(batchCapacity));
  else {
    await win.close();
    throw new NtaError(
      'NTA_ERR_CAPTURE_FORMAT',
      `${path}: not a capture file (${gzip ? 'gzip data holding ' : ''}unknown magic number 0x${magic.toString(16).padStart(8, '0')}; expected pcap or pcapng)`,
    );
  }
  try {
    await reader.open();
  } catch (err) {
    await reader.close();
    throw err;
  }
  return reader;
}

interface OpenedWindow {
  readonly win: ByteWindow;
  readonly sizeBytes: number | undefined;
  /** The first four (decompressed) bytes read little-endian. */
  readonly magic: number;
  readonly gzip: boolean;
}

/** Opens a path (or `-`) for sniffing. */
async function openWindow(path: string, initialWindow: number | undefined): Promise<OpenedWindow> {
  if (path === '-')
    return sniffWindow(
      readableByteStream(process.stdin, (err) => ioError(path, err)),
      path,
      undefined,
      initialWindow,
    );
  let stream: ByteStream;
  let sizeBytes: number | undefined;
  try {
    const st = await stat(path);
    if (st.isDirectory()) throw new NtaError('NTA_ERR_IO', `${path}: is a directory`);
    if (st.isFile()) sizeBytes = st.size;
    stream = fileByteStream(await open(path, 'r'), path);
  } catch (err) {
    throw ioError(path, err);
  }
  return sniffWindow(stream, path, sizeBytes, initialWindow);
}

/** Makes sure there are at least four bytes to sniff, unwrapping gzip first. */
async function sniffWindow(
  stream: ByteStream,
  path: string,
  sizeBytes: number | undefined,
  initialWindow: number | undefined,
): Promise<OpenedWindow> {
  let win = new ByteWindow(stream, MAX_WINDOW, initialWindow);
  await fillOrFail(win, path, 4, false);
  const gzip = win.buf[win.start] === GZIP_MAGIC0 && win.buf[win.start + 1] === GZIP_MAGIC1;
  if (gzip) {
    win = new ByteWindow(gunzipByteStream(win, path), MAX_WINDOW, initialWindow);
    await fillOrFail(win, path, 4, true);
  }
  return { win, sizeBytes, magic: u32le(win.buf, win.start), gzip };
}

function ioError(path: string, err: unknown): NtaError {
  if (err instanceof NtaError) return err;
  return new NtaError('NTA_ERR_IO', `${path}: ${describeFsError(err)}`, { cause: err });
}

async function fillOrFail(win: ByteWindow, path: string, need: number, gzip: boolean): Promise<void> {
  let ok: boolean;
  try {
    ok = await win.fill(need);
  } catch (err) {
    await win.close();
    throw ioError(path, err);
  }
  if (!ok) {
    await win.close();
    const what = gzip ? 'gzip data that decompresses to' : 'file';
    throw new NtaError(
      'NTA_ERR_CAPTURE_FORMAT',
      win.available === 0
        ? `${path}: not a capture file (empty ${gzip ? 'after gunzip' : 'file'})`
        : `${path}: not a capture file (${what} only ${win.available} bytes)`,
    );
  }
}

/**
 * Decompresses everything the window holds and everything still to come. Errors keep their place: the
 * bytes inflated before a damaged spot are delivered first, then the read fails with an NtaError.
 */
function gunzipByteStream(compressed: ByteWindow, path: string): ByteStream {
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (;;) {
      if (compressed.available > 0) {
        const chunk = compressed.buf.slice(compressed.start, compressed.end);
        compressed.start = compressed.end;
        yield chunk;
      }
      if (!(await compressed.fill(1))) return;
    }
  }
  const source = Readable.from(chunks());
  const gunzip = createGunzip();
  // pipeline forwards a read failure of the file into gunzip, whose 'error' the byte stream reports.
  pipeline(source, gunzip, () => {});
  const inner = readableByteStream(gunzip, (err, delivered) => gzipError(path, err, delivered), true);
  return {
    read: inner.read,
    inputBytes: () => compressed.inputConsumed,
    async close() {
      await inner.close();
      source.destroy();
      await compressed.close();
    },
  };
}

function gzipError(path: string, err: unknown, delivered: number): NtaError {
  if (err instanceof NtaError) return err;
  const code = (err as { code?: string } | null)?.code;
  const detail = err instanceof Error ? err.message : String(err);
  if (code === 'Z_BUF_ERROR') {
    return new NtaError(
      'NTA_ERR_CAPTURE_TRUNCATED',
      `${path}: gzip data ends early, after ${delivered} bytes of capture (the file is cut short)`,
      { cause: err },
    );
  }
  if (code !== undefined && code.startsWith('Z_')) {
    return new NtaError(
      'NTA_ERR_CAPTURE_CORRUPT',
      `${path}: corrupt gzip data after ${delivered} bytes of capture (zlib: ${detail})`,
      { cause: err },
    );
  }
  return ioError(path, err);
}

/** Magic check for folder expansion: is this file a pcap, a pcapng, or gzip holding one of them? */
const isCaptureMagic = (magic: number): boolean => isPcapMagic(magic) || magic === PCAPNG_MAGIC;

/** Files whose first bytes are probed at once while a folder is expanded. */
const PROBE_CONCURRENCY = 8;
/** Packets looked at for a first timestamp (pcapng Simple Packet Blocks have none). */
const PROBE_MAX_PACKETS = 1024;
const PROBE_WINDOW = 64 << 10;

/**
 * Expands the command line's capture arguments: `-` and files stay as given (a file that is not a capture
 * fails later, when it is opened, without stopping the others); a folder becomes every capture file inside
 * it, recursively, ordered by the time of each file's first packet so a folder reads in time order (files
 * with the same first time, and files without one, by path; those without one come last).
 *
 * In a folder, a file counts as a capture if its first bytes are a pcap or pcapng magic number, or gzip
 * data whose first decompressed bytes are; other files (notes, reference tables, archives) are passed over.
 * A file that cannot be read is kept, so the read reports it.
 *
 * Throws NtaError naming the path for an argument that does not exist or cannot be looked at, a folder that
 * cannot be listed, and a folder holding no capture.
 */
export async function expandCaptureArgs(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const path of paths) {
    if (path === '-') {
      out.push(path);
      continue;
    }
    let isDir: boolean;
    try {
      isDir = (await stat(path)).isDirectory();
    } catch (err) {
      throw ioError(path, err);
    }
    if (!isDir) {
      out.push(path);
      continue;
    }
    const files: string[] = [];
    await listFiles(path, files, new Set());
    const probed = await mapLimit(files, PROBE_CONCURRENCY, probeFile);
    const captures = probed.filter((p) => p.capture);
    if (captures.length === 0) {
      throw new NtaError(
        'NTA_ERR_CAPTURE_FORMAT',
        `${path}: folder holds no capture files (pcap, pcapng, or either gzip-compressed)`,
      );
    }
    captures.sort(byFirstPacket);
    for (const c of captures) out.push(c.path);
  }
  return out;
}

async function listFiles(dir: string, out: string[], seen: Set<string>): Promise<void> {
  let real: string;
  let entries: Dirent[];
  try {
    real = await realpath(dir);
    if (seen.has(real)) return; // a symlink loop, or the same folder reached twice
    seen.add(real);
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw ioError(dir, err);
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const full = join(dir, e.name);
    let isDir = e.isDirectory();
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      try {
        const st = await stat(full);
        isDir = st.isDirectory();
        isFile = st.isFile();
      } catch {
        // A dangling link: nothing to read, and not a capture.
        continue;
      }
    }
    if (isDir) await listFiles(full, out, seen);
    else if (isFile) out.push(full);
  }
}

interface Probe {
  readonly path: string;
  readonly capture: boolean;
  /** First packet time; NaN when the file has no timestamped packet or could not be read. */
  readonly sec: number;
  readonly nsec: number;
}

async function probeFile(path: string): Promise<Probe> {
  const none = (capture: boolean): Probe => ({ path, capture, sec: NaN, nsec: 0 });
  let opened: OpenedWindow;
  try {
    opened = await openWindow(path, PROBE_WINDOW);
  } catch (err) {
    // Unreadable, or gzip that is damaged: keep it so the read reports why. Too short to sniff: not a capture.
    return none(!(err instanceof NtaError) || err.code !== 'NTA_ERR_CAPTURE_FORMAT');
  }
  if (!isCaptureMagic(opened.magic)) {
    await opened.win.close();
    return none(false);
  }
  let source: PacketSource | undefined;
  try {
    source = await openReader(opened, path, 64);
    let seen = 0;
    for await (const batch of source) {
      for (let i = 0; i < batch.count; i++) {
        if (batch.hasTs[i] === 1)
          return { path, capture: true, sec: batch.tsSec[i]!, nsec: batch.tsNsec[i]! };
      }
      seen += batch.count;
      if (seen >= PROBE_MAX_PACKETS) break;
    }
  } catch {
    // Damaged or unsupported: it still goes into the list, and the read reports the damage.
  } finally {
    await source?.close();
  }
  return none(true);
}

function byFirstPacket(a: Probe, b: Probe): number {
  const aNone = Number.isNaN(a.sec);
  const bNone = Number.isNaN(b.sec);
  if (aNone !== bNone) return aNone ? 1 : -1;
  if (!aNone && (a.sec !== b.sec || a.nsec !== b.nsec)) {
    return a.sec !== b.sec ? a.sec - b.sec : a.nsec - b.nsec;
  }
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
