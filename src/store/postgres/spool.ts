import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CaptureEnd, CaptureStart } from '../../schema/captures.js';
import type { LogStream } from '../../schema/streams.js';
import type { SumsTable } from './copy-text.js';

/**
 * One write to the database. Copies carry their writer and sequence number, which the database records in
 * `ingest_batches` in the same transaction: a batch replayed after an outage (when nobody knows whether
 * its COMMIT arrived) is skipped if it is there already. Capture rows are idempotent by their id.
 */
export type SpoolEntry =
  | { readonly kind: 'start'; readonly id: number; readonly sensor: string; readonly start: CaptureStart }
  | {
      readonly kind: 'copy';
      readonly writer: string;
      readonly seq: number;
      readonly table: 'traffic' | LogStream | 'alerts';
      readonly columns: readonly string[];
      readonly text: string;
      readonly rows: number;
      readonly days: readonly number[];
      /** Traffic, flows and dns: the batch's sums as COPY text per sums table, added in the same transaction. */
      readonly sums?: readonly (readonly [table: SumsTable, text: string])[];
    }
  | { readonly kind: 'finish'; readonly id: number; readonly end: CaptureEnd }
  | {
      readonly kind: 'learned';
      readonly sensor: string;
      readonly updatedAt: string;
      /** detector, key and JSON value text of each entry. */
      readonly rows: readonly (readonly [string, string, string])[];
    };

const OWNER_FILE = 'owner.json';
const ENTRY_FILE = /^[0-9]{12}\.json$/;

interface Owner {
  readonly pid: number;
  readonly db: string;
}

/**
 * A bounded on-disk queue of entries that could not be written while the server was away: one file per
 * entry, named by its order, written to a temporary name and renamed so a crash never leaves half an entry.
 * Each run spools into its own folder under `root`; a folder whose process is gone is taken over by the
 * next run on the same database (see `leftovers`).
 */
export class Spool {
  readonly dir: string;
  readonly #maxBytes: number;
  readonly #db: string;
  readonly #files: { name: string; bytes: number }[] = [];
  #next = 0;
  #bytes = 0;
  #created = false;

  constructor(root: string, db: string, maxBytes: number) {
    this.dir = join(root, randomUUID());
    this.#db = db;
    this.#maxBytes = maxBytes;
  }

  get entries(): number {
    return this.#files.length;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Whether an entry of this size still fits under the bound (an empty spool takes any one entry). */
  fits(bytes: number): boolean {
    return this.#files.length === 0 || this.#bytes + bytes <= this.#maxBytes;
  }

  async append(entry: SpoolEntry, bytes: number): Promise<void> {
    if (!this.#created) {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      writeFileSync(
        join(this.dir, OWNER_FILE),
        JSON.stringify({ pid: process.pid, db: this.#db } satisfies Owner),
      );
      this.#created = true;
    }
    const name = `${String(this.#next++).padStart(12, '0')}.json`;
    const tmp = join(this.dir, `${name}.tmp`);
    await writeFile(tmp, JSON.stringify(entry));
    await rename(tmp, join(this.dir, name));
    this.#files.push({ name, bytes });
    this.#bytes += bytes;
  }

  async peek(): Promise<SpoolEntry | undefined> {
    const first = this.#files[0];
    if (first === undefined) return undefined;
    return JSON.parse(await readFile(join(this.dir, first.name), 'utf8')) as SpoolEntry;
  }

  async shift(): Promise<void> {
    const first = this.#files.shift();
    if (first === undefined) return;
    this.#bytes -= first.bytes;
    await rm(join(this.dir, first.name), { force: true });
  }

  /** Removes the folder once everything in it is in the database. */
  removeIfEmpty(): void {
    if (this.#created && this.#files.length === 0) rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * Spool folders of earlier runs on the same database whose process has ended, each with its entries in
   * order: they were never written (or not known to be), and are replayed before anything new.
   */
  static leftovers(root: string, db: string): { dir: string; files: string[] }[] {
    let names: string[];
    try {
      names = readdirSync(root);
    } catch {
      return [];
    }
    const found: { dir: string; files: string[] }[] = [];
    for (const name of names.sort()) {
      const dir = join(root, name);
      let owner: Owner;
      try {
        if (!statSync(dir).isDirectory()) continue;
        owner = JSON.parse(readFileSync(join(dir, OWNER_FILE), 'utf8')) as Owner;
      } catch {
        continue;
      }
      if (owner.db !== db || isAlive(owner.pid)) continue;
      found.push({
        dir,
        files: readdirSync(dir)
          .filter((f) => ENTRY_FILE.test(f))
          .sort()
          .map((f) => join(dir, f)),
      });
    }
    return found;
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}
