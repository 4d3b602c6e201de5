/**
 * The TCP reassembler driven with crafted segment sequences: what reaches the sink, in which order, with
 * which gaps, what stays held, and the anomalies counted.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  REASSEMBLY_LIMITS,
  ReassemblyPool,
  TcpReassembler,
  type ReassemblyLimits,
  type StreamSink,
} from './tcp-reassembly.js';

const latin1 = new TextDecoder('latin1');
const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** Records what the reassembler delivers: per direction the bytes, and every call in order. */
class Recorder implements StreamSink {
  readonly events: string[] = [];
  readonly buffers: Uint8Array[] = [];
  readonly times: number[] = [];
  data(b: Uint8Array, off: number, end: number, isOrig: boolean, tsUs: number): void {
    this.events.push(`${isOrig ? 'o' : 'r'}:${latin1.decode(b.subarray(off, end))}`);
    this.buffers.push(b);
    this.times.push(tsUs);
  }
  gap(isOrig: boolean): void {
    this.events.push(`${isOrig ? 'o' : 'r'}:<gap>`);
  }
  /** Delivered text of one direction, gaps shown as `|`. */
  text(isOrig: boolean): string {
    const p = isOrig ? 'o:' : 'r:';
    return this.events
      .filter((e) => e.startsWith(p))
      .map((e) => (e === `${p}<gap>` ? '|' : e.slice(2)))
      .join('');
  }
}

function setup(
  base: number,
  limits: Partial<ReassemblyLimits> = {},
  pool = new ReassemblyPool({ ...REASSEMBLY_LIMITS, ...limits }),
): {
  r: TcpReassembler;
  sink: Recorder;
  pool: ReassemblyPool;
  send: (seq: number, s: string, isOrig?: boolean) => void;
} {
  const sink = new Recorder();
  const r = new TcpReassembler(sink, pool);
  const send = (seq: number, s: string, isOrig = true): void => {
    const b = bytes(`##${s}#`); // the payload sits inside a larger packet buffer
    if (!r.started(isOrig)) r.begin(isOrig, base, seq >>> 0, s.length);
    r.segment(isOrig, seq >>> 0, b, 2, 2 + s.length, seq);
  };
  return { r, sink, pool, send };
}

