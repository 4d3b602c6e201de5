import { IP_PROTOCOL_NAMES } from '../schema/ip-protocols.js';

/** Frames and bytes per outer protocol, counted in typed arrays on the packet path and named only when reported. */
export class ProtocolCounts {
  readonly #byIpProto = new Float64Array(256);
  readonly #bytesByIpProto = new Float64Array(256);
  /** Frames and bytes of: IP that could not be decoded, ARP, anything else. */
  readonly #other = new Float64Array(3);
  readonly #otherBytes = new Float64Array(3);

  addIp(ipProto: number, bytes = 0): void {
    if (ipProto >= 0) {
      this.#byIpProto[ipProto]!++;
      this.#bytesByIpProto[ipProto]! += bytes;
    } else this.#addOther(IP_UNKNOWN, bytes);
  }

  addArp(bytes = 0): void {
    this.#addOther(ARP, bytes);
  }

  addNonIp(bytes = 0): void {
    this.#addOther(NON_IP, bytes);
  }

  #addOther(k: number, bytes: number): void {
    this.#other[k]!++;
    this.#otherBytes[k]! += bytes;
  }

  /** Non-zero frame counts by name, largest first: `TCP`, `UDP`, …, `ARP`, `non-IP`. */
  toRecord(): Record<string, number> {
    return this.#named(this.#byIpProto, this.#other);
  }

  /** Bytes on the wire by the same names, for the protocols that have frames (largest first). */
  bytesRecord(): Record<string, number> {
    return this.#named(this.#bytesByIpProto, this.#otherBytes, this.#byIpProto, this.#other);
  }

  #named(
    byProto: Float64Array,
    other: Float64Array,
    present: Float64Array = byProto,
    otherPresent: Float64Array = other,
  ): Record<string, number> {
    const entries: [string, number][] = [];
    for (let p = 0; p < 256; p++) if (present[p]! > 0) entries.push([IP_PROTOCOL_NAMES[p]!, byProto[p]!]);
    for (let k = 0; k < OTHER_NAMES.length; k++)
      if (otherPresent[k]! > 0) entries.push([OTHER_NAMES[k]!, other[k]!]);
    entries.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    return Object.fromEntries(entries);
  }
}

const IP_UNKNOWN = 0;
const ARP = 1;
const NON_IP = 2;
const OTHER_NAMES = ['IP (undecodable)', 'ARP', 'non-IP'] as const;
