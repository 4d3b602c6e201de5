import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { NtaError } from '../core/errors.js';
import { expandCaptureArgs, openCapture, openCaptureStream } from './open.js';
import type { PacketSource } from './packet-batch.js';
import { PCAPS_DIR } from '../../test/support/corpus.js';

const corpus = (name: string): string => join(PCAPS_DIR, name);

interface Digest {
  /** One line per frame: number, time, link type, lengths, and a hash of the captured bytes. */
  lines: string[];
  error: NtaError | undefined;
  bytesRead: number;
  frames: number;
}

async function digest(source: PacketSource): Promise<Digest> {
  const lines: string[] = [];
  let error: NtaError | undefined;
  try {
    for await (const b of source) {
      for (let i = 0; i < b.count; i++) {
        const off = b.offset[i]!;
        const h = createHash('sha1')
          .update(b.data.subarray(off, off + b.caplen[i]!))
          .digest('hex');
        lines.push(
          `${b.frame[i]} ${b.hasTs[i]} ${b.tsSec[i]}.${b.tsNsec[i]} ${b.linkType[i]} ${b.wireLen[i]} ${b.caplen[i]} ${h}`,
        );
      }
    }
  } catch (err) {
    if (!(err instanceof NtaError)) throw err;
    error = err;
  } finally {
    await source.close();
  }
  return { lines, error, bytesRead: source.stats.bytesRead, frames: source.stats.frames };
}

/** A classic µs pcap (Ethernet) whose packets have the given times in seconds. */
function pcapBytes(...seconds: number[]): Buffer {
  const hdr = Buffer.alloc(24);
  hdr.writeUInt32LE(0xa1b2c3d4, 0);
  hdr.writeUInt16LE(2, 4);
  hdr.writeUInt16LE(4, 6);
  hdr.writeUInt32LE(65535, 16);
  hdr.writeUInt32LE(1, 20);
  const recs = seconds.map((s) => {
    const r = Buffer.alloc(16 + 14);
    r.writeUInt32LE(s, 0);
    r.writeUInt32LE(14, 8);
    r.writeUInt32LE(14, 12);
    return r;
  });
  return Buffer.concat([hdr, ...recs]);
}

