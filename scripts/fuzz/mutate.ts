/**
 * Seeded byte mutations in the spirit of AFL's havoc stage: each call stacks one to four of bit/byte flips,
 * interesting values, arithmetic, range insert/delete/duplicate, splices and length-field overwrites.
 */

/** mulberry32: a tiny seeded PRNG, so a run with the same seed mutates the same way. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INTERESTING_8 = [0, 1, 0x7f, 0x80, 0xff, 0x10, 0x20, 0x40, 0x64] as const;
const INTERESTING_16 = [0, 0x7f, 0x80, 0xff, 0x100, 0x3fff, 0x7fff, 0x8000, 0xffff, 0xc000] as const;
const INTERESTING_32 = [
  0, 0xffffffff, 0x7fffffff, 0x80000000, 0x00ffffff, 0xffff0000, 0x10000, 0x40000,
] as const;

export class Mutator {
  readonly #rand: () => number;
  readonly #maxLen: number;

  constructor(rand: () => number, maxLen: number) {
    this.#rand = rand;
    this.#maxLen = maxLen;
  }

  #int(n: number): number {
    return Math.floor(this.#rand() * n);
  }

  /** A mutant of `src`; `other` is a second corpus entry for splicing. Never returns an empty input. */
  mutate(src: Uint8Array, other: Uint8Array): Uint8Array {
    let b: Uint8Array = src.length > 0 ? new Uint8Array(src) : new Uint8Array([0]);
    const rounds = 1 + this.#int(4);
    for (let r = 0; r < rounds; r++) b = this.#once(b, other);
    if (b.length === 0) b = new Uint8Array([this.#int(256)]);
    return b.length > this.#maxLen ? b.subarray(0, this.#maxLen) : b;
  }

  #once(b: Uint8Array, other: Uint8Array): Uint8Array {
    const n = b.length;
    const at = this.#int(n);
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const le = this.#rand() < 0.5;
    switch (this.#int(12)) {
      case 0:
        b[at]! ^= 1 << this.#int(8);
        return b;
      case 1:
        b[at] = this.#int(256);
        return b;
      case 2:
        b[at] = INTERESTING_8[this.#int(INTERESTING_8.length)]!;
        return b;
      case 3:
        if (at + 2 <= n) view.setUint16(at, INTERESTING_16[this.#int(INTERESTING_16.length)]!, le);
        return b;
      case 4:
        if (at + 4 <= n) view.setUint32(at, INTERESTING_32[this.#int(INTERESTING_32.length)]!, le);
        return b;
      case 5: {
        // Small arithmetic on a byte or a 16-bit word: off-by-one lengths and counts.
        const delta = 1 + this.#int(16);
        const sign = this.#rand() < 0.5 ? -1 : 1;
        if (this.#rand() < 0.5 || at + 2 > n) b[at] = (b[at]! + sign * delta) & 0xff;
        else view.setUint16(at, (view.getUint16(at, le) + sign * delta) & 0xffff, le);
        return b;
      }
      case 6: {
        const len = 1 + this.#int(Math.min(n - at, 64));
        return concat(b.subarray(0, at), b.subarray(at + len));
      }
      case 7: {
        const len = 1 + this.#int(32);
        const ins = new Uint8Array(len);
        if (this.#rand() < 0.5) ins.fill(this.#int(256));
        else for (let i = 0; i < len; i++) ins[i] = this.#int(256);
        return concat(b.subarray(0, at), ins, b.subarray(at));
      }
      case 8: {
        const from = this.#int(n);
        const len = 1 + this.#int(Math.min(n - from, 256));
        return concat(b.subarray(0, at), b.subarray(from, from + len), b.subarray(at));
      }
      case 9: {
        if (other.length === 0) return b;
        const cut = this.#int(other.length);
        return concat(b.subarray(0, at), other.subarray(cut));
      }
      case 10: {
        // A length-like field set to what remains after it, give or take, or to the whole input's length.
        const width = this.#rand() < 0.5 ? 2 : 4;
        if (at + width > n) return b;
        const choices = [
          n - at,
          n - at - width,
          n,
          n - at + 1 + this.#int(8),
          Math.max(0, n - at - 1 - this.#int(8)),
        ];
        const v = choices[this.#int(choices.length)]!;
        if (width === 2) view.setUint16(at, v & 0xffff, le);
        else view.setUint32(at, v >>> 0, le);
        return b;
      }
      default:
        return b.subarray(0, Math.max(1, at));
    }
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
