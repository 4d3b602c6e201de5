import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { NtaError } from '../core/errors.js';
import { openCaptureStream, type OpenOptions } from './open.js';
import { MAX_PCAPNG_BLOCK } from './pcapng.js';

// ---- hand-built pcapng ----------------------------------------------------------------------------------

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const pad4 = (n: number): number => (n + 3) & ~3;

/** Fields are [bits, value] pairs written in the given byte order; bits 16, 32 or 64 (signed). */
function fields(le: boolean, ...f: readonly (readonly [16 | 32 | 64, number])[]): Uint8Array {
  const out = new Uint8Array(f.reduce((n, [bits]) => n + bits / 8, 0));
  const dv = new DataView(out.buffer);
  let o = 0;
  for (const [bits, v] of f) {
    if (bits === 16) dv.setUint16(o, v, le);
    else if (bits === 32) dv.setUint32(o, v >>> 0, le);
    else dv.setBigInt64(o, BigInt(v), le);
    o += bits / 8;
  }
  return out;
}

function block(le: boolean, type: number, body: Uint8Array, lengthOverride?: number): Uint8Array {
  const len = lengthOverride ?? 12 + pad4(body.length);
  const out = new Uint8Array(12 + pad4(body.length));
  const dv = new DataView(out.buffer);
  dv.setUint32(0, type, le);
  dv.setUint32(4, len, le);
  out.set(body, 8);
  dv.setUint32(out.length - 4, len, le);
  return out;
}

function opt(le: boolean, code: number, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + pad4(value.length));
  out.set(fields(le, [16, code], [16, value.length]), 0);
  out.set(value, 4);
  return out;
}

const endOpts = (le: boolean): Uint8Array => opt(le, 0, new Uint8Array(0));
const shb = (le: boolean, ...opts: Uint8Array[]): Uint8Array =>
  block(le, 0x0a0d0d0a, concat([fields(le, [32, 0x1a2b3c4d], [16, 1], [16, 0], [64, -1]), ...opts]));
const idb = (le: boolean, linkType: number, snap: number, ...opts: Uint8Array[]): Uint8Array =>
  block(
    le,
    1,
    concat([
      fields(le, [16, linkType], [16, 0], [32, snap]),
      ...opts,
      ...(opts.length > 0 ? [endOpts(le)] : []),
    ]),
  );
const tsresol = (le: boolean, v: number): Uint8Array => opt(le, 9, Uint8Array.of(v));
const tsoffset = (le: boolean, seconds: number): Uint8Array => opt(le, 14, fields(le, [64, seconds]));

/** A 64-bit timestamp in interface units, as [hi, lo]. */
function split64(units: bigint): [number, number] {
  return [Number(units >> 32n), Number(units & 0xffffffffn)];
}

function epb(le: boolean, ifId: number, ts: bigint, data: Uint8Array, wireLen = data.length): Uint8Array {
  const [hi, lo] = split64(ts);
  return block(
    le,
    6,
    concat([fields(le, [32, ifId], [32, hi], [32, lo], [32, data.length], [32, wireLen]), data]),
  );
}

function obsoletePb(
  le: boolean,
  ifId: number,
  ts: bigint,
  data: Uint8Array,
  wireLen = data.length,
): Uint8Array {
  const [hi, lo] = split64(ts);
  return block(
    le,
    2,
    concat([fields(le, [16, ifId], [16, 0], [32, hi], [32, lo], [32, data.length], [32, wireLen]), data]),
  );
}

const spb = (le: boolean, data: Uint8Array, wireLen: number): Uint8Array =>
  block(le, 3, concat([fields(le, [32, wireLen]), data]));

/** Packet bytes that say which packet they are: n, n+1, n+2, ... */
const payload = (n: number, len: number): Uint8Array =>
  Uint8Array.from({ length: len }, (_, i) => (n + i) & 0xff);

// ---- reading -----------------------------------------------------------------------------------------------

interface Frame {
  frame: number;
  sec: number;
  nsec: number;
  hasTs: boolean;
  linkType: number;
  wireLen: number;
  caplen: number;
  bytes: Uint8Array;
}

interface ReadResult {
  frames: Frame[];
  error: NtaError | undefined;
}

