import { endianness } from 'node:os';
import { NtaError } from '../../core/errors.js';
import { BPF_INSN_BYTES, LIVE_ERR, OfflineFilter, libpcap } from './libpcap.js';

/**
 * A classic BPF program compiled by libpcap (pcap_compile on a pcap_open_dead handle), run in JavaScript.
 *
 * `nta read -f` filters millions of packets; one FFI call per packet (pcap_offline_filter) costs more than
 * the whole decode. libpcap stays the compiler, so a filter means exactly what it means to tcpdump, and this
 * interpreter follows libpcap's bpf_filter() instruction for instruction: loads past the captured bytes
 * reject the packet, division by zero rejects it, shifts of 32 or more give 0. A program using anything else
 * (there is nothing else in classic BPF today) is refused by {@link BpfProgram.from}, and the caller falls back
 * to pcap_offline_filter.
 */

/** Opcodes: class | size | mode, class | op | src, as in <pcap/bpf.h>. */
const Op = {
  LD_W_ABS: 0x20,
  LD_H_ABS: 0x28,
  LD_B_ABS: 0x30,
  LD_W_IND: 0x40,
  LD_H_IND: 0x48,
  LD_B_IND: 0x50,
  LD_W_LEN: 0x80,
  LD_IMM: 0x00,
  LD_MEM: 0x60,
  LDX_IMM: 0x01,
  LDX_MEM: 0x61,
  LDX_W_LEN: 0x81,
  LDX_MSH_B: 0xb1,
  ST: 0x02,
  STX: 0x03,
  ADD_K: 0x04,
  SUB_K: 0x14,
  MUL_K: 0x24,
  DIV_K: 0x34,
  OR_K: 0x44,
  AND_K: 0x54,
  LSH_K: 0x64,
  RSH_K: 0x74,
  NEG: 0x84,
  MOD_K: 0x94,
  XOR_K: 0xa4,
  ADD_X: 0x0c,
  SUB_X: 0x1c,
  MUL_X: 0x2c,
  DIV_X: 0x3c,
  OR_X: 0x4c,
  AND_X: 0x5c,
  LSH_X: 0x6c,
  RSH_X: 0x7c,
  MOD_X: 0x9c,
  XOR_X: 0xac,
  JA: 0x05,
  JEQ_K: 0x15,
  JGT_K: 0x25,
  JGE_K: 0x35,
  JSET_K: 0x45,
  JEQ_X: 0x1d,
  JGT_X: 0x2d,
  JGE_X: 0x3d,
  JSET_X: 0x4d,
  RET_K: 0x06,
  RET_A: 0x16,
  TAX: 0x07,
  TXA: 0x87,
} as const;

const KNOWN_OPS = new Set<number>(Object.values(Op));
const MEM_WORDS = 16; // BPF_MEMWORDS
const JUMPS = new Set<number>([
  Op.JEQ_K,
  Op.JGT_K,
  Op.JGE_K,
  Op.JSET_K,
  Op.JEQ_X,
  Op.JGT_X,
  Op.JGE_X,
  Op.JSET_X,
]);

export class BpfProgram {
  readonly length: number;
  readonly #code: Uint16Array;
  readonly #jt: Uint8Array;
  readonly #jf: Uint8Array;
  readonly #k: Uint32Array;
  readonly #mem = new Uint32Array(MEM_WORDS);

  private constructor(code: Uint16Array, jt: Uint8Array, jf: Uint8Array, k: Uint32Array) {
    this.length = code.length;
    this.#code = code;
    this.#jt = jt;
    this.#jf = jf;
    this.#k = k;
  }

