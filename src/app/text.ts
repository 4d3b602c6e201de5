/**
 * Node's native Latin-1 slice, called on any Uint8Array: one string made in C++, instead of one per byte.
 * (Buffer#latin1Slice is not in @types/node; it is what Buffer#toString('latin1') calls.)
 */
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(start: number, end: number): string })
  .latin1Slice;

/** Text of protocol bytes for a log: printable ASCII kept, anything else as \xHH (Zeek's escaping). */
export function bytesText(b: Uint8Array, off: number, end: number): string {
  for (let i = off; i < end; i++) {
    const c = b[i]!;
    if (c < 0x20 || c >= 0x7f || c === 0x5c) return escapedText(b, off, end);
  }
  return latin1Slice.call(b, off, end);
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
