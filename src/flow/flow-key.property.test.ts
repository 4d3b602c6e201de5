/**
 * Property tests (fast-check) for flow identity: the two directions of a conversation are one flow, whatever
 * the addresses and ports, and the Community ID does not depend on which side is asked.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeFrame, eth, ipv4, ipv6, tcp, udp } from '../decode/frame-builder.js';
import { communityId } from './community-id.js';
import { PacketTuple, readTuple } from './key.js';
import { FlowTable, type FlowState } from './table.js';

interface Ends {
  v6: boolean;
  proto: 6 | 17;
  a: Uint8Array;
  b: Uint8Array;
  ap: number;
  bp: number;
}

const ends: fc.Arbitrary<Ends> = fc.boolean().chain((v6) =>
  fc.record({
    v6: fc.constant(v6),
    proto: fc.constantFrom(6 as const, 17 as const),
    a: fc.uint8Array({ minLength: v6 ? 16 : 4, maxLength: v6 ? 16 : 4 }),
    b: fc.uint8Array({ minLength: v6 ? 16 : 4, maxLength: v6 ? 16 : 4 }),
    ap: fc.nat(0xffff),
    bp: fc.nat(0xffff),
  }),
);

/** A frame from `src`:`sport` to `dst`:`dport` (TCP: an ACK, so neither side is taken for the SYN sender). */
function frame(e: Ends, forward: boolean): Uint8Array {
  const [src, dst, sport, dport] = forward ? [e.a, e.b, e.ap, e.bp] : [e.b, e.a, e.bp, e.ap];
  const l4 = e.proto === 6 ? tcp({ sport, dport, flags: 0x010 }) : udp(sport, dport, [1, 2, 3]);
  return e.v6
    ? eth(0x86dd, ipv6({ nextHeader: e.proto, payload: l4, src, dst }))
    : eth(0x0800, ipv4({ proto: e.proto, payload: l4, src: [...src], dst: [...dst] }));
}

function tuple(f: Uint8Array): PacketTuple {
  const t = new PacketTuple();
  assert.ok(readTuple(f, decodeFrame(f).out, t));
  return t;
}

describe('flow key properties', () => {
  it('both directions hash alike and name opposite sides as A', () => {
    fc.assert(
      fc.property(ends, (e) => {
        const there = tuple(frame(e, true));
        const back = tuple(frame(e, false));
        assert.equal(back.hash, there.hash);
        const sameEnd = Buffer.compare(e.a, e.b) === 0 && e.ap === e.bp;
        if (!sameEnd) assert.equal(back.srcIsA, !there.srcIsA);
      }),
      { numRuns: 2000, seed: 20261126 },
    );
  });

  it('the flow table makes one flow of a conversation, with the first sender as originator', () => {
    fc.assert(
      fc.property(ends, fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }), (e, directions) => {
        const ended: FlowState[] = [];
        const table = new FlowTable((f) => ended.push(f));
        directions.forEach((forward, i) => {
          const f = frame(e, forward);
          table.packet(f, decodeFrame(f).out, 1_700_000_000 + i, 0, true);
        });
        table.flush();
        assert.equal(ended.length, 1);
        const flow = ended[0]!;
        assert.equal(flow.origPkts + flow.respPkts, directions.length);
        const sameEnd = Buffer.compare(e.a, e.b) === 0 && e.ap === e.bp;
        if (!sameEnd) assert.equal(flow.origPkts, directions.filter((d) => d === directions[0]).length);
      }),
      { numRuns: 500, seed: 20261126 },
    );
  });

  it('the Community ID is the same from either side', () => {
    fc.assert(
      fc.property(ends, (e) => {
        const words = (x: Uint8Array): Uint32Array => {
          const w = new Uint32Array(4);
          for (let i = 0; i < x.length; i += 4) w[i / 4] = Buffer.from(x).readUInt32BE(i);
          return w;
        };
        const a = words(e.a);
        const b = words(e.b);
        assert.equal(
          communityId(e.v6, e.proto, b, e.bp, a, e.ap),
          communityId(e.v6, e.proto, a, e.ap, b, e.bp),
        );
      }),
      { numRuns: 2000, seed: 20261126 },
    );
  });
});
