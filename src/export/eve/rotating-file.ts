/**
 * An append-only file of lines rotated by size as logrotate does: when the next line would take the file
 * past `maxBytes`, eve.json becomes eve.json.1, eve.json.1 becomes eve.json.2, …, the oldest beyond `keep`
 * is dropped, and a new eve.json starts. Lines are never split across files (a line longer than the limit
 * gets a file of its own). Writes are asynchronous and in order; the caller awaits one write at a time.
 */
import { closeSync, fstatSync, openSync, write } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { promisify } from 'node:util';

const writeAsync = promisify(write);

export interface RotationOptions {
  /** Rotate before a line would take the file past this size. */
  readonly maxBytes: number;
  /** Rotated files kept besides the current one (eve.json.1 … eve.json.N); 0 keeps none. */
  readonly keep: number;
}

export class RotatingFile {
  readonly path: string;
  readonly #opts: RotationOptions;
  #fd: number | null;
  #size: number;
  #rotations = 0;

  /**
   * Opens (appends to) `path` synchronously, at setup, so a bad path fails before any packet is read:
   * throws the system error.
   */
  constructor(path: string, opts: RotationOptions) {
    this.path = path;
    this.#opts = opts;
    this.#fd = openSync(path, 'a');
    this.#size = fstatSync(this.#fd).size;
  }

  /** Times the file was rotated. */
  get rotations(): number {
    return this.#rotations;
  }

  /** Appends whole lines (each ending in a newline), rotating between lines as needed. */
  async write(lines: readonly string[]): Promise<void> {
    let chunk: string[] = [];
    let chunkBytes = 0;
    for (const line of lines) {
      const bytes = Buffer.byteLength(line);
      if (this.#size + chunkBytes + bytes > this.#opts.maxBytes && this.#size + chunkBytes > 0) {
        await this.#append(chunk);
        chunk = [];
        chunkBytes = 0;
        await this.#rotate();
      }
      chunk.push(line);
      chunkBytes += bytes;
    }
    await this.#append(chunk);
  }

  close(): void {
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }

  async #append(chunk: readonly string[]): Promise<void> {
    if (chunk.length === 0) return;
    this.#fd ??= openSync(this.path, 'a');
    const buf = Buffer.from(chunk.join(''));
    for (let off = 0; off < buf.length;)
      off += (await writeAsync(this.#fd, buf, off, buf.length - off)).bytesWritten;
    this.#size += buf.length;
  }

  /** Rare (once per maxBytes), so the close and open are synchronous; the renames are not. */
  async #rotate(): Promise<void> {
    this.close();
    const { keep } = this.#opts;
    if (keep === 0) {
      await rm(this.path, { force: true });
    } else {
      for (let i = keep - 1; i >= 1; i--) await renameIfPresent(`${this.path}.${i}`, `${this.path}.${i + 1}`);
      await rename(this.path, `${this.path}.1`);
    }
    this.#fd = openSync(this.path, 'a');
    this.#size = 0;
    this.#rotations++;
  }
}

async function renameIfPresent(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