  /**
   * Builds a program from `struct bpf_insn` bytes; null when it holds an instruction this interpreter does not
   * run, a jump out of the program, or a scratch-memory index out of range (as bpf_validate would refuse).
   */
  static from(insns: Uint8Array, littleEndian = endianness() === 'LE'): BpfProgram | null {
    const n = Math.floor(insns.length / BPF_INSN_BYTES);
    if (n === 0) return null;
    const dv = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
    const code = new Uint16Array(n);
    const jt = new Uint8Array(n);
    const jf = new Uint8Array(n);
    const k = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const o = i * BPF_INSN_BYTES;
      code[i] = dv.getUint16(o, littleEndian);
      jt[i] = dv.getUint8(o + 2);
      jf[i] = dv.getUint8(o + 3);
      k[i] = dv.getUint32(o + 4, littleEndian);
      const c = code[i]!;
      if (!KNOWN_OPS.has(c)) return null;
      if (c === Op.JA && i + 1 + k[i]! >= n) return null;
      if (JUMPS.has(c) && i + 1 + Math.max(jt[i]!, jf[i]!) >= n) return null;
      if ((c === Op.LD_MEM || c === Op.LDX_MEM || c === Op.ST || c === Op.STX) && k[i]! >= MEM_WORDS)
        return null;
      if ((c === Op.DIV_K || c === Op.MOD_K) && k[i] === 0) return null;
    }
    const last = code[n - 1];
    if (last !== Op.RET_K && last !== Op.RET_A) return null;
    return new BpfProgram(code, jt, jf, k);
  }

  /**
   * Runs the program over packet bytes p[off .. off + caplen) of `wireLen` bytes on the wire; returns the
   * program's return value (0 = reject, else the snap length to keep), as bpf_filter() does.
   */
  run(p: Uint8Array, off: number, caplen: number, wireLen: number): number {
    const code = this.#code;
    const kk = this.#k;
    const mem = this.#mem;
    let a = 0;
    let x = 0;
    let pc = 0;
    for (;;) {
      const k = kk[pc]!;
      switch (code[pc]) {
        case Op.RET_K:
          return k;
        case Op.RET_A:
          return a;
        case Op.LD_W_ABS:
          if (k > caplen || 4 > caplen - k) return 0;
          a =
            ((p[off + k]! << 24) | (p[off + k + 1]! << 16) | (p[off + k + 2]! << 8) | p[off + k + 3]!) >>> 0;
          break;
        case Op.LD_H_ABS:
          if (k > caplen || 2 > caplen - k) return 0;
          a = (p[off + k]! << 8) | p[off + k + 1]!;
          break;
        case Op.LD_B_ABS:
          if (k >= caplen) return 0;
          a = p[off + k]!;
          break;
        case Op.LD_W_IND: {
          if (k > caplen || x > caplen - k || 4 > caplen - k - x) return 0;
          const o = off + k + x;
          a = ((p[o]! << 24) | (p[o + 1]! << 16) | (p[o + 2]! << 8) | p[o + 3]!) >>> 0;
          break;
        }
        case Op.LD_H_IND: {
          if (k > caplen || x > caplen - k || 2 > caplen - k - x) return 0;
          const o = off + k + x;
          a = (p[o]! << 8) | p[o + 1]!;
          break;
        }
        case Op.LD_B_IND:
          if (k >= caplen || x >= caplen - k) return 0;
          a = p[off + k + x]!;
          break;
        case Op.LD_W_LEN:
          a = wireLen;
          break;
        case Op.LDX_W_LEN:
          x = wireLen;
          break;
        case Op.LDX_MSH_B:
          if (k >= caplen) return 0;
          x = (p[off + k]! & 0xf) << 2;
          break;
        case Op.LD_IMM:
          a = k;
          break;
        case Op.LDX_IMM:
          x = k;
          break;
        case Op.LD_MEM:
          a = mem[k]!;
          break;
        case Op.LDX_MEM:
          x = mem[k]!;
          break;
        case Op.ST:
          mem[k] = a;
          break;
        case Op.STX:
          mem[k] = x;
          break;
        case Op.JA:
          pc += k;
          break;
        case Op.JGT_K:
          pc += a > k ? this.#jt[pc]! : this.#jf[pc]!;
          break;
        case Op.JGE_K:
          pc += a >= k ? this.#jt[pc]! : this.#jf[pc]!;
          break;
        case Op.JEQ_K:
          pc += a === k ? this.#jt[pc]! : this.#jf[pc]!;
          break;
        case Op.JSET_K:
          pc += (a & k) !== 0 ? this.#jt[pc]! : this.#jf[pc]!;
          break;
        case Op.JGT_X:
          pc += a > x ? this.#jt[pc]! : this.#jf[pc]!;
          break;
        case Op.JGE_X:
          pc += a >= x ? this.#jt[pc]! : this.#jf[pc]!;
          break;
        case Op.JEQ_X:
          pc += a === x ? this.#jt[pc]! : this.#jf[pc]!;
          break;
        case Op.JSET_X:
          pc += (a & x) !== 0 ? this.#jt[pc]! : this.#jf[pc]!;
          break;
        case Op.ADD_X:
          a = (a + x) >>> 0;
          break;
        case Op.SUB_X:
          a = (a - x) >>> 0;
          break;
        case Op.MUL_X:
          a = Math.imul(a, x) >>> 0;
          break;
        case Op.DIV_X:
          if (x === 0) return 0;
          a = Math.floor(a / x);
          break;
        case Op.MOD_X:
          if (x === 0) return 0;
          a = a % x;
          break;
        case Op.AND_X:
          a = (a & x) >>> 0;
          break;
        case Op.OR_X:
          a = (a | x) >>> 0;
          break;
        case Op.XOR_X:
          a = (a ^ x) >>> 0;
          break;
        case Op.LSH_X:
          a = x < 32 ? (a << x) >>> 0 : 0;
          break;
        case Op.RSH_X:
          a = x < 32 ? a >>> x : 0;
          break;
        case Op.ADD_K:
          a = (a + k) >>> 0;
          break;
        case Op.SUB_K:
          a = (a - k) >>> 0;
          break;
        case Op.MUL_K:
          a = Math.imul(a, k) >>> 0;
          break;
        case Op.DIV_K:
          a = Math.floor(a / k);
          break;
        case Op.MOD_K:
          a = a % k;
          break;
        case Op.AND_K:
          a = (a & k) >>> 0;
          break;
        case Op.OR_K:
          a = (a | k) >>> 0;
          break;
        case Op.XOR_K:
          a = (a ^ k) >>> 0;
          break;
        case Op.LSH_K:
          a = k < 32 ? (a << k) >>> 0 : 0;
          break;
        case Op.RSH_K:
          a = k < 32 ? a >>> k : 0;
          break;
        case Op.NEG:
          a = -a >>> 0;
          break;
        case Op.TAX:
          x = a;
          break;
        case Op.TXA:
          a = x;
          break;
        default:
          return 0; // refused by from(); unreachable
      }
      pc++;
    }
  }
}

