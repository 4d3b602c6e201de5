/**
 * Zeek-style connection uids: "C" followed by 96 bits in base62, always 17 digits (Zeek's `C…` uids are
 * 15–18 characters). Made once per flow. Unlike Zeek's, the first 32 bits are the flow's start second and
 * only the other 64 are random: uids then sort by time, so each `uid` index (flows, dns, http, …) grows at
 * its end, in pages the database has cached, instead of at a random page per row — inserting into those
 * indexes while capturing cost more than all of the rest of a log row. 64 random bits per second keep
 * uids unique across sensors. The generator is xoshiro128** seeded from the OS by default; a fixed seed
 * makes uids reproducible (tests, replays that must join with an earlier run).
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

  /**
   * The uid of a flow that started at `startSec` (seconds since 1970): the 96 bits as three 32-bit limbs,
   * divided by 62 limb by limb (no BigInt), zero-padded so that text order is time order; one string made.
   */
  next(startSec: number): string {
    const limbs = this.#limbs;
    limbs[0] = startSec >>> 0;
    limbs[1] = this.#next();
    limbs[2] = this.#next();
    const digits = this.#digits;
    let at = digits.length;
    while (at > 1) {
      let rem = 0;
      for (let i = 0; i < 3; i++) {
        const cur = rem * 0x1_0000_0000 + limbs[i]!; // < 62 · 2^32: exact in a double
        limbs[i] = Math.floor(cur / 62);
        rem = cur - limbs[i]! * 62;
      }
      digits[--at] = ALPHABET.charCodeAt(rem);
    }
    digits[0] = 0x43; // 'C'
    return String.fromCharCode.apply(null, digits as unknown as number[]);
  }
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;
