import type { LiveCounters, PacketObserver } from '../pipeline.js';
import type { PacketBatch } from '../capture/packet-batch.js';
import type { DecodedPacket } from '../decode/packet.js';

/** Several observers as one (packet lines and the live status), or undefined when there are none. */
export function combineObservers(list: readonly (PacketObserver | undefined)[]): PacketObserver | undefined {
  const all = list.filter((o) => o !== undefined);
  if (all.length <= 1) return all[0];
  return {
    packet(batch: PacketBatch, i: number, decoded: DecodedPacket): void {
      for (const o of all) o.packet(batch, i, decoded);
    },
    batchDone(): unknown {
      const pending = all.map((o) => o.batchDone()).filter((p) => p instanceof Promise);
      return pending.length === 0 ? true : Promise.all(pending);
    },
    started(live: LiveCounters): void {
      for (const o of all) o.started?.(live);
    },
  };
}
