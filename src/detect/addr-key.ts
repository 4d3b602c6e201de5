/**
 * Addresses as detectors keep them: an IPv4 address is its 32-bit value (a number key costs no allocation
 * and hashes fast), an IPv6 address its RFC 5952 text. Both are valid Map keys side by side.
 */
import { formatIPv4 } from '../core/addr.js';

export type AddrKey = number | string;

const scratch = new Uint8Array(4);

export function ipv4Text(v: number): string {
  scratch[0] = v >>> 24;
  scratch[1] = (v >>> 16) & 0xff;
  scratch[2] = (v >>> 8) & 0xff;
  scratch[3] = v & 0xff;
  return formatIPv4(scratch, 0);
}

export const addrText = (k: AddrKey): string => (typeof k === 'number' ? ipv4Text(k) : k);

/** The key of an address given as text (log records): IPv4 as its value, anything else as it is. */
export function addrKeyOf(text: string): AddrKey {
  const v4 = parseIPv4(text);
  return v4 >= 0 ? v4 : text;
}

/**
 * Dotted-quad text to its 32-bit value; -1 when the text is not an IPv4 address. Scans char codes: detectors
 * call it for each finished flow's addresses.
 */
export function parseIPv4(text: string): number {
  let v = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++digits > 3) return -1;
      part = part * 10 + (c - 48);
    } else if (c === 46 && digits > 0 && dots < 3) {
      if (part > 255) return -1;
      v = v * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0 || part > 255) return -1;
  return v * 256 + part;
}

/** IPv6 text (any valid form, with an optional dotted-quad tail) to 16 bytes; null when invalid. */
export function parseIPv6(text: string): Uint8Array | null {
  let s = text.toLowerCase();
  const out = new Uint8Array(16);
  const dot = s.lastIndexOf('.');
  let tail: number[] = [];
  if (dot >= 0) {
    const colon = s.lastIndexOf(':');
    const v4 = parseIPv4(s.slice(colon + 1));
    if (colon < 0 || v4 < 0) return null;
    tail = [v4 >>> 16, v4 & 0xffff];
    s = s.slice(0, colon + 1) + '0:0';
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (h: string): number[] | null => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-f]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if (head === null || rest === null) return null;
  const fill = 8 - head.length - rest.length;
  if ((halves.length === 1 && fill !== 0) || (halves.length === 2 && fill < 1)) return null;
  const all = [...head, ...new Array<number>(halves.length === 2 ? fill : 0).fill(0), ...rest];
  if (tail.length === 2) all.splice(6, 2, tail[0]!, tail[1]!);
  for (let g = 0; g < 8; g++) {
    out[2 * g] = all[g]! >>> 8;
    out[2 * g + 1] = all[g]! & 0xff;
  }
  return out;
}

/** A 48-bit MAC address as a number (exact in a double), from 6 bytes at `off`. */
export function macValue(b: Uint8Array, off: number): number {
  return (
    ((b[off]! << 8) | b[off + 1]!) * 4294967296 +
    (((b[off + 2]! << 24) | (b[off + 3]! << 16) | (b[off + 4]! << 8) | b[off + 5]!) >>> 0)
  );
}

/** A group (multicast/broadcast) or all-zero MAC: never a station's own address. */
export function isGroupOrZeroMac(v: number): boolean {
  return v === 0 || (Math.floor(v / 2 ** 40) & 1) === 1;
}

const hex2 = (n: number): string => (n < 16 ? '0' : '') + n.toString(16);

export function macText(v: number): string {
  const hi = Math.floor(v / 4294967296);
  const lo = v - hi * 4294967296;
  return [hi >>> 8, hi & 0xff, lo >>> 24, (lo >>> 16) & 0xff, (lo >>> 8) & 0xff, lo & 0xff]
    .map(hex2)
    .join(':');
}
