/**
 * Every capture of the shared corpus against tshark's reference (`NAME.packets.tsv`, `NAME.summary.json`):
 * the same frames, wire and captured lengths, link types and timestamps, to the nanosecond.
 *
 * The corpus is found through NTA_CORPUS, else `../shared/corpus` from the repository root (the directory
 * the tests run from).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { NtaError } from '../core/errors.js';
import { openCapture } from './open.js';
import { PCAP_MAGIC } from './pcap.js';
import { PCAPS_DIR, corpusCaptures, referenceRows, referenceSummary } from '../../test/support/corpus.js';

/** tshark's `link` column (first element of frame.protocols) → the LINKTYPE_* values it stands for. */
const LINK_TYPES: Record<string, readonly number[]> = {
  eth: [1],
  sll: [113, 276],
  null: [0],
  raw: [101, 12, 14],
  ip: [228],
  ipv6: [229],
  radiotap: [127],
  ppp: [9, 50, 204],
  nflog: [239],
  netlink: [253],
};

/**
 * frame.time_epoch as tshark 4.0 prints it from its (secs, nsecs) pair, nsecs being a signed 32-bit int:
 * nine digits when 0 <= nsecs < 10^9, more digits when nsecs >= 10^9 (printed literally), and a minus sign
 * in front of the seconds when nsecs is negative. Only the first case denotes the instant it seems to.
 */
function tsharkEpoch(sec: number, nsec: number): string {
  if (sec < 0) {
    // tshark 4.0 prints a pcapng time before 1970 as its raw 64-bit microsecond count, unsigned; nta reads
    // the count signed (see pcapng.ts). Rebuild tshark's text from our value.
    const micros = (1n << 64n) + BigInt(sec) * 1_000_000n + BigInt(Math.floor(nsec / 1000));
    return `${micros / 1_000_000n}.${String(micros % 1_000_000n).padStart(6, '0')}${String(nsec % 1000).padStart(3, '0')}`;
  }
  return nsec < 0 ? `-${sec}.${String(-nsec).padStart(9, '0')}` : `${sec}.${String(nsec).padStart(9, '0')}`;
}

/** The raw (seconds, fraction) fields of each record of a classic pcap, and the fraction's unit in ns. */
function rawPcapTimes(bytes: Uint8Array): { sec: number; frac: number; nsPerFrac: number }[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = dv.getUint32(0, true);
  const le = magic === PCAP_MAGIC.microLE || magic === PCAP_MAGIC.nanoLE || magic === PCAP_MAGIC.kuznetsovLE;
  const nsPerFrac = magic === PCAP_MAGIC.nanoLE || magic === PCAP_MAGIC.nanoBE ? 1 : 1000;
  const hdr = magic === PCAP_MAGIC.kuznetsovLE || magic === PCAP_MAGIC.kuznetsovBE ? 24 : 16;
  const out: { sec: number; frac: number; nsPerFrac: number }[] = [];
  for (let o = 24; o + hdr <= bytes.length; o += hdr + dv.getUint32(o + 8, le)) {
    out.push({ sec: dv.getUint32(o, le), frac: dv.getUint32(o + 4, le), nsPerFrac });
  }
  return out;
}

const captures = corpusCaptures();