async function rejectsWith(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof NtaError, `expected NtaError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, message);
    assert.ok(!err.message.includes('\n'), 'one line');
    return true;
  });
}

let tmp = '';
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'nta-open-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('openCapture: gzip and streams', () => {
  const samples = [
    'mixed-home-browsing-tls-dns.pcap',
    'pcapng-example-eth-sll.pcapng',
    'nanosecond-big-endian.pcap',
  ];

  for (const name of samples) {
    it(`gzip of ${name} gives the same frames, detected by content not name`, async () => {
      const plain = await digest(await openCapture(corpus(name)));
      const gz = join(tmp, `${name}.data`); // no .gz in the name on purpose
      const compressed = gzipSync(readFileSync(corpus(name)));
      await writeFile(gz, compressed);
      const unzipped = await digest(await openCapture(gz));
      assert.equal(unzipped.error, undefined);
      assert.deepEqual(unzipped.lines, plain.lines);
      assert.equal(unzipped.frames, plain.frames);
      assert.equal(unzipped.bytesRead, compressed.length, 'bytesRead counts compressed bytes');
    });

    it(`a stream (as stdin) of ${name}, plain and gzip, in odd-sized chunks, gives the same frames`, async () => {
      const plain = await digest(await openCapture(corpus(name)));
      const bytes = readFileSync(corpus(name));
      for (const data of [bytes, gzipSync(bytes)]) {
        const chunks: Buffer[] = [];
        for (let o = 0; o < data.length; o += 1021) chunks.push(data.subarray(o, o + 1021));
        const streamed = await digest(await openCaptureStream(Readable.from(chunks), '-'));
        assert.equal(streamed.error, undefined);
        assert.deepEqual(streamed.lines, plain.lines);
      }
    });
  }

  it('corrupt gzip data mid-stream: the good frames, then NTA_ERR_CAPTURE_CORRUPT (not a zlib error)', async () => {
    const name = 'mixed-home-browsing-tls-dns.pcap';
    const plain = await digest(await openCapture(corpus(name)));
    // Stored (level 0) deflate blocks are byte-aligned: 1 header byte, LEN, NLEN = ~LEN. Breaking NLEN of a
    // block in the middle is damage zlib must report there, not garbage it inflates.
    const compressed = gzipSync(readFileSync(corpus(name)), { level: 0 });
    const blocks: number[] = [];
    for (let p = 10; (compressed[p]! & 1) === 0; p += 5 + compressed.readUInt16LE(p + 1)) {
      assert.equal(compressed.readUInt16LE(p + 1) ^ compressed.readUInt16LE(p + 3), 0xffff, 'stored block');
      blocks.push(p);
    }
    assert.ok(blocks.length > 10);
    const mid = blocks[blocks.length >> 1]!;
    compressed.writeUInt16LE(0x1234, mid + 3);
    const path = join(tmp, 'corrupt.pcap.gz');
    await writeFile(path, compressed);
    const r = await digest(await openCapture(path));
    assert.equal(r.error?.code, 'NTA_ERR_CAPTURE_CORRUPT');
    assert.match(
      r.error.message,
      new RegExp(`^${path}: corrupt gzip data after \\d+ bytes of capture \\(zlib: .+\\)$`),
    );
    assert.ok(r.lines.length > 100, `good frames first (${r.lines.length})`);
    assert.ok(r.lines.length < plain.lines.length);
    assert.deepEqual(r.lines, plain.lines.slice(0, r.lines.length));
  });

  it('gzip cut short: the good frames, then NTA_ERR_CAPTURE_TRUNCATED', async () => {
    const name = 'mixed-home-browsing-tls-dns.pcap';
    const plain = await digest(await openCapture(corpus(name)));
    const compressed = gzipSync(readFileSync(corpus(name)));
    const path = join(tmp, 'cut.pcap.gz');
    await writeFile(path, compressed.subarray(0, compressed.length >> 1));
    const r = await digest(await openCapture(path));
    assert.equal(r.error?.code, 'NTA_ERR_CAPTURE_TRUNCATED');
    assert.match(
      r.error.message,
      /^.*cut\.pcap\.gz: (gzip data ends early|capture ends in the middle of a record)/,
    );
    assert.ok(r.lines.length > 100);
    assert.deepEqual(r.lines, plain.lines.slice(0, r.lines.length));
  });
});

describe('openCapture: errors name the path in one line', () => {
  it('missing file', async () => {
    const path = join(tmp, 'nope.pcap');
    await rejectsWith(openCapture(path), 'NTA_ERR_IO', new RegExp(`^${path}: no such file or directory$`));
  });

  it('empty file, short file, not a capture, gzip of something else, a directory', async () => {
    const empty = join(tmp, 'empty.pcap');
    await writeFile(empty, '');
    await rejectsWith(
      openCapture(empty),
      'NTA_ERR_CAPTURE_FORMAT',
      /empty\.pcap: not a capture file \(empty file\)$/,
    );
    const short = join(tmp, 'short.pcap');
    await writeFile(short, 'ab');
    await rejectsWith(
      openCapture(short),
      'NTA_ERR_CAPTURE_FORMAT',
      /short\.pcap: not a capture file \(file only 2 bytes\)$/,
    );
    const text = join(tmp, 'notes.txt');
    await writeFile(text, 'hello, world\n');
    await rejectsWith(
      openCapture(text),
      'NTA_ERR_CAPTURE_FORMAT',
      /notes\.txt: not a capture file \(unknown magic number 0x6c6c6568/,
    );
    const gzText = join(tmp, 'notes.txt.gz');
    await writeFile(gzText, gzipSync('hello, world\n'));
    await rejectsWith(
      openCapture(gzText),
      'NTA_ERR_CAPTURE_FORMAT',
      /not a capture file \(gzip data holding unknown magic/,
    );
    await rejectsWith(openCapture(tmp), 'NTA_ERR_IO', /: is a directory$/);
  });
});

describe('expandCaptureArgs', () => {
  it('keeps - and files as given, in order', async () => {
    const a = join(tmp, 'keep-a.pcap');
    await writeFile(a, pcapBytes(9));
    assert.deepEqual(await expandCaptureArgs([a, '-', a]), [a, '-', a]);
  });

  it('fails on a missing path and on a folder without captures', async () => {
    const missing = join(tmp, 'missing-dir');
    await rejectsWith(
      expandCaptureArgs([missing]),
      'NTA_ERR_IO',
      new RegExp(`^${missing}: no such file or directory$`),
    );
    const dir = join(tmp, 'no-captures');
    await mkdir(join(dir, 'sub'), { recursive: true });
    await writeFile(join(dir, 'readme.md'), '# nothing here\n');
    await writeFile(join(dir, 'sub', 'empty.pcap'), '');
    await writeFile(join(dir, 'sub', 'log.gz'), gzipSync('not a capture'));
    await rejectsWith(
      expandCaptureArgs([dir]),
      'NTA_ERR_CAPTURE_FORMAT',
      new RegExp(`^${dir}: folder holds no capture files`),
    );
  });

  it('expands a folder recursively into its captures, ordered by first packet time, then by path', async () => {
    const dir = join(tmp, 'ordered');
    await mkdir(join(dir, 'deeper', 'deepest'), { recursive: true });
    const put = async (rel: string, data: Uint8Array | string): Promise<string> => {
      const p = join(dir, rel);
      await writeFile(p, data);
      return p;
    };
    const t300 = await put('a-300.pcap', pcapBytes(300, 1));
    const t200 = await put('b-200.pcap', pcapBytes(200));
    const t100gz = await put('deeper/z-100.cap.gz', gzipSync(pcapBytes(100, 500))); // gzip, in a subfolder
    const t200tie = await put('deeper/deepest/a-200.pcap', pcapBytes(200)); // same time as b-200, whose path sorts first
    const none1 = await put('zz-no-packets.pcap', pcapBytes()); // no packet: after the timed ones, by path
    const none2 = await put('deeper/no-packets.pcap', pcapBytes());
    const damaged = await put('m-damaged.pcap', Buffer.concat([pcapBytes(), Buffer.alloc(20, 0xff)])); // kept
    await put('notes.txt', 'not a capture');
    await put('empty.pcap', '');
    await put('deeper/archive.tar.gz', gzipSync('not a capture either'));
    await symlink(dir, join(dir, 'deeper', 'loop')); // a link back up must not loop
    assert.deepEqual(await expandCaptureArgs([dir]), [t100gz, t200, t200tie, t300, none2, damaged, none1]);
  });

  it('orders pcapng files by their first timestamped packet', async () => {
    const dir = join(tmp, 'ng');
    await mkdir(dir);
    // test100 starts with a Simple Packet Block (no time): its first time is 1340954905.298858 (frame 2).
    const names = [
      'pcapng-multi-interface-dns.pcapng', // 1767663089.500330493
      'pcapng-be-multi-if-test100.pcapng', // 1340954905.298858000
      'pcapng-no-packets-test013.pcapng', // no packets
      'http-get-simple.pcap',
    ];
    for (const n of names) await copyFile(corpus(n), join(dir, n));
    const order = (await expandCaptureArgs([dir])).map((p) => p.slice(dir.length + 1));
    const first = (n: string): string =>
      (
        JSON.parse(readFileSync(corpus(n.replace(/\.[^.]+$/, '.summary.json')), 'utf8')) as {
          first_ts: string;
        }
      ).first_ts;
    assert.ok(first('http-get-simple.pcap') < first('pcapng-multi-interface-dns.pcapng'));
    assert.ok(first('pcapng-be-multi-if-test100.pcapng') < first('http-get-simple.pcap'));
    assert.deepEqual(order, [
      'pcapng-be-multi-if-test100.pcapng',
      'http-get-simple.pcap',
      'pcapng-multi-interface-dns.pcapng',
      'pcapng-no-packets-test013.pcapng',
    ]);
  });
});

describe('PacketSource contract (pcap, pcapng, gzip)', () => {
  const cases: [string, () => Promise<PacketSource>][] = [
    ['pcap', () => openCapture(corpus('mixed-home-browsing-tls-dns.pcap'), { batchCapacity: 100 })],
    ['pcapng', () => openCapture(corpus('pcapng-many-interfaces.pcapng'), { batchCapacity: 10 })],
    [
      'gzip pcapng',
      () =>
        openCaptureStream(
          Readable.from([gzipSync(readFileSync(corpus('pcapng-example-eth-sll.pcapng')))]),
          'gz',
          {
            batchCapacity: 16,
          },
        ),
    ],
  ];
  for (const [what, open] of cases) {
    it(`${what}: batches hold in-bounds packets numbered 1.. without gaps; stats agree`, async () => {
      const source = await open();
      let next = 1;
      let batches = 0;
      for await (const b of source) {
        batches++;
        assert.ok(b.count > 0 && b.count <= b.capacity);
        for (let i = 0; i < b.count; i++) {
          assert.equal(b.frame[i], next++);
          assert.ok(b.offset[i]! + b.caplen[i]! <= b.data.length);
          assert.ok(b.hasTs[i] === 0 || b.hasTs[i] === 1);
          assert.ok(b.tsNsec[i]! < 1e9);
        }
      }
      assert.equal(source.stats.frames, next - 1);
      assert.ok(batches > 1);
      assert.ok(source.stats.bytesRead > 0);
      await source.close();
      await source.close(); // closing twice is harmless
    });

    it(`${what}: stopping early and closing releases the input`, async () => {
      const source = await open();
      for await (const b of source) {
        assert.ok(b.count > 0);
        break;
      }
      await source.close();
    });
  }
});
