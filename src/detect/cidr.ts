/**
 * Sets of address ranges (home networks, blocklists, allowlists) with a matcher cheap enough for the packet
 * path: IPv4 prefixes are grouped by length, so a lookup is one masked Set probe per distinct length (a
 * handful in practice); IPv6 prefixes are few and matched byte-wise.
 */
import { NtaError } from '../core/errors.js';
import { parseIPv4, parseIPv6, type AddrKey } from './addr-key.js';

export interface Cidr {
  readonly v6: boolean;
  readonly bits: number;
  /** IPv4: the network value; IPv6: the 16 network bytes. */
  readonly v4: number;
  readonly bytes: Uint8Array | null;
  readonly text: string;
}

/** Parses `a.b.c.d[/n]` or `v6[/n]`; null when it is not one. */
export function parseCidr(text: string): Cidr | null {
  const t = text.trim();
  const slash = t.indexOf('/');
  const addr = slash < 0 ? t : t.slice(0, slash);
  const lenText = slash < 0 ? null : t.slice(slash + 1);
  if (lenText !== null && !/^[0-9]{1,3}$/.test(lenText)) return null;
  const v4 = parseIPv4(addr);
  if (v4 >= 0) {
    const bits = lenText === null ? 32 : Number(lenText);
    if (bits > 32) return null;
    return { v6: false, bits, v4: maskV4(v4, bits), bytes: null, text: `${addr}/${bits}` };
  }
  const b = parseIPv6(addr);
  if (b === null) return null;
  const bits = lenText === null ? 128 : Number(lenText);
  if (bits > 128) return null;
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    b[i] = b[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return { v6: true, bits, v4: 0, bytes: b, text: `${addr}/${bits}` };
}

const maskV4 = (v: number, bits: number): number =>
  bits === 0 ? 0 : (v & (0xffffffff << (32 - bits))) >>> 0;

/** Up to this many IPv4 prefixes are matched by a linear scan (a few compares beat hashing). */
const LINEAR_MAX = 16;

export class CidrSet {
  /** Small sets (home networks): network and mask per prefix, scanned in order. */
  #nets = new Uint32Array(0);
  #masks = new Uint32Array(0);
  #v4Count = 0;
  /** Per IPv4 prefix length present: the set of network values. */
  readonly #v4 = new Map<number, Set<number>>();
  #v4Lengths: number[] = [];
  readonly #v6: Cidr[] = [];
  readonly #v6Cache = new Map<string, boolean>();
  size = 0;

  constructor(cidrs: Iterable<Cidr> = []) {
    for (const c of cidrs) this.add(c);
  }

  add(c: Cidr): void {
    this.size++;
    if (c.v6) {
      this.#v6.push(c);
      this.#v6Cache.clear();
      return;
    }
    if (this.#v4Count < LINEAR_MAX) {
      this.#nets = Uint32Array.of(...this.#nets, c.v4);
      this.#masks = Uint32Array.of(...this.#masks, maskV4(0xffffffff, c.bits));
    }
    this.#v4Count++;
    let set = this.#v4.get(c.bits);
    if (set === undefined) {
      set = new Set();
      this.#v4.set(c.bits, set);
      this.#v4Lengths = [...this.#v4.keys()].sort((a, b) => b - a);
    }
    set.add(c.v4);
  }

  hasV4(v: number): boolean {
    if (this.#v4Count <= LINEAR_MAX) {
      const nets = this.#nets;
      const masks = this.#masks;
      for (let i = 0; i < nets.length; i++) if ((v & masks[i]!) >>> 0 === nets[i]) return true;
      return false;
    }
    for (const bits of this.#v4Lengths) if (this.#v4.get(bits)!.has(maskV4(v, bits))) return true;
    return false;
  }

  /** The longest matching IPv4 prefix as text, or null. */
  matchV4(v: number): string | null {
    for (const bits of this.#v4Lengths) {
      const net = maskV4(v, bits);
      if (this.#v4.get(bits)!.has(net))
        return `${net >>> 24}.${(net >>> 16) & 255}.${(net >>> 8) & 255}.${net & 255}/${bits}`;
    }
    return null;
  }

  /** IPv6 by its text (as AddrKey carries it); results are cached per address, boundedly. */
  hasV6Text(text: string): boolean {
    const cached = this.#v6Cache.get(text);
    if (cached !== undefined) return cached;
    const b = parseIPv6(text);
    const hit = b !== null && this.#v6.some((c) => prefixMatch(c, b));
    if (this.#v6Cache.size >= 4096) this.#v6Cache.clear();
    this.#v6Cache.set(text, hit);
    return hit;
  }

  has(k: AddrKey): boolean {
    return typeof k === 'number' ? this.hasV4(k) : this.hasV6Text(k);
  }

  /** An address given as text (flow records): IPv4 or IPv6. */
  hasText(text: string): boolean {
    const v4 = parseIPv4(text);
    return v4 >= 0 ? this.hasV4(v4) : this.hasV6Text(text);
  }
}

function prefixMatch(c: Cidr, b: Uint8Array): boolean {
  const net = c.bytes!;
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, c.bits - i * 8));
    if (keep === 0) return true;
    const mask = (0xff << (8 - keep)) & 0xff;
    if ((b[i]! & mask) !== net[i]) return false;
  }
  return true;
}

/**
 * Default home networks: RFC 1918, CGNAT (RFC 6598), loopback, link-local (v4 and v6), RFC 4193 ULA and
 * IPv6 loopback.
 */
export const DEFAULT_HOME_NETWORKS = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  'fc00::/7',
  'fe80::/10',
  '::1/128',
] as const;

/** Not a remote party: multicast, broadcast and the unspecified address. */
export const NON_UNICAST = ['224.0.0.0/4', '255.255.255.255/32', '0.0.0.0/32', 'ff00::/8', '::/128'] as const;

export function cidrSetOf(texts: readonly string[]): CidrSet {
  const set = new CidrSet();
  for (const t of texts) {
    const c = parseCidr(t);
    if (c === null) throw new NtaError('NTA_ERR_CONFIG', `not an address or CIDR: ${t}`);
    set.add(c);
  }
  return set;
}
