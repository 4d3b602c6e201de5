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

const INITIAL_BUFFER = 4 << 20;

/**
 * A sliding window over a byte stream. Parsers look at `buf[start..end)`, advance `start` as they consume,
 * and call `fill` when they need more. `fill` moves the unconsumed tail to the front, so offsets into `buf`
 * handed out before a `fill` are invalid after it.
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
    if (this.start > 0) {
      this.buf.copyWithin(0, this.start, this.end);
      this.base += this.start;
      this.end -= this.start;
      this.start = 0;
    }
    if (need > this.buf.length) {
      const grown = new Uint8Array(Math.min(Math.max(need, this.buf.length * 2), this.#maxBuffer));
      grown.set(this.buf.subarray(0, this.end));
      this.buf = grown;
    }
    while (this.end < need && !this.eof) {
      const n = await this.#stream.read(this.buf, this.end, this.buf.length - this.end);
      if (n === 0) this.eof = true;
      this.end += n;
    }
    return this.available >= need;
  }

  /** Closes the input; later calls return the same promise. */
  close(): Promise<void> {
    this.#closing ??= this.#stream.close();
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
