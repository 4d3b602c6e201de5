/**
 * Packets travel from a source to the decoder in batches laid out as parallel typed arrays over one byte
 * buffer, so reading a capture allocates nothing per packet.
 *
 * Ownership (STYLE.md E5): a batch and the bytes in `data` belong to the source and are overwritten when the
 * consumer asks for the next batch. Anything kept longer must be copied.
 */
export const DEFAULT_BATCH_CAPACITY = 4096;

export class PacketBatch {
  /** Bytes holding the packets; packet i is data[offset[i] .. offset[i] + caplen[i]). */
  data: Uint8Array = new Uint8Array(0);
  count = 0;
  readonly capacity: number;
  readonly offset: Uint32Array;
  readonly caplen: Uint32Array;
  /** Length on the wire (`frame.len`); may exceed caplen, and may exceed 65535. */
  readonly wireLen: Uint32Array;
  /** Capture time: whole seconds since the epoch (may be negative in damaged files). */
  readonly tsSec: Float64Array;
  readonly tsNsec: Uint32Array;
  /** 0 when the packet has no timestamp (pcapng Simple Packet Block). */
  readonly hasTs: Uint8Array;
  /** LINKTYPE_* value of the interface the packet came from. */
  readonly linkType: Uint32Array;
  /** 1-based frame number within the source, Wireshark's numbering. */
  readonly frame: Uint32Array;

  constructor(capacity = DEFAULT_BATCH_CAPACITY) {
    this.capacity = capacity;
    this.offset = new Uint32Array(capacity);
    this.caplen = new Uint32Array(capacity);
    this.wireLen = new Uint32Array(capacity);
    this.tsSec = new Float64Array(capacity);
    this.tsNsec = new Uint32Array(capacity);
    this.hasTs = new Uint8Array(capacity);
    this.linkType = new Uint32Array(capacity);
    this.frame = new Uint32Array(capacity);
  }

  get full(): boolean {
    return this.count === this.capacity;
  }

  /** Appends one packet; the caller checks `full` first. */
  push(
    offset: number,
    caplen: number,
    wireLen: number,
    tsSec: number,
    tsNsec: number,
    hasTs: boolean,
    linkType: number,
    frame: number,
  ): void {
    const i = this.count++;
    this.offset[i] = offset;
    this.caplen[i] = caplen;
    this.wireLen[i] = wireLen;
    this.tsSec[i] = tsSec;
    this.tsNsec[i] = tsNsec;
    this.hasTs[i] = hasTs ? 1 : 0;
    this.linkType[i] = linkType;
    this.frame[i] = frame;
  }
}

/** What a capture source tells about itself once it has been opened. */
export interface SourceInfo {
  /** Shown to people and stored in `captures.source`: a path, `-` for stdin, or an interface name. */
  readonly name: string;
  /** `pcap`, `nsecpcap`, `pcapng`, or `live`. */
  readonly format: string;
  /** Size in bytes when known (for progress), else undefined. */
  readonly sizeBytes?: number;
}

/** Running counters a source keeps while it is read. */
export interface SourceStats {
  /** Bytes of the capture consumed so far (compressed bytes for gzip files). */
  bytesRead: number;
  /** Frames delivered. */
  frames: number;
  /** Packets dropped by the kernel / interface, for live sources; 0 for files. */
  dropped: number;
  ifDropped: number;
}

/**
 * A source of packet batches. Iteration ends at the end of the capture; a damaged capture yields every good
 * frame first and then throws an NtaError whose message names the byte offset of the damage.
 */
export interface PacketSource extends AsyncIterable<PacketBatch> {
  readonly info: SourceInfo;
  readonly stats: SourceStats;
  close(): Promise<void>;
}