/** Feeds `bytes` through a stream in `chunk`-byte pieces, so block boundaries fall anywhere. */
async function readBytes(
  bytes: Uint8Array,
  chunk = bytes.length,
  options: OpenOptions = {},
): Promise<ReadResult> {
  const pieces: Buffer[] = [];
  for (let o = 0; o < bytes.length; o += chunk) pieces.push(Buffer.from(bytes.subarray(o, o + chunk)));
  const frames: Frame[] = [];
  let error: NtaError | undefined;
  const source = await openCaptureStream(Readable.from(pieces), 'mem.pcapng', options);
  try {
    for await (const b of source) {
      for (let i = 0; i < b.count; i++) {
        const off = b.offset[i]!;
        frames.push({
          frame: b.frame[i]!,
          sec: b.tsSec[i]!,
          nsec: b.tsNsec[i]!,
          hasTs: b.hasTs[i] === 1,
          linkType: b.linkType[i]!,
          wireLen: b.wireLen[i]!,
          caplen: b.caplen[i]!,
          bytes: new Uint8Array(b.data.subarray(off, off + b.caplen[i]!)), // a copy: the batch is reused (E5)
        });
      }
    }
  } catch (err) {
    if (!(err instanceof NtaError)) throw err;
    error = err;
  } finally {
    await source.close();
  }
  return { frames, error };
}

