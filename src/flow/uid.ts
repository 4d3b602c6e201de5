/**
 * Zeek-style connection uids: "C" followed by 96 random bits in base62 (Zeek's `C…` uids, 15–18
 * characters). Made once per flow. The generator is xoshiro128** seeded from the OS by default; a fixed
 * seed makes uids reproducible (tests, replays that must join with an earlier run).
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export class UidGenerator {
  readonly #s = new Uint32Array(4);
  readonly #limbs = new Uint32Array(3);
  /** 'C' and up to 17 base62 digits (62^17 > 2^96), filled from the end. */
  readonly #digits = new Uint16Array(18);

  constructor(seed?: number) {
    if (seed === undefined) {
      const r = randomBytes(16);
      for (let i = 0; i < 4; i++) this.#s[i] = r.readUInt32LE(i * 4);
    } else {
      // SplitMix32-style expansion of the seed into the four state words.
      let x = seed >>> 0;
      for (let i = 0; i < 4; i++) {
        x = (x + 0x9e3779b9) >>> 0;
        let z = x;
        z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
        z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
        this.#s[i] = (z ^ (z >>> 16)) >>> 0;
      }
    }
    if ((this.#s[0]! | this.#s[1]! | this.#s[2]! | this.#s[3]!) === 0) this.#s[0] = 1;
  }

  #next(): number {
    const s = this.#s;
    const r = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return r;
  }

  /** The 96 random bits as three 32-bit limbs, divided by 62 limb by limb: no BigInt, one string made. */
  next(): string {
    const limbs = this.#limbs;
    limbs[0] = this.#next();
    limbs[1] = this.#next();
    limbs[2] = this.#next();
    const digits = this.#digits;
    let at = digits.length;
    do {
      let rem = 0;
      for (let i = 0; i < 3; i++) {
        const cur = rem * 0x1_0000_0000 + limbs[i]!; // < 62 · 2^32: exact in a double
        limbs[i] = Math.floor(cur / 62);
        rem = cur - limbs[i]! * 62;
      }
      digits[--at] = ALPHABET.charCodeAt(rem);
    } while ((limbs[0]! | limbs[1]! | limbs[2]!) !== 0);
    digits[--at] = 0x43; // 'C'
    return String.fromCharCode.apply(null, digits.subarray(at) as unknown as number[]);
  }
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;
