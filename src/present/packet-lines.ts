import { AddressTextCache } from '../core/addr.js';
import { TimestampFormatter } from '../core/time.js';
import type { PacketBatch } from '../capture/packet-batch.js';
import { type DecodedPacket, Network } from '../decode/packet.js';
import { IP_PROTOCOL_NAMES } from '../schema/ip-protocols.js';

/**
 * The per-packet console line, `2026-11-25 15:36:15.920320 | TCP | 10.0.0.2:51234 -> 93.184.216.34:443`,
 * collected per batch and written with one call.
 */
export class PacketLinePrinter {
  readonly #time = new TimestampFormatter();
  readonly #addr = new AddressTextCache();
  readonly #write: (text: string) => boolean | Promise<void>;
  #lines = '';

  constructor(write: (text: string) => boolean | Promise<void>) {
    this.#write = write;
  }

  packet(batch: PacketBatch, i: number, d: DecodedPacket): void {
    const ts = batch.hasTs[i] === 1 ? this.#time.format(batch.tsSec[i]!, batch.tsNsec[i]!) : '-';
    const data = batch.data;
    let line: string;
    if (d.network === Network.IPv4 || d.network === Network.IPv6) {
      const v6 = d.network === Network.IPv6;
      const src = v6 ? this.#addr.ipv6(data, d.srcOff) : this.#addr.ipv4(data, d.srcOff);
      const dst = v6 ? this.#addr.ipv6(data, d.dstOff) : this.#addr.ipv4(data, d.dstOff);
      const proto = d.ipProto >= 0 ? IP_PROTOCOL_NAMES[d.ipProto]! : 'IP';
      line =
        d.srcPort >= 0
          ? `${ts} | ${proto} | ${endpoint(src, d.srcPort, v6)} -> ${endpoint(dst, d.dstPort, v6)}`
          : `${ts} | ${proto} | ${src} -> ${dst}`;
    } else {
      line = `${ts} | ${d.network === Network.ARP ? 'ARP' : 'non-IP'} | ${batch.wireLen[i]!} bytes`;
    }
    this.#lines += line + '\n';
  }

  batchDone(): boolean | Promise<void> {
    if (this.#lines.length === 0) return true;
    const text = this.#lines;
    this.#lines = '';
    return this.#write(text);
  }
}

function endpoint(addr: string, port: number, v6: boolean): string {
  return v6 ? `[${addr}]:${port}` : `${addr}:${port}`;
}
