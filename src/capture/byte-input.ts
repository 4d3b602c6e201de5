import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { NtaError } from '../core/errors.js';

/** Where capture bytes come from: a file handle or a stream (stdin, gunzip). */
export interface ByteStream {
  /**
   * Reads up to `len` bytes into `into` at `off`; 0 means end of input. Failures are NtaErrors whose message
   * names the input.
   */
  read(into: Uint8Array, off: number, len: number): Promise<number>;
  close(): Promise<void>;
  /** Bytes taken from the underlying input so far, when that differs from the bytes delivered (gzip). */
  inputBytes?(): number;
}

export function fileByteStream(fh: FileHandle, name: string): ByteStream {
  return {
    async read(into, off, len) {
      try {
        return (await fh.read(into, off, len, null)).bytesRead;
      } catch (err) {
        throw new NtaError('NTA_ERR_IO', `${name}: read failed: ${describeFsError(err)}`, { cause: err });
      }
    },
    close: () => fh.close(),
  };
}

/**
 * Turns a stream failure into the NtaError the reader throws, after the `delivered` bytes that came before it.
 */
export type StreamErrorMapper = (err: unknown, delivered: number) => NtaError;

/** Queued stream bytes above which the stream is paused until the reader catches up. */
const STREAM_HIGH_WATER = 4 << 20;

/**
 * Reads a Readable through its 'data' events into a queue, so every byte the stream delivered before an
 * error is handed out before the error is thrown (an async iterator drops buffered chunks when the stream
 * fails). `greedy` reads keep waiting until `len` bytes or the end: right for gunzip of a file, where more
 * data is always moments away; wrong for stdin fed by a live capture, which must not wait for a full window.
 */
export function readableByteStream(
  stream: Readable,
  mapError: StreamErrorMapper,
  greedy = false,
): ByteStream {
  const chunks: Buffer[] = [];
  let head = 0; // chunks[0..head) are used up
  let headOff = 0; // bytes of chunks[head] already used
  let queued = 0;
  let delivered = 0;
  let ended = false;
  let failure: unknown = undefined;
  let failed = false;
  let wake: (() => void) | undefined;
  const signal = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  stream.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    queued += chunk.length;
    if (queued >= STREAM_HIGH_WATER) stream.pause();
    signal();
  });
  stream.on('end', () => {
    ended = true;
    signal();
  });
  stream.on('error', (err: unknown) => {
    failure = err;
    failed = true;
    signal();
  });
  stream.on('close', () => {
    ended = true;
    signal();
  });
  const waitForData = (): Promise<void> =>
    new Promise((resolve) => {
      wake = resolve;
    });

  return {
    async read(into, off, len) {
      let n = 0;
      while (n < len) {
        if (queued === 0) {
          if (failed || ended) break;
          if (n > 0 && !greedy) break;
          if (stream.isPaused()) stream.resume();
          await waitForData();
          continue;
        }
        const chunk = chunks[head]!;
        const take = Math.min(len - n, chunk.length - headOff);
        into.set(chunk.subarray(headOff, headOff + take), off + n);
        n += take;
        headOff += take;
        queued -= take;
        if (headOff === chunk.length) {
          head++;
          headOff = 0;
          if (head > 64 && head * 2 > chunks.length) {
            chunks.splice(0, head);
            head = 0;
          }
        }
      }
      if (queued < STREAM_HIGH_WATER && stream.isPaused() && !ended && !failed) stream.resume();
      if (n === 0 && failed) throw mapError(failure, delivered);
      delivered += n;
      return n;
    },
    async close() {
      stream.destroy();
    },
  };
}

const INITIAL_BUFFER = 8 << 20;
/**
 * Room kept in front of read-ahead data for the unconsumed tail of the current buffer (a record cut by the
 * buffer's end), so switching buffers moves only that tail.
 */
const TAIL_ROOM = 1 << 20;

type Settled = { readonly n: number; readonly err?: undefined } | { readonly n: 0; readonly err: unknown };

/**
 * A sliding window over a byte stream. Parsers look at `buf[start..end)`, advance `start` as they consume,
 * and call `fill` when they need more. `fill` may switch to another buffer, so offsets into `buf` handed
 * out before a `fill` are invalid after it.
 *
 * While the parser works on one buffer, the next chunk is already being read into a second one (read-ahead):
 * on a warm page cache that hides the read's latency, a third of the time of a decode-only read.
 */
