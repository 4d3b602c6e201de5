/** IP address text as tshark prints it: dotted quad, and IPv6 in RFC 5952 form. */

export function formatIPv4(b: Uint8Array, o: number): string {
  return `${b[o]!}.${b[o + 1]!}.${b[o + 2]!}.${b[o + 3]!}`;
}

export function formatIPv6(b: Uint8Array, o: number): string {
  // RFC 5952: lower-case hex, no leading zeros, the longest run (first if tied) of two or more zero
  // groups becomes "::", and IPv4-mapped and IPv4-compatible addresses end in dotted-quad form.
  let bestStart = -1;
  let bestLen = 0;
  let runStart = -1;
  for (let g = 0; g < 8; g++) {
    const zero = b[o + 2 * g] === 0 && b[o + 2 * g + 1] === 0;
    if (zero) {
      if (runStart < 0) runStart = g;
      const len = g - runStart + 1;
      if (len > bestLen) {
        bestLen = len;
        bestStart = runStart;
      }
    } else {
      runStart = -1;
    }
  }
  if (bestLen < 2) bestStart = -1;
  // As inet_ntop (and Wireshark) do: exactly six leading zero groups is an IPv4-compatible address
  // (::a.b.c.d, RFC 4291 §2.5.5.1), five then ffff an IPv4-mapped one (::ffff:a.b.c.d).
  if (bestStart === 0 && bestLen === 6) return `::${formatIPv4(b, o + 12)}`;
  const mapped = bestStart === 0 && bestLen === 5 && b[o + 10] === 0xff && b[o + 11] === 0xff;
  if (mapped) return `::ffff:${formatIPv4(b, o + 12)}`;
  let s = '';
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      s += g === 0 ? '::' : ':';
      g += bestLen - 1;
      continue;
    }
    s += ((b[o + 2 * g]! << 8) | b[o + 2 * g + 1]!).toString(16);
    if (g < 7) s += ':';
  }
  return s;
}

const CACHE_SLOTS = 8192; // power of two

/**
 * Address text for the store and the console. Traffic repeats the same few thousand addresses, so text is
 * cached in a direct-mapped table keyed by the address bytes: formatting becomes a compare and a load.
 */
export class AddressTextCache {
  readonly #keys4 = new Float64Array(CACHE_SLOTS).fill(-1);
  readonly #text4: string[] = new Array<string>(CACHE_SLOTS).fill('');
  readonly #keys6 = new Uint8Array(CACHE_SLOTS * 16);
  readonly #used6 = new Uint8Array(CACHE_SLOTS);
  readonly #text6: string[] = new Array<string>(CACHE_SLOTS).fill('');

  ipv4(b: Uint8Array, o: number): string {
    const key = ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
    const slot = (Math.imul(key, 0x9e3779b1) >>> 19) & (CACHE_SLOTS - 1);
    if (this.#keys4[slot] === key) return this.#text4[slot]!;
    const text = formatIPv4(b, o);
    this.#keys4[slot] = key;
    this.#text4[slot] = text;
    return text;
  }

  ipv6(b: Uint8Array, o: number): string {
    let h = 0;
    for (let i = 0; i < 16; i += 4) {
      h = Math.imul(
        h ^ ((b[o + i]! << 24) | (b[o + i + 1]! << 16) | (b[o + i + 2]! << 8) | b[o + i + 3]!),
        0x9e3779b1,
      );
    }
    const slot = (h >>> 19) & (CACHE_SLOTS - 1);
    const k = slot * 16;
    if (this.#used6[slot] === 1) {
      let same = true;
      for (let i = 0; i < 16; i++) {
        if (this.#keys6[k + i] !== b[o + i]) {
          same = false;
          break;
        }
      }
      if (same) return this.#text6[slot]!;
    }
    const text = formatIPv6(b, o);
    for (let i = 0; i < 16; i++) this.#keys6[k + i] = b[o + i]!;
    this.#used6[slot] = 1;
    this.#text6[slot] = text;
    return text;
  }
}

/**
 * Address text (dotted quad, or IPv6 in any RFC 4291 §2.2 form, dotted-quad tail included) → bytes at
 * `out[o..]`: 4 for IPv4, 16 for IPv6. Returns the byte count, or 0 when the text is no address.
 */
export function parseIpAddress(text: string, out: Uint8Array, o: number): 0 | 4 | 16 {
  if (!text.includes(':')) return parseIPv4(text, out, o) ? 4 : 0;
  const gap = text.indexOf('::');
  if (gap !== text.lastIndexOf('::')) return 0;
  const head = gap < 0 ? text : text.slice(0, gap);
  const tail = gap < 0 ? '' : text.slice(gap + 2);
  const words: number[] = [];
  const tailWords: number[] = [];
  if (!ipv6Groups(head, words, gap < 0) || !ipv6Groups(tail, tailWords, true)) return 0;
  const total = words.length + tailWords.length;
  if (gap < 0 ? total !== 8 : total > 7) return 0;
  for (let i = 0; i < 8; i++) {
    const fromTail = i - (8 - tailWords.length);
    const w = i < words.length ? words[i]! : fromTail >= 0 ? tailWords[fromTail]! : 0;
    out[o + 2 * i] = w >>> 8;
    out[o + 2 * i + 1] = w & 0xff;
  }
  return 16;
}

function parseIPv4(text: string, out: Uint8Array, o: number): boolean {
  const parts = text.split('.');
  if (parts.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^[0-9]{1,3}$/.test(p) || Number(p) > 255) return false;
    out[o + i] = Number(p);
  }
  return true;
}

const scratch4 = new Uint8Array(4);

/** Colon-separated hex groups into `words`; the last one may be a dotted quad when `last` (two words). */
function ipv6Groups(text: string, words: number[], last: boolean): boolean {
  if (text === '') return true;
  const groups = text.split(':');
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!;
    if (last && i === groups.length - 1 && g.includes('.')) {
      if (!parseIPv4(g, scratch4, 0)) return false;
      words.push((scratch4[0]! << 8) | scratch4[1]!, (scratch4[2]! << 8) | scratch4[3]!);
    } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) {
      words.push(parseInt(g, 16));
    } else {
      return false;
    }
  }
  return true;
}
