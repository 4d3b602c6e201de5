/**
 * Just enough DNS to give detectors the question of a query (RFC 1035 §4.1): the first name and its type.
 * Bounds-checked, never throws; compression pointers are not followed (a question's name has none in
 * practice), such a name counts as unreadable.
 */
const MAX_NAME = 255;

export interface DnsQuestion {
  name: string;
  qtype: number;
}

/** The question of the DNS query in b[off, end), or null (a response, no question, malformed). */
export function readDnsQuestion(b: Uint8Array, off: number, end: number): DnsQuestion | null {
  if (end - off < 12) return null;
  if ((b[off + 2]! & 0x80) !== 0) return null; // QR: a response
  const qdcount = (b[off + 4]! << 8) | b[off + 5]!;
  if (qdcount === 0) return null;
  let p = off + 12;
  let name = '';
  for (;;) {
    if (p >= end) return null;
    const len = b[p]!;
    if (len === 0) {
      p++;
      break;
    }
    if (len > 63 || p + 1 + len > end) return null;
    if (name.length + len + 1 > MAX_NAME) return null;
    if (name !== '') name += '.';
    for (let i = p + 1; i <= p + len; i++) {
      let c = b[i]!;
      if (c >= 0x41 && c <= 0x5a) c += 0x20;
      name += String.fromCharCode(c);
    }
    p += 1 + len;
  }
  if (p + 2 > end) return null;
  return { name, qtype: (b[p]! << 8) | b[p + 1]! };
}