async function openError(bytes: Uint8Array): Promise<NtaError> {
  try {
    const source = await openCaptureStream(Readable.from([Buffer.from(bytes)]), 'mem.pcapng');
    await source.close();
  } catch (err) {
    assert.ok(err instanceof NtaError, `expected an NtaError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected open to fail');
}

const times = (r: ReadResult): [number, number][] => r.frames.map((f) => [f.sec, f.nsec]);

// ---- tests -------------------------------------------------------------------------------------------------

describe('PcapngReader', () => {
  it('reads a big-endian section: link type, lengths, bytes and µs timestamps (default if_tsresol)', async () => {
    const le = false;
    const file = concat([
      shb(le),
      idb(le, 1, 0),
      epb(le, 0, 1_700_000_000_123_456n, payload(1, 61), 1514),
      epb(le, 0, 1_700_000_001_000_000n, payload(9, 64)),
    ]);
    const r = await readBytes(file);
    assert.equal(r.error, undefined);
    assert.deepEqual(
      r.frames.map((f) => [f.frame, f.sec, f.nsec, f.hasTs, f.linkType, f.wireLen, f.caplen]),
      [
        [1, 1_700_000_000, 123_456_000, true, 1, 1514, 61],
        [2, 1_700_000_001, 0, true, 1, 64, 64],
      ],
    );
    assert.deepEqual(r.frames[0]!.bytes, payload(1, 61));
    assert.deepEqual(r.frames[1]!.bytes, payload(9, 64));
  });

  it('switches byte order and resets the interface list at every section header', async () => {
    const file = concat([
      shb(true),
      idb(true, 1, 0),
      idb(true, 0, 0),
      epb(true, 1, 5_000_000n, payload(1, 20)),
      shb(false),
      idb(false, 113, 0, tsresol(false, 9)),
      epb(false, 0, 7_000_000_001n, payload(2, 30)),
      shb(true),
      idb(true, 101, 0),
      epb(true, 0, 8_000_000n, payload(3, 40)),
    ]);
    const r = await readBytes(file, 13);
    assert.equal(r.error, undefined);
    assert.deepEqual(
      r.frames.map((f) => [f.frame, f.linkType, f.sec, f.nsec, f.caplen]),
      [
        [1, 0, 5, 0, 20],
        [2, 113, 7, 1, 30],
        [3, 101, 8, 0, 40],
      ],
    );
    assert.deepEqual(r.frames[1]!.bytes, payload(2, 30));
  });

  it('does not carry interfaces over into the next section', async () => {
    const file = concat([
      shb(true),
      idb(true, 1, 0),
      idb(true, 1, 0),
      epb(true, 1, 1n, payload(1, 10)),
      shb(true),
      idb(true, 1, 0),
      epb(true, 1, 2n, payload(2, 10)),
    ]);
    const r = await readBytes(file);
    assert.equal(r.frames.length, 1);
    assert.equal(r.error?.code, 'NTA_ERR_CAPTURE_CORRUPT');
    const at = file.length - epb(true, 1, 2n, payload(2, 10)).length;
    assert.match(r.error.message, new RegExp(`offset ${at}: packet block names interface 1`));
  });

  it('converts if_tsresol 10^-n and 2^-n timestamps exactly', async () => {
    const le = true;
    const file = concat([
      shb(le),
      idb(le, 1, 0, tsresol(le, 9)),
      idb(le, 1, 0, tsresol(le, 3)),
      idb(le, 1, 0, tsresol(le, 0x80 | 20)), // 2^-20 s
      idb(le, 1, 0, tsresol(le, 0x80 | 30)),
      idb(le, 1, 0, tsresol(le, 12)), // picoseconds: exact, beyond 64-bit (tshark overflows here)
      idb(le, 1, 0, tsresol(le, 0x80 | 40)),
      idb(le, 1, 0, tsresol(le, 0)), // whole seconds
      epb(le, 0, 1_767_663_089_500_330_493n, payload(0, 4)),
      epb(le, 1, 1_700_000_000_123n, payload(0, 4)),
      epb(le, 2, 1_700_000_000n * 2n ** 20n + 123_457n, payload(0, 4)),
      epb(le, 3, 1_700_000_000n * 2n ** 30n + 2n ** 30n - 1n, payload(0, 4)),
      epb(le, 4, 1_700_000n * 10n ** 12n + 999_999_999_999n, payload(0, 4)),
      epb(le, 5, 1_700_000n * 2n ** 40n + 2n ** 40n - 1n, payload(0, 4)),
      epb(le, 6, 1_700_000_000n, payload(0, 4)),
    ]);
    const r = await readBytes(file);
    assert.equal(r.error, undefined);
    assert.deepEqual(times(r), [
      [1_767_663_089, 500_330_493],
      [1_700_000_000, 123_000_000],
      [1_700_000_000, 117_737_770], // floor(123457e9 / 2^20), as tshark prints it
      [1_700_000_000, 999_999_999],
      [1_700_000, 999_999_999],
      [1_700_000, 999_999_999],
      [1_700_000_000, 0],
    ]);
  });

  it('adds if_tsoffset seconds, negative ones too', async () => {
    const le = false;
    const file = concat([
      shb(le),
      idb(le, 1, 0, tsoffset(le, 1000)),
      idb(le, 1, 0, tsresol(le, 9), tsoffset(le, -5)),
      epb(le, 0, 1_700_000_000_999_999n, payload(0, 4)),
      epb(le, 1, 1_700_000_000_000_000_001n, payload(0, 4)),
      epb(le, 1, 3_000_000_100n, payload(0, 4)),
    ]);
    const r = await readBytes(file);
    assert.equal(r.error, undefined);
    // Whole seconds plus a positive fraction: (-2, 100) is -1.9999999 s (tshark prints it as -2.000000100).
    assert.deepEqual(times(r), [
      [1_700_001_000, 999_999_000],
      [1_699_999_995, 1],
      [-2, 100],
    ]);
  });

  it('reads Simple Packet Blocks: no timestamp, caplen = min(original length, snap length, block)', async () => {
    const le = true;
    const file = concat([
      shb(le),
      idb(le, 1, 128),
      spb(le, payload(1, 61), 61), // the block holds 64 bytes with padding; the packet is 61
      spb(le, payload(2, 128), 314), // cut by the snap length
      spb(le, payload(3, 60), 100), // the block holds less than both (tshark refuses the file)
      epb(le, 0, 2_000_000n, payload(4, 10)),
      shb(le),
      idb(le, 228, 0),
      spb(le, payload(5, 200), 200), // snap length 0 means no limit
    ]);
    const r = await readBytes(file, 7);
    assert.equal(r.error, undefined);
    assert.deepEqual(
      r.frames.map((f) => [f.frame, f.hasTs, f.linkType, f.wireLen, f.caplen]),
      [
        [1, false, 1, 61, 61],
        [2, false, 1, 314, 128],
        [3, false, 1, 100, 60],
        [4, true, 1, 10, 10],
        [5, false, 228, 200, 200],
      ],
    );
    assert.deepEqual(r.frames[1]!.bytes, payload(2, 128));
    assert.deepEqual(r.frames[4]!.bytes, payload(5, 200));
  });

  it('fails a Simple Packet Block before any interface', async () => {
    const r = await readBytes(concat([shb(true), spb(true, payload(0, 8), 8)]));
    assert.equal(r.error?.code, 'NTA_ERR_CAPTURE_CORRUPT');
    assert.match(
      r.error.message,
      /offset 28: packet block names interface 0, but the section describes 0 interfaces/,
    );
  });

  it('reads obsolete Packet Blocks (type 2)', async () => {
    const le = false;
    const file = concat([
      shb(le),
      idb(le, 0, 0),
      idb(le, 1, 0),
      obsoletePb(le, 1, 5_000_003n, payload(7, 60), 70),
    ]);
    const r = await readBytes(file);
    assert.equal(r.error, undefined);
    assert.deepEqual(
      r.frames.map((f) => [f.frame, f.linkType, f.sec, f.nsec, f.wireLen, f.caplen]),
      [[1, 1, 5, 3000, 70, 60]],
    );
    assert.deepEqual(r.frames[0]!.bytes, payload(7, 60));
  });

  it('skips unknown, statistics, name-resolution, secrets and custom blocks; they are not frames', async () => {
    const le = true;
    const file = concat([
      shb(le),
      block(le, 0x0bad, payload(0, 24)), // custom: tshark 4.0 counts it as a frame, we do not
      idb(le, 1, 0),
      block(le, 4, payload(0, 16)), // NRB
      epb(le, 0, 1n, payload(1, 10)),
      block(le, 5, payload(0, 28)), // ISB
      block(le, 0x0a, payload(0, 12)), // DSB
      block(le, 0x40000bad, payload(0, 40)),
      block(le, 0x12345678, payload(0, 3)), // unknown
      block(le, 0x80000001, new Uint8Array(0)), // local use, empty body
      epb(le, 0, 2n, payload(2, 10)),
    ]);
    const r = await readBytes(file, 5);
    assert.equal(r.error, undefined);
    assert.deepEqual(
      r.frames.map((f) => [f.frame, f.nsec]),
      [
        [1, 1000],
        [2, 2000],
      ],
    );
  });

  it('reads a file with no packets', async () => {
    const le = true;
    const r = await readBytes(concat([shb(le), idb(le, 1, 96), block(le, 5, payload(0, 28))]));
    assert.deepEqual(r, { frames: [], error: undefined });
  });

  it('yields the frames before a block cut short at end of file, then NTA_ERR_CAPTURE_TRUNCATED', async () => {
    const le = true;
    const good = concat([
      shb(le),
      idb(le, 1, 0),
      epb(le, 0, 1n, payload(1, 10)),
      epb(le, 0, 2n, payload(2, 10)),
    ]);
    const last = epb(le, 0, 3n, payload(3, 100));
    for (const cut of [1, 8, 12, 50, last.length - 1]) {
      const r = await readBytes(concat([good, last.subarray(0, cut)]), 16);
      assert.equal(r.frames.length, 2, `cut at ${cut}`);
      assert.equal(r.error?.code, 'NTA_ERR_CAPTURE_TRUNCATED', `cut at ${cut}`);
      assert.match(
        r.error.message,
        new RegExp(`block at offset ${good.length} \\(${cut} of \\d+ bytes\\); 2 frames`),
      );
    }
  });

  it('rejects damaged block lengths with NTA_ERR_CAPTURE_CORRUPT naming the offset, after the frames before', async () => {
    const le = true;
    const good = concat([shb(le), idb(le, 1, 0), epb(le, 0, 1n, payload(1, 10))]);
    const cases: [string, Uint8Array, RegExp][] = [
      ['not a multiple of 4', block(le, 6, payload(0, 32), 42), /invalid length 42/],
      ['shorter than 12', block(le, 6, payload(0, 32), 8), /invalid length 8/],
      ['beyond the block cap', block(le, 6, payload(0, 32), MAX_PCAPNG_BLOCK + 4), /invalid length 16777220/],
      [
        'trailing length mismatch',
        mismatchTrailer(epb(le, 0, 2n, payload(2, 10))),
        /trailing length 99 is not 44/,
      ],
      [
        'caplen beyond the block',
        epb(le, 0, 2n, payload(2, 10)).fill(0xff, 20, 24),
        /captured length 4294967295/,
      ],
      [
        'EPB shorter than its fixed fields',
        block(le, 6, payload(0, 8)),
        /packet block too short \(20 bytes\)/,
      ],
      [
        'IDB shorter than its fixed fields',
        block(le, 1, payload(0, 4)),
        /interface description block too short/,
      ],
      [
        'IDB option overrun',
        idbWithOverrun(le),
        /option at offset \d+ has length 300, more than the block holds/,
      ],
      ['unsupported tsresol', idb(le, 1, 0, tsresol(le, 25)), /unsupported if_tsresol 0x19/],
      ['bad byte-order magic', badSectionMagic(), /unknown byte-order magic 0x11223344/],
    ];
    for (const [what, bad, message] of cases) {
      const r = await readBytes(concat([good, bad, epb(le, 0, 3n, payload(3, 10))]), 11);
      assert.equal(r.frames.length, 1, what);
      assert.equal(r.error?.code, 'NTA_ERR_CAPTURE_CORRUPT', what);
      assert.match(r.error.message, new RegExp(`corrupt pcapng block at offset ${good.length}: `), what);
      assert.match(r.error.message, message, what);
      assert.match(r.error.message, /; 1 frames read before it$/, what);
    }
  });

  it('refuses a file whose first section header has an option overrunning it', async () => {
    const le = true;
    const badShb = block(
      le,
      0x0a0d0d0a,
      concat([
        fields(le, [32, 0x1a2b3c4d], [16, 1], [16, 0], [64, -1]),
        fields(le, [16, 1], [16, 400]),
        payload(0, 8),
      ]),
    );
    const err = await openError(concat([badShb, idb(le, 1, 0), epb(le, 0, 1n, payload(1, 10))]));
    assert.equal(err.code, 'NTA_ERR_CAPTURE_CORRUPT');
    assert.match(
      err.message,
      /^mem\.pcapng: corrupt pcapng block at offset 0: option at offset 24 has length 400/,
    );
  });

  it('refuses unsupported versions and a bad first byte-order magic with NTA_ERR_CAPTURE_FORMAT', async () => {
    const v2 = block(true, 0x0a0d0d0a, fields(true, [32, 0x1a2b3c4d], [16, 2], [16, 0], [64, -1]));
    assert.equal((await openError(v2)).code, 'NTA_ERR_CAPTURE_FORMAT');
    assert.match((await openError(v2)).message, /unsupported pcapng version 2\.0/);
    assert.equal((await openError(badSectionMagic())).code, 'NTA_ERR_CAPTURE_FORMAT');
    const cut = shb(true).subarray(0, 20);
    assert.equal((await openError(cut)).code, 'NTA_ERR_CAPTURE_TRUNCATED');
  });

  it('fills batches to capacity and numbers frames across batches and window refills', async () => {
    const le = true;
    const blocks = [shb(le), idb(le, 1, 0)];
    for (let i = 0; i < 50; i++) blocks.push(epb(le, 0, BigInt(i) * 1_000_001n, payload(i, 30 + i * 37)));
    const file = concat(blocks);
    // A 64-byte starting window must grow for the largest block (1843 bytes); batches hold 7 packets.
    const r = await readBytes(file, 100, { batchCapacity: 7, initialWindow: 64 });
    assert.equal(r.error, undefined);
    assert.deepEqual(
      r.frames.map((f) => f.frame),
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    r.frames.forEach((f, i) => {
      assert.deepEqual(f.bytes, payload(i, 30 + i * 37));
      assert.deepEqual([f.sec, f.nsec], [Math.floor((i * 1_000_001) / 1e6), ((i * 1_000_001) % 1e6) * 1000]);
    });
  });
});

function mismatchTrailer(b: Uint8Array): Uint8Array {
  new DataView(b.buffer, b.byteOffset).setUint32(b.length - 4, 99, true);
  return b;
}

function idbWithOverrun(le: boolean): Uint8Array {
  return block(
    le,
    1,
    concat([fields(le, [16, 1], [16, 0], [32, 0]), fields(le, [16, 2], [16, 300]), payload(0, 8)]),
  );
}

function badSectionMagic(): Uint8Array {
  return block(true, 0x0a0d0d0a, fields(true, [32, 0x11223344], [16, 1], [16, 0], [64, -1]));
}
