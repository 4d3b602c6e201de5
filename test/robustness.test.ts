/**
 * Hostile input: corpus captures mutated at random (bit flips, truncation, length fields set to huge values)
 * must never make nta throw, hang or grow memory without bound. Seeded, so a failure reproduces:
 * NTA_FUZZ_SEED=<seed> NTA_FUZZ_ITERATIONS=<n> node --test dist/test/robustness.test.js
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NtaError } from '../src/core/errors.js';
import { fileInputs, readCaptures } from '../src/pipeline.js';
import { PacketDecoder } from '../src/decode/decoder.js';
import { DecodedPacket, Network } from '../src/decode/packet.js';
import { openCapture } from '../src/capture/open.js';
import { corpusCaptures } from './support/corpus.js';
import { prng } from '../scripts/fuzz/mutate.js';
import { FlowTable, type FlowState } from '../src/flow/table.js';
import { EndpointText } from '../src/flow/record.js';
import { AppDispatcher } from '../src/app/dispatch.js';

const SEED = Number(process.env['NTA_FUZZ_SEED'] ?? 20261125);
const FILE_ITERATIONS = Number(process.env['NTA_FUZZ_ITERATIONS'] ?? 3000);
/** Captures larger than this are mutated less often: most bugs live in headers, not in bulk. */
const SMALL_FILE = 64 * 1024;
const LINK_TYPES = [0, 1, 9, 12, 14, 101, 105, 108, 113, 127, 228, 229, 239, 276, 147];

function mutate(src: Uint8Array, rand: () => number): Uint8Array {
  const b = new Uint8Array(src);
  const kind = Math.floor(rand() * 4);
  const at = (): number => Math.floor(rand() * b.length);
  if (kind === 0) {
    const flips = 1 + Math.floor(rand() * 16);
    for (let i = 0; i < flips; i++) b[at()]! ^= 1 << Math.floor(rand() * 8);
  } else if (kind === 1) {
    return b.subarray(0, at());
  } else if (kind === 2) {
    // A 32-bit or 16-bit length-like field set to a huge value, either byte order.
    const o = at() & ~3;
    const huge = [0xffffffff, 0x7fffffff, 0x80000000, 0x00ffffff, 0xffff0000][Math.floor(rand() * 5)]!;
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    if (o + 4 <= b.length) view.setUint32(o, huge, rand() < 0.5);
  } else {
    for (let i = 0; i < 8; i++) b[at()] = Math.floor(rand() * 256);
  }
  return b;
}

const work = mkdtempSync(join(tmpdir(), 'nta-fuzz-'));
test.after(() => rmSync(work, { recursive: true, force: true }));
const captures = corpusCaptures().map((c) => ({ ...c, bytes: new Uint8Array(readFileSync(c.path)) }));

test(
  `mutated capture files never throw or hang (${FILE_ITERATIONS} files, seed ${SEED})`,
  { timeout: 600_000 },
  async () => {
    const rand = prng(SEED);
    const small = captures.filter((c) => c.bytes.length <= SMALL_FILE);
    const rssBefore = process.memoryUsage().rss;
    let errors = 0;
    for (let i = 0; i < FILE_ITERATIONS; i++) {
      const pool = rand() < 0.9 ? small : captures;
      const capture = pool[Math.floor(rand() * pool.length)]!;
      const path = join(work, `mutant-${i % 8}.pcap`);
      writeFileSync(path, mutate(capture.bytes, rand));
      try {
        const summary = await readCaptures({ inputs: fileInputs([path]) });
        if (summary.sources.some((s) => s.status === 'error')) errors++;
      } catch (err) {
        assert.ok(err instanceof NtaError, `iteration ${i} (${capture.name}): ${(err as Error).stack}`);
        errors++;
      }
    }
    const growthMB = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    assert.ok(growthMB < 300, `RSS grew by ${growthMB.toFixed(0)} MB over ${FILE_ITERATIONS} files`);
    assert.ok(errors > 0, 'some mutants must be reported as damaged: the mutator is doing nothing');
  },
);

test('mutated frames under every link type decode without throwing or reading past the frame', async () => {
  const rand = prng(SEED + 1);
  const decoder = new PacketDecoder();
  const out = new DecodedPacket();
  let frames = 0;
  for (const capture of captures) {
    let source;
    try {
      source = await openCapture(capture.path);
    } catch {
      continue; // the unreadable-* files
    }
    try {
      for await (const batch of source) {
        for (let i = 0; i < batch.count; i++) {
          const off = batch.offset[i]!;
          const frame = mutate(batch.data.subarray(off, off + batch.caplen[i]!), rand);
          for (const linkType of [batch.linkType[i]!, LINK_TYPES[Math.floor(rand() * LINK_TYPES.length)]!]) {
            decoder.decode(frame, 0, frame.length, linkType, out);
            frames++;
            if (out.network === Network.IPv4 || out.network === Network.IPv6) {
              const len = out.network === Network.IPv4 ? 4 : 16;
              assert.ok(
                out.srcOff + len <= frame.length && out.dstOff + len <= frame.length,
                'address inside frame',
              );
            }
            assert.ok(
              (out.payloadEnd <= frame.length && out.payloadOff <= out.payloadEnd) || out.payloadEnd === 0,
            );
          }
        }
      }
    } catch (err) {
      if (!(err instanceof NtaError)) throw err;
    } finally {
      await source.close();
    }
  }
  assert.ok(frames > 10_000, `decoded ${frames} mutated frames`);
});

test('mutated TCP/UDP payloads through the DNS, TLS and HTTP parsers never throw', async () => {
  const rand = prng(SEED + 2);
  const decoder = new PacketDecoder();
  const out = new DecodedPacket();
  let records = 0;
  let mutated = 0;
  for (let round = 0; round < 3; round++) {
    const app = new AppDispatcher(() => records++, new EndpointText());
    const flows = new FlowTable((f: FlowState) => app.flowEnded(f));
    for (const capture of captures) {
      let source;
      try {
        source = await openCapture(capture.path);
      } catch {
        continue;
      }
      try {
        for await (const batch of source) {
          for (let i = 0; i < batch.count; i++) {
            const off = batch.offset[i]!;
            const frame = new Uint8Array(batch.data.subarray(off, off + batch.caplen[i]!));
            decoder.decode(frame, 0, frame.length, batch.linkType[i]!, out);
            if (out.network !== Network.IPv4 && out.network !== Network.IPv6) continue;
            // Only the payload changes, so the packet still reaches its flow and its parser.
            const len = out.payloadEnd - out.payloadOff;
            if (len > 0 && rand() < 0.5) {
              const n = 1 + Math.floor(rand() * 8);
              for (let k = 0; k < n; k++)
                frame[out.payloadOff + Math.floor(rand() * len)] = Math.floor(rand() * 256);
              mutated++;
            }
            const flow = flows.packet(frame, out, batch.tsSec[i]!, batch.tsNsec[i]!, batch.hasTs[i] === 1);
            if (flow !== null) app.packet(frame, out, flow, flows.isOrig, batch.tsSec[i]!, batch.tsNsec[i]!);
          }
        }
      } catch (err) {
        if (!(err instanceof NtaError)) throw err;
      } finally {
        await source.close();
      }
      flows.flush();
    }
  }
  assert.ok(mutated > 10_000, `mutated ${mutated} payloads`);
  assert.ok(records > 1000, `the parsers still made ${records} records`);
});
