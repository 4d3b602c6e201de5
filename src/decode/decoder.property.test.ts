/**
 * Property tests (fast-check) for the decoder's contract on hostile input: it never throws, every offset it
 * returns lies inside the frame, and nothing outside [off, end) changes its answer, so it cannot have read
 * there. Frames are both random bytes and well-formed stacks cut and corrupted at random places, which
 * reach the deeper layers that random bytes rarely do.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PacketDecoder } from './decoder.js';
import { LinkType } from './enums.js';
import { DecodedPacket, Network } from './packet.js';
import { cat, eth, icmp, ipv4, ipv6, optionsHeader, tcp, udp, vlanTag } from './frame-builder.js';

const LINK_TYPES = [...Object.values(LinkType), 0x4242];

const transport = fc.oneof(
  fc.record({ sport: fc.nat(0xffff), dport: fc.nat(0xffff), flags: fc.nat(0xfff) }).map((o) => tcp(o)),
  fc.tuple(fc.nat(0xffff), fc.nat(0xffff), fc.uint8Array({ maxLength: 40 })).map(([s, d, p]) => udp(s, d, p)),
  fc.tuple(fc.nat(255), fc.nat(255)).map(([t, c]) => icmp(t, c)),
);

const network = fc.oneof(
  fc
    .tuple(transport, fc.constantFrom(6, 17, 1, 47), fc.nat(0x1fff), fc.boolean())
    .map(([payload, proto, frag, mf]) => ipv4({ proto, payload, fragOffset: frag * 8, moreFragments: mf })),
  fc
    .tuple(transport, fc.constantFrom(6, 17, 58), fc.boolean())
    .map(([payload, next, ext]) =>
      ext
        ? ipv6({ nextHeader: 0, payload: cat(optionsHeader(next), payload) })
        : ipv6({ nextHeader: next, payload }),
    ),
);

/** A well-formed Ethernet frame (maybe VLAN-tagged) cut short and with a few bytes overwritten. */
const damagedEthernet = fc
  .tuple(network, fc.boolean(), fc.nat(), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 4 }))
  .map(([ip, tagged, cut, edits]) => {
    const type = ip[0]! >> 4 === 6 ? 0x86dd : 0x0800;
    const frame = tagged ? eth(0x8100, cat(vlanTag(7, type), ip)) : eth(type, ip);
    const out = frame.subarray(0, cut % (frame.length + 1));
    for (const [at, v] of edits) if (out.length > 0) out[at % out.length] = v;
    return { linkType: LinkType.ETHERNET as number, frame: out };
  });

const randomFrame = fc.record({
  linkType: fc.constantFrom(...LINK_TYPES),
  frame: fc.uint8Array({ maxLength: 200 }),
});

function snapshot(d: DecodedPacket): Record<string, unknown> {
  return { ...d };
}

/** Decodes `frame` at offset `pad` of a buffer whose other bytes are all `fill`. */
function decodeIn(frame: Uint8Array, linkType: number, pad: number, fill: number): DecodedPacket {
  const buf = new Uint8Array(pad + frame.length + pad).fill(fill);
  buf.set(frame, pad);
  const out = new DecodedPacket();
  new PacketDecoder().decode(buf, pad, pad + frame.length, linkType, out, frame.length);
  // Offsets relative to the frame, so two placements compare equal.
  for (const k of ['srcOff', 'dstOff', 'payloadOff', 'payloadEnd'] as const) if (out[k] !== 0) out[k] -= pad;
  for (const k of ['l3Off', 'l4Off', 'macDstOff', 'macSrcOff'] as const) if (out[k] >= 0) out[k] -= pad;
  return out;
}

function assertInside(d: DecodedPacket, len: number): void {
  const addr = d.network === Network.IPv6 ? 16 : d.network === Network.IPv4 ? 4 : 0;
  if (addr > 0) {
    assert.ok(d.srcOff >= 0 && d.srcOff + addr <= len, `srcOff ${d.srcOff}`);
    assert.ok(d.dstOff >= 0 && d.dstOff + addr <= len, `dstOff ${d.dstOff}`);
  }
  assert.ok(d.payloadOff >= 0 && d.payloadOff <= d.payloadEnd && d.payloadEnd <= len, 'payload range');
  for (const k of ['l3Off', 'l4Off'] as const) assert.ok(d[k] >= -1 && d[k] < Math.max(len, 1), k);
  for (const k of ['macDstOff', 'macSrcOff'] as const) assert.ok(d[k] === -1 || d[k] + 6 <= len, k);
  if (d.srcPort >= 0) assert.ok(d.srcPort <= 0xffff && d.dstPort >= 0 && d.dstPort <= 0xffff, 'ports');
}

describe('decoder properties', () => {
  for (const [name, frames] of [
    ['random bytes under every link type', randomFrame],
    ['Ethernet/VLAN/IP/transport stacks, cut and corrupted', damagedEthernet],
  ] as const) {
    it(`${name}: offsets inside the frame, and bytes around it never change the answer`, () => {
      fc.assert(
        fc.property(frames, fc.nat(64), ({ frame, linkType }, pad) => {
          const a = decodeIn(frame, linkType, pad, 0x00);
          const b = decodeIn(frame, linkType, pad + 3, 0xff);
          assertInside(a, frame.length);
          assert.deepEqual(snapshot(b), snapshot(a));
        }),
        { numRuns: 3000, seed: 20261126 },
      );
    });
  }
});
