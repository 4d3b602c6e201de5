import { IP_PROTOCOL_NAMES } from '../schema/ip-protocols.js';

/** Frames per outer protocol, counted in typed arrays on the packet path and named only when reported. */
export class ProtocolCounts {
  readonly #byIpProto = new Float64Array(256);
  #ipUnknown = 0;
  #arp = 0;
  #nonIp = 0;

  addIp(ipProto: number): void {
    if (ipProto >= 0) this.#byIpProto[ipProto]!++;
    else this.#ipUnknown++;
  }

  addArp(): void {
    this.#arp++;
  }

  addNonIp(): void {
    this.#nonIp++;
  }

  /** Non-zero counts by name, largest first: `TCP`, `UDP`, …, `ARP`, `non-IP`. */
  toRecord(): Record<string, number> {
    const entries: [string, number][] = [];
    for (let p = 0; p < 256; p++)
      if (this.#byIpProto[p]! > 0) entries.push([IP_PROTOCOL_NAMES[p]!, this.#byIpProto[p]!]);
    if (this.#ipUnknown > 0) entries.push(['IP (undecodable)', this.#ipUnknown]);
    if (this.#arp > 0) entries.push(['ARP', this.#arp]);
    if (this.#nonIp > 0) entries.push(['non-IP', this.#nonIp]);
    entries.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    return Object.fromEntries(entries);
  }
}
