/**
 * MAC address → organisation, from the IEEE registry as the `oui-data` npm package ships it (MA-L, MA-M and
 * MA-S assignments keyed by 6, 7 or 9 hex digits), read once, on the first lookup, so a run that writes no
 * inventory never pays for it.
 *
 * The 5.6 MB JSON file holds one entry per line, in three runs sorted by key (6, then 7, then 9 digits). It
 * is searched in place: a binary search over its line offsets, and only the entries looked up are decoded.
 * Parsing the whole file took 80–94 ms and about 40 MB, more than the rest of reading a small capture. A
 * file laid out any other way (another oui-data version) is parsed whole instead.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const NEWLINE = 0x0a;
const SPACE = 0x20;
const QUOTE = 0x22;
const KEY_LENGTHS = [6, 7, 9] as const;

export interface Registry {
  /** The entry for a 6, 7 or 9 hex digit prefix (upper case). */
  get(key: string): string | undefined;
}

/** The registry file's path in the installed oui-data package. */
export const registryPath = (): string => createRequire(import.meta.url).resolve('oui-data');

let registry: Registry | null = null;

function load(): Registry {
  if (registry === null) {
    const file = readFileSync(registryPath());
    registry = searchInPlace(file) ?? parsedWhole(file);
  }
  return registry;
}

/** The registry in `file` searched in place, or null when the file is not laid out for that. */
export const searchInPlace = (file: Buffer): Registry | null => SortedLines.of(file);

function parsedWhole(file: Buffer): Registry {
  const entries = JSON.parse(file.toString('utf8')) as Record<string, string>;
  return { get: (key) => (Object.hasOwn(entries, key) ? entries[key] : undefined) };
}

/** The registry's lines (` "KEY": "value",`), each run of one key length in key order. */
class SortedLines implements Registry {
  readonly #file: Buffer;
  /** Offset of each entry line's first byte. */
  readonly #lines: Int32Array;
  /** Per key length: the first and past-the-last line of its run. */
  readonly #runs: Map<number, [number, number]>;

  private constructor(file: Buffer, lines: Int32Array, runs: Map<number, [number, number]>) {
    this.#file = file;
    this.#lines = lines;
    this.#runs = runs;
  }

  /** The index of `file`, or null when its layout is not the one described above. */
  static of(file: Buffer): SortedLines | null {
    const starts: number[] = [];
    for (let i = file.indexOf(NEWLINE) + 1; i > 0 && i < file.length; i = file.indexOf(NEWLINE, i) + 1)
      if (file[i] === SPACE && file[i + 1] === QUOTE) starts.push(i);
    const lines = Int32Array.from(starts);
    const runs = new Map<number, [number, number]>();
    for (let n = 0; n < lines.length; n++) {
      const length = keyLength(file, lines[n]!);
      const run = runs.get(length);
      if (run === undefined) {
        if (!(KEY_LENGTHS as readonly number[]).includes(length)) return null;
        runs.set(length, [n, n + 1]);
      } else if (run[1] === n && compareKeys(file, lines[n - 1]!, lines[n]!, length) < 0) run[1] = n + 1;
      else return null; // a run out of order, or split
    }
    return runs.size === KEY_LENGTHS.length ? new SortedLines(file, lines, runs) : null;
  }

  get(key: string): string | undefined {
    const run = this.#runs.get(key.length);
    if (run === undefined) return undefined;
    const file = this.#file;
    let [lo, hi] = run;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const at = this.#lines[mid]! + 2;
      let c = 0;
      for (let k = 0; k < key.length && c === 0; k++) c = file[at + k]! - key.charCodeAt(k);
      if (c === 0) return this.#value(at + key.length);
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return undefined;
  }

  /** The JSON string after the key that ends at `keyEnd` (`": "…"`), decoded. */
  #value(keyEnd: number): string {
    const file = this.#file;
    const from = file.indexOf(QUOTE, keyEnd + 1);
    let to = file.indexOf(NEWLINE, from);
    if (to < 0) to = file.length;
    while (file[to - 1] !== QUOTE) to--;
    return JSON.parse(file.toString('utf8', from, to)) as string;
  }
}

function keyLength(file: Buffer, line: number): number {
  const end = file.indexOf(QUOTE, line + 2);
  return end < 0 ? -1 : end - line - 2;
}

function compareKeys(file: Buffer, a: number, b: number, length: number): number {
  return file.compare(file, b + 2, b + 2 + length, a + 2, a + 2 + length);
}

/**
 * The organisation (first line of the registry entry) for `mac` (aa:bb:cc:dd:ee:ff); null when the prefix is
 * not assigned, or the address is locally administered (randomised, as phones use per network).
 */
export function macVendor(mac: string): string | null {
  const hex = mac.replaceAll(':', '').toUpperCase();
  if (hex.length !== 12 || (parseInt(hex.slice(0, 2), 16) & 0x02) !== 0) return null;
  const r = load();
  const entry = r.get(hex.slice(0, 9)) ?? r.get(hex.slice(0, 7)) ?? r.get(hex.slice(0, 6));
  if (entry === undefined) return null;
  const nl = entry.indexOf('\n');
  return nl < 0 ? entry : entry.slice(0, nl);
}
