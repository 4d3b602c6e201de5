import { latin1Text } from '../core/bytes.js';

/** Text of protocol bytes for a log: printable ASCII kept, anything else as \xHH (Zeek's escaping). */
export function bytesText(b: Uint8Array, off: number, end: number): string {
  for (let i = off; i < end; i++) {
    const c = b[i]!;
    if (c < 0x20 || c >= 0x7f || c === 0x5c) return escapedText(b, off, end);
  }
  return latin1Text(b, off, end);
}

function escapedText(b: Uint8Array, off: number, end: number): string {
  let s = '';
  for (let i = off; i < end; i++) {
    const c = b[i]!;
    s +=
      c >= 0x20 && c < 0x7f && c !== 0x5c ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return s;
}