/** Rejects or accepts one packet: p[off .. off + caplen) of `wireLen` bytes on the wire. */
export interface PacketMatcher {
  matches(p: Uint8Array, off: number, caplen: number, wireLen: number): boolean;
  close(): void;
}

/**
 * Compiles `expr` with libpcap for `linkType`. Runs in JavaScript when the program allows (always, for what
 * libpcap emits today); else through pcap_offline_filter, one FFI call per packet. A bad expression throws the
 * one-line NtaError libpcap's message makes.
 */
export function compileMatcher(expr: string, linkType: number, snaplen = 262144): PacketMatcher {
  const offline = new OfflineFilter(expr, linkType, snaplen); // throws on a bad expression
  const prog = BpfProgram.from(offline.instructions());
  if (prog === null) {
    return {
      matches: (p, off, caplen, wireLen) => offline.matches(p.subarray(off, off + caplen), wireLen),
      close: () => offline.close(),
    };
  }
  offline.close();
  return {
    matches: (p, off, caplen, wireLen) => prog.run(p, off, caplen, wireLen) !== 0,
    close: () => {},
  };
}

/** Link types a filter is tried against when no capture tells which one applies. */
const PROBE_LINK_TYPES = [1, 101, 113, 276, 127, 105, 0] as const; // Ethernet, raw IP, SLL, SLL2, radiotap, 802.11, null

/**
 * Checks a filter before any capture is read (`nta read -f`): good when libpcap compiles it for Ethernet or,
 * failing that, for any other common link type; otherwise throws libpcap's complaint for Ethernet.
 */
export function checkFileFilter(expr: string): void {
  libpcap();
  let first: unknown = null;
  for (const linkType of PROBE_LINK_TYPES) {
    try {
      new OfflineFilter(expr, linkType).close();
      return;
    } catch (err) {
      first ??= err;
    }
  }
  if (first instanceof NtaError) throw first;
  throw new NtaError(LIVE_ERR.filter, `bad capture filter '${expr}'`, { cause: first });
}
