import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCapture } from './open.js';
import { PacketBatch } from './packet-batch.js';
import { PcapngWriter } from './pcapng-writer.js';
import { CaptureFileWriter } from './ring-writer.js';

const work = mkdtempSync(join(tmpdir(), 'nta-pcapng-writer-'));
after(() => rmSync(work, { recursive: true, force: true }));

interface Pkt {
  bytes: number[];
  wireLen: number;
  sec: number;
  nsec: number;
  hasTs: boolean;
  linkType: number;
}

function batchOf(pkts: readonly Pkt[]): PacketBatch {
  const b = new PacketBatch(pkts.length);
  b.data = new Uint8Array(pkts.reduce((n, p) => n + p.bytes.length + 3, 0));
  let off = 3; // not 4-aligned on purpose
  pkts.forEach((p, i) => {
    b.data.set(p.bytes, off);
    b.push(off, p.bytes.length, p.wireLen, p.sec, p.nsec, p.hasTs, p.linkType, i + 1);
    off += p.bytes.length + 3;
  });
  return b;
}

async function readBack(path: string): Promise<Pkt[]> {
  const src = await openCapture(path);
  const out: Pkt[] = [];
  try {
    for await (const b of src) {
      for (let i = 0; i < b.count; i++) {
        const off = b.offset[i]!;
        out.push({
          bytes: [...b.data.subarray(off, off + b.caplen[i]!)],
          wireLen: b.wireLen[i]!,
          sec: b.tsSec[i]!,
          nsec: b.tsNsec[i]!,
          hasTs: b.hasTs[i] === 1,
          linkType: b.linkType[i]!,
        });
      }
    }
  } finally {
    await src.close();
  }
  return out;
}

const bytes = (n: number, seed: number): number[] =>
  Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

const SAMPLE: Pkt[] = [
  { bytes: bytes(60, 1), wireLen: 60, sec: 1_700_000_000, nsec: 123_456_789, hasTs: true, linkType: 1 },
  { bytes: bytes(1, 2), wireLen: 1, sec: 1_700_000_000, nsec: 999_999_999, hasTs: true, linkType: 1 },
  { bytes: bytes(41, 3), wireLen: 1514, sec: 4_294_967_295, nsec: 1, hasTs: true, linkType: 101 }, // snapped
  { bytes: bytes(2, 4), wireLen: 2, sec: 0, nsec: 0, hasTs: true, linkType: 113 },
  { bytes: bytes(3, 5), wireLen: 3, sec: 1, nsec: 500, hasTs: true, linkType: 1 },
  { bytes: bytes(77, 6), wireLen: 77, sec: 0, nsec: 0, hasTs: false, linkType: 1 }, // back to an SPB
  { bytes: bytes(65_535 + 3, 7), wireLen: 65_538, sec: 2_000_000_000, nsec: 7, hasTs: true, linkType: 101 },
];

