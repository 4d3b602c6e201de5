/**
 * `npm run bench:flow-memory`: bytes of memory per live flow in the flow table, and proof that the table's
 * memory is bounded by its cap whatever the input. Feeds N distinct UDP or TCP (SYN) flows, all within one
 * second of packet time so none expires, then measures the heap and typed-array memory the table retains
 * after a full garbage collection. With a cap below N, the oldest flows are evicted and the memory stays at
 * the cap's. Needs --expose-gc (the npm script passes it).
 *
 * Usage: node --expose-gc dist/bench/flow-memory-bench.js [--flows 200000,1000000]
 */
import { parseArgs } from 'node:util';
import { PacketDecoder } from '../src/decode/decoder.js';
import { eth, ipv4, tcp, udp } from '../src/decode/frame-builder.js';
import { DecodedPacket } from '../src/decode/packet.js';
import { FlowTable } from '../src/flow/table.js';

const { values } = parseArgs({ options: { flows: { type: 'string', default: '200000,1000000' } } });
const counts = values.flows.split(',').map(Number);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error('run with node --expose-gc');
  process.exit(2);
}

/** Heap in use plus the memory of typed arrays (the flow table keeps its keys and counters in those). */
function retainedBytes(): number {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const IP_OFF = 14 + 12;
const SPORT_OFF = 14 + 20;

/** A frame whose source address and port are rewritten per flow. */
function template(proto: 'udp' | 'tcp'): Uint8Array {
  const payload =
    proto === 'udp'
      ? udp(40000, 53, new Array<number>(24).fill(0x61))
      : tcp({ sport: 40000, dport: 443, flags: 0x02 });
  return eth(
    0x0800,
    ipv4({ proto: proto === 'udp' ? 17 : 6, src: [10, 0, 0, 1], dst: [10, 255, 0, 1], payload }),
  );
}

interface Row {
  flows: number;
  cap: number;
  proto: string;
  live: number;
  evicted: number;
  bytesPerLiveFlow: number;
  retainedMB: number;
}

function measure(proto: 'udp' | 'tcp', flows: number, cap: number): Row {
  const frame = template(proto);
  const decoder = new PacketDecoder();
  const decoded = new DecodedPacket();
  const before = retainedBytes();
  const table = new FlowTable(() => {}, { maxFlows: cap });
  const sec = 1_764_000_000;
  for (let i = 0; i < flows; i++) {
    // Source 10.x.y.z and port: distinct 5-tuples, 60,000 ports per address.
    const host = Math.floor(i / 60_000) + 1;
    frame[IP_OFF + 1] = (host >>> 16) & 0xff;
    frame[IP_OFF + 2] = (host >>> 8) & 0xff;
    frame[IP_OFF + 3] = host & 0xff;
    const port = 1024 + (i % 60_000);
    frame[SPORT_OFF] = port >>> 8;
    frame[SPORT_OFF + 1] = port & 0xff;
    decoder.decode(frame, 0, frame.length, 1, decoded);
    table.packet(frame, decoded, sec, (i % 1_000_000) * 1000, true);
  }
  const retained = retainedBytes() - before;
  const row: Row = {
    flows,
    cap,
    proto,
    live: table.liveFlows,
    evicted: table.stats.evicted,
    bytesPerLiveFlow: Math.round(retained / table.liveFlows),
    retainedMB: Math.round(retained / 1048576),
  };
  return row;
}

const rows: Row[] = [];
for (const proto of ['udp', 'tcp'] as const)
  for (const n of counts) {
    rows.push(measure(proto, n, n)); // every flow live
    rows.push(measure(proto, n, Math.max(1, Math.floor(n / 4)))); // capped at a quarter: the rest evicted
  }
console.table(rows);
