/**
 * The only unchecked reads in nta. Callers check bounds once per header (`end - off >= N`) and then read
 * fields with these; V8 inlines them, so they cost what an indexed load costs.
 */
export const u8 = (b: Uint8Array, o: number): number => b[o]!;
export const u16be = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;
export const u16le = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8);
export const u32be = (b: Uint8Array, o: number): number =>
  ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
export const u32le = (b: Uint8Array, o: number): number =>
  (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
export const u32 = (b: Uint8Array, o: number, littleEndian: boolean): number =>
  littleEndian ? u32le(b, o) : u32be(b, o);
export const u16 = (b: Uint8Array, o: number, littleEndian: boolean): number =>
  littleEndian ? u16le(b, o) : u16be(b, o);

const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(start: number, end: number): string })
  .latin1Slice;

/**
 * The bytes [off, end) as a Latin-1 string, made in one native call (Buffer#latin1Slice, what
 * Buffer#toString('latin1') calls; not in @types/node) on any Uint8Array. The string is flat, unlike one
 * built by concatenation: SQLite binds flat strings without copying them into a flat form first.
 */
export const latin1Text = (b: Uint8Array, off: number, end: number): string => latin1Slice.call(b, off, end);