describe('TCP reassembly', () => {
  it('delivers in-order segments in place, without copying', () => {
    const { r, sink, pool } = setup(100);
    const packet = bytes('xxHELLOyy');
    r.begin(true, 100, 100, 5);
    r.segment(true, 100, packet, 2, 7, 1);
    r.segment(true, 105, packet, 7, 9, 2);
    assert.deepEqual(sink.events, ['o:HELLO', 'o:yy']);
    assert.ok(sink.buffers.every((b) => b === packet));
    assert.equal(r.held + pool.held, 0);
  });

  it('holds early segments until the hole fills, then delivers them with their own times', () => {
    const { r, sink, pool, send } = setup(1000);
    send(1006, 'ghi');
    send(1003, 'def');
    assert.deepEqual(sink.events, []);
    assert.equal(r.held, 6);
    assert.equal(pool.held, 6);
    send(1000, 'abc');
    assert.equal(sink.text(true), 'abcdefghi');
    assert.deepEqual(sink.times, [1000, 1003, 1006]);
    assert.equal(r.held + pool.held, 0);
  });

  it('a first payload segment that arrives after the second is still delivered first', () => {
    const { sink, send } = setup(1); // base: the sequence number after the SYN
    send(6, ' world');
    send(1, 'hello');
    assert.deepEqual(sink.events, ['o:hello', 'o: world']);
  });

  it('drops duplicates, of held and of delivered bytes', () => {
    const { r, sink, pool, send } = setup(0);
    send(4, 'efgh');
    send(4, 'efgh');
    send(0, 'abcd');
    send(0, 'abcd');
    send(2, 'cdef');
    send(8, 'ij');
    assert.equal(sink.text(true), 'abcdefghij');
    assert.equal(r.held, 0);
    assert.equal(pool.overlapMismatch, 0);
  });

  it('overlaps with the same bytes: delivered once, no anomaly', () => {
    const { sink, pool, send } = setup(0);
    send(6, 'ghij');
    send(4, 'efghijkl'); // covers the held segment and extends it on both sides
    send(2, 'cdefg');
    send(0, 'abcdefghijklmn'); // in order, overlapping everything held
    assert.equal(sink.text(true), 'abcdefghijklmn');
    const out: Record<string, number> = {};
    pool.addAnomalies(out);
    assert.deepEqual(out, {});
    assert.equal(pool.held, 0);
  });

  it('overlaps with different bytes: the first bytes win and tcp.overlap_mismatch is counted', () => {
    const { sink, pool, send } = setup(0);
    send(4, 'EFGH');
    send(6, 'xxIJ'); // 'GH' were there first
    send(0, 'abcdzzzzij'); // 'EFGHIJ' held before these
    assert.equal(sink.text(true), 'abcdEFGHIJ');
    const out: Record<string, number> = {};
    pool.addAnomalies(out);
    assert.deepEqual(out, { 'tcp.overlap_mismatch': 2 });
  });

  it('sequence numbers wrap around at 2^32', () => {
    const base = 2 ** 32 - 4;
    const { r, sink, send } = setup(base);
    send(2, 'ghij'); // after the wrap
    send(base + 2, 'cdef'); // across it
    assert.equal(r.held, 8);
    send(base, 'ab');
    send(6, 'k');
    assert.equal(sink.text(true), 'abcdefghijk');
    assert.equal(r.held, 0);
  });

  it('keeps each direction apart', () => {
    const { sink, send } = setup(0);
    send(3, 'DEF', false);
    send(3, 'def', true);
    send(0, 'abc', true);
    send(0, 'ABC', false);
    assert.equal(sink.text(true), 'abcdef');
    assert.equal(sink.text(false), 'ABCDEF');
  });

  it('a hole the peer acknowledged is given up at once', () => {
    const { r, sink, send } = setup(0);
    send(0, 'ab');
    send(5, 'fg');
    send(10, 'kl');
    r.acked(true, 3); // bytes 2..3 lost; 3..5 may still come
    assert.equal(sink.text(true), 'ab|');
    send(3, 'de');
    r.acked(true, 11); // the hole 7..10 is older than the ack: lost
    assert.equal(sink.text(true), 'ab|defg|kl');
    assert.equal(r.held, 0);
    r.acked(true, 20); // nothing held: nothing to give up
    assert.equal(sink.text(true), 'ab|defg|kl');
  });

  it('over the per-flow byte cap, the first hole is given up and counted', () => {
    const { r, sink, pool, send } = setup(0, { flowBytes: 8 });
    send(2, 'cdef');
    send(10, 'klmn');
    assert.equal(sink.events.length, 0);
    send(20, 'uvwxy'); // 13 bytes held: the hole before 'cdef' goes, then the one before 'klmn'
    assert.equal(sink.text(true), '|cdef|klmn');
    assert.equal(r.held, 5);
    const out: Record<string, number> = {};
    pool.addAnomalies(out);
    assert.deepEqual(out, { 'tcp.reassembly_overflow': 2 });
  });

  it('the per-flow cap counts both directions', () => {
    const { sink, send } = setup(0, { flowBytes: 6 });
    send(2, 'cdef', false);
    send(2, 'CDE', true);
    assert.equal(sink.text(true), '|CDE');
    assert.equal(sink.text(false), '');
  });

  it('over the cap across flows, the growing flow gives up its holes', () => {
    const pool = new ReassemblyPool({ ...REASSEMBLY_LIMITS, totalBytes: 10 });
    const a = setup(0, {}, pool);
    const b = setup(0, {}, pool);
    a.send(2, 'cdefgh');
    b.send(2, 'CDEF');
    assert.equal(pool.held, 10);
    b.send(7, 'I');
    assert.equal(b.sink.text(true), '|CDEF');
    assert.equal(a.sink.text(true), '');
    assert.equal(pool.held, 7);
    a.r.release();
    b.r.release();
    assert.equal(pool.held, 0);
  });

  it('over the segment cap, the first hole is given up', () => {
    const { sink, send } = setup(0, { segments: 3 });
    for (const seq of [2, 4, 6, 8]) send(seq, 'x');
    assert.equal(sink.text(true), '|x');
  });

  it('flush gives up every hole: gaps at FIN, RST or the flow end', () => {
    const { r, sink, pool, send } = setup(0);
    send(0, 'ab');
    send(4, 'ef');
    send(8, 'ij');
    send(3, 'DE', false);
    r.flush();
    assert.deepEqual(sink.events, ['o:ab', 'o:<gap>', 'o:ef', 'o:<gap>', 'o:ij', 'r:<gap>', 'r:DE']);
    assert.equal(r.held + pool.held, 0);
  });

  it('release drops held bytes undelivered', () => {
    const { r, sink, pool, send } = setup(0);
    send(4, 'efgh');
    r.release();
    send(0, 'abcd');
    assert.equal(sink.text(true), 'abcd');
    assert.equal(pool.held, 0);
  });

  it('a stream starts at its base, or at its first segment when the base cannot be right', () => {
    const ahead = setup(100);
    ahead.send(105, 'fgh'); // 5 bytes after the base: held for them
    assert.equal(ahead.sink.events.length, 0);
    const behind = setup(100);
    behind.send(90, 'abc'); // wholly before the base: the base is wrong
    assert.equal(behind.sink.text(true), 'abc');
    const far = setup(100);
    far.send(100 + REASSEMBLY_LIMITS.flowBytes, 'xyz'); // beyond anything that could be held
    assert.equal(far.sink.text(true), 'xyz');
    const across = setup(100);
    across.send(98, 'abcd'); // starts before the base and runs past it: cut at the base
    assert.equal(across.sink.text(true), 'cd');
  });

  it('any permutation of a stream cut into segments, with repeats, yields the stream', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 3000 }),
        fc.array(fc.nat(3000), { maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 60 }),
        fc.array(fc.tuple(fc.nat(3000), fc.nat(200)), { maxLength: 10 }),
        fc.nat(2 ** 32 - 1),
        (stream, cuts, keys, repeats, base) => {
          const points = [...new Set([0, ...cuts.map((c) => c % stream.length), stream.length])].sort(
            (a, b) => a - b,
          );
          const segments = points.slice(1).map((e, i) => [points[i]!, e] as const);
          // Repeats: more segments over any stretch of the same bytes (retransmissions that overlap).
          for (const [from, n] of repeats) {
            const s = from % stream.length;
            segments.push([s, Math.min(stream.length, s + 1 + n)]);
          }
          const order = segments
            .map((seg, i) => ({ seg, key: keys[i % Math.max(1, keys.length)] ?? 0, i }))
            .sort((a, b) => a.key - b.key || a.i - b.i);
          const pool = new ReassemblyPool();
          const sink = new Recorder();
          const r = new TcpReassembler(sink, pool);
          r.begin(true, base, base, 1);
          for (const { seg } of order) {
            const [from, to] = seg;
            r.segment(true, (base + from) >>> 0, stream.slice(from, to), 0, to - from, from);
          }
          assert.equal(sink.text(true), latin1.decode(stream));
          assert.equal(pool.held, 0);
          assert.equal(pool.overlapMismatch, 0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
