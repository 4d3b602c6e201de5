import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NtaError } from '../../core/errors.js';
import { openCapture } from '../open.js';
import { BpfProgram, checkFileFilter, compileMatcher } from './bpf-program.js';
import { OfflineFilter } from './libpcap.js';

const ROOT = resolve(
  fileURLToPath(import.meta.url),
  '..',
  '..',
  '..',
  '..',
  ...(import.meta.url.includes('/dist/') ? ['..'] : []),
);
const PCAPS = join(process.env['NTA_CORPUS'] ?? resolve(ROOT, '..', 'shared', 'corpus'), 'pcaps');

/** Filters that exercise every kind of instruction libpcap emits: IND loads, MSH, ALU, JSET, LEN, scratch. */
const FILTERS = [
  'tcp',
  'udp port 53',
  'tcp[tcpflags] & (tcp-syn|tcp-fin) != 0',
  'ip[2:2] > 576',
  'len > 200 and len <= 1500',
  'greater 100',
  'ip6 or arp',
  'vlan and ip',
  'icmp or icmp6',
  'net 10.0.0.0/8 and not port 443',
  'tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420',
  'ip[0] & 0xf != 5',
  'ip and (ip[6:2] & 0x1fff) != 0',
  '(ip[2:2] - ((ip[0] & 0xf) << 2)) % 7 = 3',
  'ip[8] * 2 / 3 > 40',
  'ether broadcast or ether multicast',
  'portrange 1-1024',
];

describe('BpfProgram: libpcap-compiled filters run in JavaScript', () => {
  it('agrees with pcap_offline_filter on every packet of the corpus', async () => {
    const files = readdirSync(PCAPS).filter((f) => /\.(pcap|pcapng|cap)$/.test(f));
    let compared = 0;
    for (const f of files) {
      let src;
      try {
        src = await openCapture(join(PCAPS, f));
      } catch (err) {
        if (err instanceof NtaError) continue; // not a capture we read
        throw err;
      }
      const cache = new Map<string, { js: BpfProgram | null; ffi: OfflineFilter } | null>();
      try {
        for await (const b of src) {
          for (let i = 0; i < b.count; i++) {
            const lt = b.linkType[i]!;
            const off = b.offset[i]!;
            const cap = b.caplen[i]!;
            for (const expr of FILTERS) {
              const key = `${lt}\u0000${expr}`;
              let pair = cache.get(key);
              if (pair === undefined) {
                try {
                  const ffi = new OfflineFilter(expr, lt);
                  pair = { js: BpfProgram.from(ffi.instructions()), ffi };
                } catch {
                  pair = null; // not compilable for this link type
                }
                cache.set(key, pair);
              }
              if (pair === null) continue;
              assert.notEqual(pair.js, null, `${expr} on link type ${lt} runs in JS`);
              const want = pair.ffi.matches(b.data.subarray(off, off + cap), b.wireLen[i]!);
              const got = pair.js!.run(b.data, off, cap, b.wireLen[i]!) !== 0;
              if (got !== want)
                assert.fail(`${f} frame ${b.frame[i]}: '${expr}' gave ${got}, libpcap ${want}`);
              compared++;
            }
          }
        }
      } catch (err) {
        if (!(err instanceof NtaError)) throw err; // damaged captures end early; what came before counts
      } finally {
        await src.close();
        for (const p of cache.values()) p?.ffi.close();
      }
    }
    assert.ok(compared > 10_000, `compared ${compared}`);
  });

  it('refuses programs it cannot run safely', () => {
    const insn = (code: number, jt: number, jf: number, k: number): number[] => [
      code & 0xff,
      code >> 8,
      jt,
      jf,
      k & 0xff,
      (k >> 8) & 0xff,
      (k >> 16) & 0xff,
      k >>> 24,
    ];
    const prog = (...i: number[][]): Uint8Array => Uint8Array.from(i.flat());
    assert.equal(BpfProgram.from(prog(insn(0x15, 5, 0, 1), insn(0x06, 0, 0, 1)), true), null); // jump out
    assert.equal(BpfProgram.from(prog(insn(0x60, 0, 0, 16), insn(0x06, 0, 0, 1)), true), null); // M[16]
    assert.equal(BpfProgram.from(prog(insn(0xff, 0, 0, 0), insn(0x06, 0, 0, 1)), true), null); // unknown op
    assert.equal(BpfProgram.from(prog(insn(0x00, 0, 0, 1)), true), null); // no return at the end
    assert.equal(BpfProgram.from(prog(insn(0x34, 0, 0, 0), insn(0x16, 0, 0, 0)), true), null); // A / 0
    const ok = BpfProgram.from(prog(insn(0x30, 0, 0, 3), insn(0x16, 0, 0, 0)), true)!; // ld [3]; ret A
    assert.equal(ok.run(Uint8Array.of(9, 1, 2, 3, 4), 1, 4, 4), 4);
    assert.equal(ok.run(Uint8Array.of(9, 1, 2, 3, 4), 1, 3, 4), 0); // past caplen: rejected
  });

  it('reports a bad filter in one line, naming it', () => {
    assert.throws(() => checkFileFilter('udp port'), {
      code: 'NTA_ERR_USAGE',
      message: "bad capture filter 'udp port': syntax error",
    });
    assert.throws(() => compileMatcher('ether host 1:2:3:4:5:6', 101), /bad capture filter/);
    checkFileFilter('wlan type mgt'); // not for Ethernet, but for 802.11
  });
});