describe('corpus: frames, lengths and timestamps match tshark', () => {
  it('holds the 112 captures the README lists', () => {
    assert.equal(captures.length, 112);
  });

  for (const capture of captures) {
    const { path, isPcapng } = capture;
    const file = basename(path);
    it(file, async (t) => {
      const bytes = readFileSync(path);
      const summary = referenceSummary(capture);
      // Custom-block rows (tshark 4.0 lists them as frames) are dropped and the rest renumbered.
      const ref = referenceRows(capture).map((r) => ({
        ...r,
        frameLen: Number(r.frame_len),
        capLen: Number(r.cap_len),
      }));
      const raw = isPcapng ? undefined : rawPcapTimes(bytes);

      let frames = 0;
      let error: NtaError | undefined;
      let literalFractions = 0;
      try {
        const source = await openCapture(path);
        try {
          for await (const b of source) {
            for (let i = 0; i < b.count; i++) {
              const n = frames++;
              const r = ref[n];
              const at = `${file} frame ${n + 1}`;
              assert.ok(r !== undefined, `${at}: tshark has only ${ref.length} frames`);
              assert.equal(b.frame[i], n + 1, `${at}: frame number`);
              assert.equal(b.wireLen[i], r.frameLen, `${at}: frame_len`);
              assert.equal(b.caplen[i], r.capLen, `${at}: cap_len`);
              const links = LINK_TYPES[r.link];
              assert.ok(links !== undefined, `${at}: link ${r.link} is missing from LINK_TYPES`);
              assert.ok(links.includes(b.linkType[i]!), `${at}: link type ${b.linkType[i]} is not ${r.link}`);
              if (r.ts === '') {
                assert.equal(b.hasTs[i], 0, `${at}: tshark shows no time (Simple Packet Block)`);
                continue;
              }
              assert.equal(b.hasTs[i], 1, `${at}: has a time`);
              const sec = b.tsSec[i]!;
              const nsec = b.tsNsec[i]!;
              const rec = raw?.[n];
              if (rec !== undefined && rec.frac * rec.nsPerFrac >= 1e9) {
                // Exception, exact: a pcap fraction field of a second or more. tshark keeps nsecs as a 32-bit
                // int and prints it literally (10+ digits, or a minus sign after the int wraps); we carry the
                // whole seconds. Check tshark's text from the raw fields, and our value as the same instant.
                literalFractions++;
                const nsecs32 = (rec.frac * rec.nsPerFrac) | 0;
                assert.equal(r.ts, tsharkEpoch(rec.sec, nsecs32), `${at}: tshark's literal fraction`);
                const carry = Math.floor((rec.frac * rec.nsPerFrac) / 1e9);
                assert.deepEqual([sec, nsec], [rec.sec + carry, rec.frac * rec.nsPerFrac - carry * 1e9], at);
                continue;
              }
              assert.equal(tsharkEpoch(sec, nsec), r.ts, `${at}: ts`);
            }
          }
        } finally {
          await source.close();
        }
      } catch (err) {
        if (!(err instanceof NtaError)) throw err;
        error = err;
      }
      if (literalFractions > 0)
        t.diagnostic(`${literalFractions} frames with a literal tshark fraction (see above)`);
      assert.equal(frames, ref.length, `${file}: frame count`);
      if (summary.tshark_exit_status !== 0) {
        assert.ok(error !== undefined, `${file}: tshark fails on it, so must we`);
        assert.ok(
          error.message.startsWith(`${path}: `),
          `${file}: the error names the file: ${error.message}`,
        );
        t.diagnostic(`${error.code}: ${error.message}`);
      } else {
        assert.equal(error, undefined, `${file}: unexpected ${error?.code}: ${error?.message}`);
      }
    });
  }

  it('unreadable-corrupt-record-after-smtp.pcap: 18 frames, then NTA_ERR_CAPTURE_CORRUPT', async () => {
    const source = await openCapture(join(PCAPS_DIR, 'unreadable-corrupt-record-after-smtp.pcap'));
    let frames = 0;
    await assert.rejects(
      async () => {
        for await (const b of source) frames += b.count;
      },
      (err: unknown) =>
        err instanceof NtaError && err.code === 'NTA_ERR_CAPTURE_CORRUPT' && /offset \d+/.test(err.message),
    );
    await source.close();
    assert.equal(frames, 18);
  });

  it('the two unreadable headers are refused at open', async () => {
    const expect: [string, string, RegExp][] = [
      ['unreadable-pcap-invalid-version.pcap', 'NTA_ERR_CAPTURE_FORMAT', /unsupported pcap version 1\.4/],
      // tshark: "pcapng: Not enough data to handle option of length 12336"
      [
        'unreadable-pcapng-shb-option-too-long.pcapng',
        'NTA_ERR_CAPTURE_CORRUPT',
        /option at offset 24 has length 12336/,
      ],
    ];
    for (const [file, code, message] of expect) {
      await assert.rejects(
        openCapture(join(PCAPS_DIR, file)),
        (err: unknown) => err instanceof NtaError && err.code === code && message.test(err.message),
      );
    }
  });
});
