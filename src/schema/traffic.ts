/**
 * The `traffic` log: one row per frame whose outermost network layer is IPv4 or IPv6. The seed tool's
 * columns (id, timestamp, src_ip, dst_ip, protocol, src_port, dst_port) keep their meaning, so existing
 * queries keep working; frame, ip_proto, length and capture_id are added.
 */
/** The columns a traffic row fills from its record, in the order both stores write them (capture_id aside). */
export const TRAFFIC_COLUMNS = [
  'timestamp',
  'src_ip',
  'dst_ip',
  'protocol',
  'src_port',
  'dst_port',
  'frame',
  'ip_proto',
  'length',
] as const;

/** Bytes of address storage per row: room for an IPv6 address. */
export const ADDR_BYTES = 16;

/**
 * A batch of traffic rows in binary form, filled on the packet path without allocating and turned into
 * text by the store. All arrays are views over one ArrayBuffer, so a batch moves to the store's worker
 * thread and back without copying (postMessage with a transfer list).
 */
export class TrafficRecords {
  count = 0;
  readonly capacity: number;
  readonly buffer: ArrayBuffer;
  readonly tsSec: Float64Array;
  readonly frame: Uint32Array;
  readonly tsNsec: Uint32Array;
  /** -1 for NULL. */
  readonly srcPort: Int32Array;
  readonly dstPort: Int32Array;
  readonly length: Uint32Array;
  /** -1 when unknown. */
  readonly ipProto: Int16Array;
  readonly hasTs: Uint8Array;
  /** 4 or 6. */
  readonly ipVersion: Uint8Array;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;

  /** Bytes per row over all arrays; a multiple of 8 keeps every view aligned. */
  static readonly ROW_BYTES = 8 + 4 * 5 + 2 + 1 + 1 + 2 * ADDR_BYTES;

  constructor(capacity: number, buffer = new ArrayBuffer(capacity * TrafficRecords.ROW_BYTES)) {
    this.capacity = capacity;
    this.buffer = buffer;
    // Widest elements first, so every view starts at a multiple of its element size.
    let off = 0;
    const take = <T extends { readonly byteLength: number }>(
      View: new (b: ArrayBuffer, byteOffset: number, length: number) => T,
      elementsPerRow = 1,
    ): T => {
      const view = new View(buffer, off, capacity * elementsPerRow);
      off += view.byteLength;
      return view;
    };
    this.tsSec = take(Float64Array);
    this.frame = take(Uint32Array);
    this.tsNsec = take(Uint32Array);
    this.srcPort = take(Int32Array);
    this.dstPort = take(Int32Array);
    this.length = take(Uint32Array);
    this.ipProto = take(Int16Array);
    this.hasTs = take(Uint8Array);
    this.ipVersion = take(Uint8Array);
    this.src = take(Uint8Array, ADDR_BYTES);
    this.dst = take(Uint8Array, ADDR_BYTES);
  }

  get full(): boolean {
    return this.count === this.capacity;
  }
}
