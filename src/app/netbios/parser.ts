/**
 * NetBIOS name service (RFC 1002 §4.2, UDP 137): the one thing the inventory wants from it, a device's
 * own name and address, as a name registration or refresh announces it or a positive name query response
 * answers it. Only unique names with the workstation (0x00) or server (0x20) suffix are device names; group
 * names (WORKGROUP, __MSBROWSE__) and other services are not. Pure, never throws, bounds-checked.
 */
import { formatIPv4 } from '../../core/addr.js';
import { u16be } from '../../core/bytes.js';
import { bytesText } from '../text.js';

export const PORT_NETBIOS_NS = 137;

const HEADER = 12;
/** A first-level encoded name: length byte 32, 32 letters A–P, then the (usually empty) scope. */
const ENCODED = 32;
const TYPE_NB = 0x0020;
const OPCODE_QUERY = 0;
const OPCODE_REGISTRATION = 5;
const OPCODE_REFRESH = 8;
const OPCODE_REFRESH_ALT = 9;
const SUFFIX_WORKSTATION = 0x00;
const SUFFIX_SERVER = 0x20;
const NB_GROUP = 0x8000;

/** The result of parseNetbiosName: set when it returns true. */
export class NetbiosName {
  name = '';
  ip = '';
}

/** Offset after the name at `p` (encoded or a pointer), or -1. Walks the scope labels, bounded by `end`. */
function skipName(b: Uint8Array, p: number, end: number): number {
  while (p < end) {
    const n = b[p]!;
    if ((n & 0xc0) === 0xc0) return p + 2 <= end ? p + 2 : -1;
    if (n === 0) return p + 1;
    p += 1 + n;
  }
  return -1;
}

/** Decodes the first-level encoded name at `p` (RFC 1001 §14.1); null when it is not one. */
function decodeName(b: Uint8Array, p: number, end: number, out: Uint8Array): boolean {
  if (p + 1 + ENCODED > end || b[p] !== ENCODED) return false;
  for (let i = 0; i < 16; i++) {
    const hi = b[p + 1 + 2 * i]! - 0x41;
    const lo = b[p + 2 + 2 * i]! - 0x41;
    if (hi < 0 || hi > 15 || lo < 0 || lo > 15) return false;
    out[i] = (hi << 4) | lo;
  }
  return true;
}

const raw = new Uint8Array(16);

/** A device name and address from the NBNS message [off, end) into `out`; false when it carries none. */
export function parseNetbiosName(b: Uint8Array, off: number, end: number, out: NetbiosName): boolean {
  if (end - off < HEADER) return false;
  const flags = u16be(b, off + 2);
  const response = (flags & 0x8000) !== 0;
  const opcode = (flags >>> 11) & 0xf;
  const qd = u16be(b, off + 4);
  const an = u16be(b, off + 6);
  const ar = u16be(b, off + 10);
  const announce =
    !response &&
    (opcode === OPCODE_REGISTRATION || opcode === OPCODE_REFRESH || opcode === OPCODE_REFRESH_ALT) &&
    qd >= 1 &&
    ar >= 1;
  const answer = response && opcode === OPCODE_QUERY && (flags & 0xf) === 0 && an >= 1;
  if (!announce && !answer) return false;
  const nameAt = off + HEADER;
  if (!decodeName(b, nameAt, end, raw)) return false;
  let p = skipName(b, nameAt, end);
  if (p < 0) return false;
  if (announce) {
    p = skipName(b, p + 4, end); // the additional record's name (a pointer to the question's)
    if (p < 0) return false;
  }
  if (p + 16 > end || u16be(b, p) !== TYPE_NB || u16be(b, p + 8) < 6) return false;
  const suffix = raw[15]!;
  if ((u16be(b, p + 10) & NB_GROUP) !== 0 || (suffix !== SUFFIX_WORKSTATION && suffix !== SUFFIX_SERVER))
    return false;
  let nameEnd = 15;
  while (nameEnd > 0 && (raw[nameEnd - 1] === 0x20 || raw[nameEnd - 1] === 0)) nameEnd--;
  if (nameEnd === 0) return false;
  out.name = bytesText(raw, 0, nameEnd);
  out.ip = formatIPv4(b, p + 12);
  return out.ip !== '0.0.0.0';
}