export class ByteWindow {
  buf: Uint8Array;
  start = 0;
  end = 0;
  /** Offset in the whole input of buf[0]; `base + start` is the input offset of the next unread byte. */
  base = 0;
  eof = false;
  readonly #stream: ByteStream;
  readonly #maxBuffer: number;
  #closing: Promise<void> | undefined;
  /** Buffer the read-ahead fills at TAIL_ROOM, and the pending read (already settled-safe). */
  #spare: Uint8Array | undefined;
  #readAhead: Promise<Settled> | undefined;

  constructor(stream: ByteStream, maxBuffer: number, initialBuffer = INITIAL_BUFFER) {
    this.#stream = stream;
    this.#maxBuffer = maxBuffer;
    this.buf = new Uint8Array(Math.min(initialBuffer, maxBuffer));
  }

  get available(): number {
    return this.end - this.start;
  }

  /** Offset in the (decompressed) input of buffer position `pos`. */
  offsetOf(pos: number): number {
    return this.base + pos;
  }

  /** Bytes consumed from the file or stdin so far: compressed bytes when the input is gzip. */
  get inputConsumed(): number {
    return this.#stream.inputBytes?.() ?? this.base + this.start;
  }

  /**
   * Reads until at least `need` bytes are available or the input ends. Returns false at end of input with
   * fewer than `need` bytes. `need` must not exceed the window's maximum size.
   */
  async fill(need: number): Promise<boolean> {
    if (this.available >= need) return true;
    if (this.#readAhead !== undefined) await this.#takeReadAhead();
    if (this.available < need && !this.eof) {
      if (this.start > 0) {
        this.buf.copyWithin(0, this.start, this.end);
        this.base += this.start;
        this.end -= this.start;
        this.start = 0;
      }
      if (need > this.buf.length) this.#grow(need);
      while (this.end < need && !this.eof) {
        const n = await this.#stream.read(this.buf, this.end, this.buf.length - this.end);
        if (n === 0) this.eof = true;
        this.end += n;
      }
    }
    // Small windows (tests use them to force records across buffer ends) read without read-ahead.
    if (!this.eof && this.buf.length >= 2 * TAIL_ROOM) this.#startReadAhead();
    return this.available >= need;
  }

  #startReadAhead(): void {
    const size = this.buf.length;
    if (this.#spare === undefined || this.#spare.length !== size) this.#spare = new Uint8Array(size);
    this.#readAhead = this.#stream.read(this.#spare, TAIL_ROOM, size - TAIL_ROOM).then(
      (n) => ({ n }),
      (err: unknown) => ({ n: 0, err }),
    );
  }

  /** Makes the read-ahead chunk current, with the unconsumed tail moved in front of it. */
  async #takeReadAhead(): Promise<void> {
    const got = await this.#readAhead!;
    this.#readAhead = undefined;
    if (got.err !== undefined) throw got.err;
    const spare = this.#spare!;
    const tail = this.available;
    if (got.n === 0) this.eof = true;
    if (tail <= TAIL_ROOM) {
      const start = TAIL_ROOM - tail;
      spare.set(this.buf.subarray(this.start, this.end), start);
      this.base += this.start - start;
      this.#spare = this.buf;
      this.buf = spare;
      this.start = start;
      this.end = TAIL_ROOM + got.n;
      return;
    }
    // A tail longer than the room in front (a record of over a MiB): append the chunk after it instead.
    this.buf.copyWithin(0, this.start, this.end);
    this.base += this.start;
    this.end -= this.start;
    this.start = 0;
    if (this.end + got.n > this.buf.length) this.#grow(this.end + got.n);
    this.buf.set(spare.subarray(TAIL_ROOM, TAIL_ROOM + got.n), this.end);
    this.end += got.n;
  }

  #grow(need: number): void {
    const grown = new Uint8Array(
      Math.min(Math.max(need, this.buf.length * 2), Math.max(need, this.#maxBuffer)),
    );
    grown.set(this.buf.subarray(0, this.end));
    this.buf = grown;
  }

  /** Closes the input once any read in flight has settled; later calls return the same promise. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#readAhead;
      this.#readAhead = undefined;
      await this.#stream.close();
    })();
    return this.#closing;
  }
}

export function describeFsError(err: unknown): string {
  const code = (err as { code?: string } | null)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'not a directory';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}