describe('PcapngWriter', () => {
  it('round-trips through the reader: link types, odd lengths, ns times, snapped and timeless packets', async () => {
    const path = join(work, 'round.pcapng');
    const w = PcapngWriter.create(path, { application: 'nta test', ifName: 'eth0', filter: 'ip or not ip' });
    w.writeBatch(batchOf(SAMPLE.slice(0, 4)));
    w.flush();
    w.writeBatch(batchOf(SAMPLE.slice(4)));
    w.close();
    assert.deepEqual(await readBack(path), SAMPLE);
    assert.equal(w.packets, SAMPLE.length);
    assert.equal(w.bytes, statSync(path).size);
    assert.equal(statSync(path).size % 4, 0);
  });

  it('grows its buffer for a block larger than it, and writes in few calls', async () => {
    const path = join(work, 'small-buffer.pcapng');
    const w = PcapngWriter.create(path, { bufferBytes: 64 });
    w.writeBatch(batchOf(SAMPLE));
    w.close();
    assert.deepEqual(await readBack(path), SAMPLE);
  });

  it('is read by tshark and capinfos with the same packets, times and interfaces', () => {
    const path = join(work, 'tshark.pcapng');
    const w = PcapngWriter.create(path, { ifName: 'eth0' });
    w.writeBatch(batchOf(SAMPLE.slice(0, 5)));
    w.close();
    const fields = execFileSync(
      'tshark',
      ['-r', path, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'frame.cap_len'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
    assert.deepEqual(fields.trim().split('\n'), [
      '1700000000.123456789\t60\t60',
      '1700000000.999999999\t1\t1',
      '4294967295.000000001\t1514\t41',
      '0.000000000\t2\t2',
      '1.000000500\t3\t3',
    ]);
    const info = execFileSync('capinfos', ['-c', '-M', path], { encoding: 'utf8' });
    assert.match(info, /Number of packets:\s+5\n/);
  });
});

/** The options of every Interface Statistics Block in a little-endian pcapng file, by option code. */
function statisticsBlocks(path: string): { ifId: number; options: Map<number, bigint> }[] {
  const buf = readFileSync(path);
  const found: { ifId: number; options: Map<number, bigint> }[] = [];
  for (let o = 0; o < buf.length; o += buf.readUInt32LE(o + 4)) {
    if (buf.readUInt32LE(o) !== 5) continue;
    const options = new Map<number, bigint>();
    for (let p = o + 20; buf.readUInt16LE(p) !== 0; p += 4 + buf.readUInt16LE(p + 2)) {
      // Times are two 32-bit words, upper first; counters are one 64-bit integer.
      const code = buf.readUInt16LE(p);
      options.set(
        code,
        code <= 3
          ? (BigInt(buf.readUInt32LE(p + 4)) << 32n) | BigInt(buf.readUInt32LE(p + 8))
          : buf.readBigUInt64LE(p + 4),
      );
    }
    found.push({ ifId: buf.readUInt32LE(o + 8), options });
  }
  return found;
}

describe('Interface Statistics Block', () => {
  it('ends a live capture file with the counters, one block per interface, as capinfos counts them', () => {
    const path = join(work, 'stats.pcapng');
    const w = PcapngWriter.create(path, { ifName: 'eth0' });
    w.writeBatch(batchOf(SAMPLE.slice(0, 3))); // link types 1 and 101: two interfaces
    w.close(false, {
      startedMs: 1_700_000_000_250,
      endedMs: 1_700_000_060_500,
      received: 2_000_000_000_000,
      ifDropped: 3,
      osDropped: 7,
    });
    const blocks = statisticsBlocks(path);
    assert.deepEqual(
      blocks.map((b) => b.ifId),
      [0, 1],
    );
    assert.deepEqual(Object.fromEntries(blocks[0]!.options), {
      2: 1_700_000_000_250_000_000n, // isb_starttime, ns
      3: 1_700_000_060_500_000_000n, // isb_endtime
      4: 2_000_000_000_000n, // isb_ifrecv
      5: 3n, // isb_ifdrop
      7: 7n, // isb_osdrop
      8: 3n, // isb_usrdeliv: packets in the file
    });
    const info = execFileSync('capinfos', [path], { encoding: 'utf8' });
    assert.equal(info.match(/Number of stat entries = 1/g)?.length, 2);
    assert.equal(w.bytes, statSync(path).size);
  });

  it('is not written without counters, nor into ring buffer files', () => {
    const plain = join(work, 'no-stats.pcapng');
    const w = PcapngWriter.create(plain);
    w.writeBatch(batchOf(SAMPLE.slice(0, 1)));
    w.close();
    assert.equal(statisticsBlocks(plain).length, 0);
    const dir = join(work, 'ring-stats');
    execFileSync('mkdir', ['-p', dir]);
    const ring = new CaptureFileWriter(join(dir, 'r.pcapng'), { fileBytes: 1 << 20 });
    ring.writeBatch(batchOf(SAMPLE.slice(0, 1)), 0, 1);
    ring.close({ startedMs: 0, endedMs: 1, received: 1, ifDropped: 0, osDropped: 0 });
    const [file] = readdirSync(dir);
    assert.equal(statisticsBlocks(join(dir, file!)).length, 0);
  });
});

describe('CaptureFileWriter ring buffer', () => {
  it('rotates at the size limit, names files as dumpcap does, and keeps the newest N', async () => {
    const dir = join(work, 'ring');
    execFileSync('mkdir', ['-p', dir]);
    const now = (): Date => new Date(2024, 0, 31, 23, 59, 58);
    const pkts = Array.from({ length: 40 }, (_, i) => ({
      bytes: bytes(100, i),
      wireLen: 100,
      sec: 1_700_000_000 + i,
      nsec: i,
      hasTs: true,
      linkType: 1,
    }));
    // 128 bytes per EPB; the SHB and IDB take about 60: six packets reach 800 bytes.
    const w = new CaptureFileWriter(join(dir, 'out.pcapng'), { fileBytes: 800, files: 3 }, {}, now);
    w.writeBatch(batchOf(pkts), 0, 25);
    w.writeBatch(batchOf(pkts.slice(25)), 0, 15);
    w.close();
    const names = readdirSync(dir).sort();
    assert.deepEqual(names, [
      'out_00005_20240131235958.pcapng',
      'out_00006_20240131235958.pcapng',
      'out_00007_20240131235958.pcapng',
    ]);
    assert.deepEqual(
      w.files,
      names.map((n) => join(dir, n)),
    );
    const back = await Promise.all(names.map((n) => readBack(join(dir, n))));
    assert.deepEqual(
      back.map((b) => b.length),
      [6, 6, 4],
    );
    assert.deepEqual(back.flat(), pkts.slice(24)); // files 1-4 held 24 packets
    for (const n of names) assert.ok(statSync(join(dir, n)).size >= 60);
  });

  it('needs a size or duration to rotate on', () => {
    assert.throws(() => new CaptureFileWriter(join(work, 'x.pcapng'), { files: 2 }), /filesize/);
  });
});
