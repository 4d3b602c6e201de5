/**
 * Compares the decoder with the tshark reference answers of the capture corpus.
 *
 *   node dist/scripts/corpus-diff.js [--corpus DIR] [--all] [--quiet] [--counters] [NAME...]
 *
 * For each capture (all of them, or the NAMEs given: file names with or without extension) it decodes every
 * frame and checks it against NAME.packets.tsv:
 *   must-have: outer src_ip, dst_ip, ip_proto, src_port, dst_port; a frame without a reference src_ip must
 *              not decode as IPv4/IPv6;
 *   nice:      tcp_flags, icmp_type, icmp_code, arp_opcode.
 * tshark 4.0 lists pcapng Custom Blocks as frames (link `data`, no timestamp); those rows are skipped and
 * the rest renumbered. Exit status 1 when a must-have field differs on a frame tshark did not flag as
 * malformed, or a file could not be read as far as tshark read it.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { openCapture } from '../src/capture/open.js';
import { formatIPv4, formatIPv6 } from '../src/core/addr.js';
import { PacketDecoder } from '../src/decode/decoder.js';
import { DecodedPacket, Network } from '../src/decode/packet.js';

const DEFAULT_CORPUS = '/work/shared/corpus/pcaps';
const CAPTURE_EXT = /\.(pcap|pcapng|cap)$/;
const DEFAULT_MAX_LINES = 25;

interface RefRow {
  frame: string;
  src_ip: string;
  dst_ip: string;
  ip_proto: string;
  src_port: string;
  dst_port: string;
  tcp_flags: string;
  icmp_type: string;
  icmp_code: string;
  arp_opcode: string;
  malformed: boolean;
  protocols: string;
}

interface FileResult {
  name: string;
  compared: number;
  refRows: number;
  ourFrames: number;
  mustFrames: number;
  mustFramesMalformed: number;
  niceOnlyFrames: number;
  lines: string[];
  error: string | undefined;
}

const MUST_FIELDS = ['src_ip', 'dst_ip', 'ip_proto', 'src_port', 'dst_port'] as const;
const NICE_FIELDS = ['tcp_flags', 'icmp_type', 'icmp_code', 'arp_opcode'] as const;
type Field = (typeof MUST_FIELDS)[number] | (typeof NICE_FIELDS)[number];

function parseArgs(argv: string[]): {
  corpus: string;
  all: boolean;
  quiet: boolean;
  counters: boolean;
  names: string[];
} {
  let corpus = process.env['NTA_CORPUS'] ?? DEFAULT_CORPUS;
  let all = false;
  let quiet = false;
  let counters = false;
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--corpus') corpus = argv[++i] ?? corpus;
    else if (a === '--all') all = true;
    else if (a === '--quiet') quiet = true;
    else if (a === '--counters') counters = true;
    else names.push(a);
  }
  return { corpus, all, quiet, counters, names };
}

function readReference(path: string): RefRow[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const header = lines[0]!.split('\t');
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`${path}: no column ${name}`);
    return i;
  };
  const c = {
    frame: col('frame'),
    ts: col('ts'),
    link: col('link'),
    src_ip: col('src_ip'),
    dst_ip: col('dst_ip'),
    ip_proto: col('ip_proto'),
    src_port: col('src_port'),
    dst_port: col('dst_port'),
    tcp_flags: col('tcp_flags'),
    icmp_type: col('icmp_type'),
    icmp_code: col('icmp_code'),
    arp_opcode: col('arp_opcode'),
    malformed: col('malformed'),
    protocols: col('frame_protocols'),
  };
  const rows: RefRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i] === '') continue;
    const f = lines[i]!.split('\t');
    const get = (k: number): string => f[k] ?? '';
    // pcapng Custom Blocks: tshark 4.0 shows them as frames; our reader does not.
    if (get(c.link) === 'data' && get(c.ts) === '') continue;
    rows.push({
      frame: get(c.frame),
      src_ip: get(c.src_ip),
      dst_ip: get(c.dst_ip),
      ip_proto: get(c.ip_proto),
      src_port: get(c.src_port),
      dst_port: get(c.dst_port),
      tcp_flags: get(c.tcp_flags) === '' ? '' : String(parseInt(get(c.tcp_flags), 16)),
      icmp_type: get(c.icmp_type),
      icmp_code: get(c.icmp_code),
      arp_opcode: get(c.arp_opcode),
      malformed: get(c.malformed) === '1',
      protocols: get(c.protocols),
    });
  }
  return rows;
}

const num = (n: number): string => (n < 0 ? '' : String(n));

function ours(b: Uint8Array, p: DecodedPacket): Record<Field, string> {
  const ip = p.network === Network.IPv4 || p.network === Network.IPv6;
  const fmt = p.network === Network.IPv4 ? formatIPv4 : formatIPv6;
  return {
    src_ip: ip ? fmt(b, p.srcOff) : '',
    dst_ip: ip ? fmt(b, p.dstOff) : '',
    ip_proto: ip ? num(p.ipProto) : '',
    src_port: num(p.srcPort),
    dst_port: num(p.dstPort),
    tcp_flags: num(p.tcpFlags),
    icmp_type: num(p.icmpType),
    icmp_code: num(p.icmpCode),
    arp_opcode: num(p.arpOpcode),
  };
}

const show = (v: string): string => (v === '' ? '-' : v);

async function diffFile(
  dir: string,
  file: string,
  decoder: PacketDecoder,
  maxLines: number,
): Promise<FileResult> {
  const base = file.replace(CAPTURE_EXT, '');
  const refPath = join(dir, `${base}.packets.tsv`);
  const refs = existsSync(refPath) ? readReference(refPath) : [];
  const res: FileResult = {
    name: file,
    compared: 0,
    refRows: refs.length,
    ourFrames: 0,
    mustFrames: 0,
    mustFramesMalformed: 0,
    niceOnlyFrames: 0,
    lines: [],
    error: undefined,
  };
  const out = new DecodedPacket();
  let k = 0;
  const note = (line: string): void => {
    if (res.lines.length < maxLines) res.lines.push(line);
    else if (res.lines.length === maxLines) res.lines.push('  ...');
  };
  try {
    const src = await openCapture(join(dir, file));
    try {
      for await (const batch of src) {
        for (let i = 0; i < batch.count; i++) {
          const off = batch.offset[i]!;
          const end = off + batch.caplen[i]!;
          decoder.decode(batch.data, off, end, batch.linkType[i]! & 0xffff, out, batch.wireLen[i]!);
          const ref = refs[k++];
          res.ourFrames++;
          if (ref === undefined) continue;
          res.compared++;
          const got = ours(batch.data, out);
          const bad: string[] = [];
          let must = false;
          if (ref.src_ip === '') {
            if (got.src_ip !== '') {
              bad.push(`network ref=non-IP ours=${show(got.src_ip)}>${show(got.dst_ip)}`);
              must = true;
            }
          } else {
            for (const f of MUST_FIELDS) {
              if (ref[f] !== got[f]) {
                bad.push(`${f} ref=${show(ref[f])} ours=${show(got[f])}`);
                must = true;
              }
            }
          }
          for (const f of NICE_FIELDS) {
            if (ref[f] !== got[f]) bad.push(`${f} ref=${show(ref[f])} ours=${show(got[f])}`);
          }
          if (bad.length === 0) continue;
          if (must) {
            res.mustFrames++;
            if (ref.malformed) res.mustFramesMalformed++;
          } else {
            res.niceOnlyFrames++;
          }
          const frameNo = String(k) === ref.frame ? ref.frame : `${k} (tshark ${ref.frame})`;
          note(
            `  frame ${frameNo}${ref.malformed ? ' [malformed]' : ''}${must ? '' : ' [nice]'}: ${bad.join('; ')}  (${ref.protocols})`,
          );
        }
      }
    } finally {
      await src.close();
    }
  } catch (err) {
    res.error = err instanceof Error ? err.message : String(err);
  }
  return res;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const dir = args.corpus;
  let files = readdirSync(dir)
    .filter((f) => CAPTURE_EXT.test(f))
    .sort();
  if (args.names.length > 0) {
    const wanted = new Set(args.names.map((n) => n.replace(CAPTURE_EXT, '')));
    files = files.filter((f) => wanted.has(f.replace(CAPTURE_EXT, '')));
    if (files.length === 0) {
      console.error(`no capture named ${args.names.join(', ')} in ${dir}`);
      process.exitCode = 2;
      return;
    }
  }
  const decoder = new PacketDecoder();
  const maxLines = args.all ? Number.MAX_SAFE_INTEGER : DEFAULT_MAX_LINES;
  let compared = 0;
  let must = 0;
  let mustMalformed = 0;
  let niceOnly = 0;
  let countMismatch = 0;
  let errors = 0;
  for (const file of files) {
    const r = await diffFile(dir, file, decoder, maxLines);
    compared += r.compared;
    must += r.mustFrames;
    mustMalformed += r.mustFramesMalformed;
    niceOnly += r.niceOnlyFrames;
    const mismatching = r.mustFrames + r.niceOnlyFrames;
    const countNote =
      r.ourFrames === r.refRows ? '' : `; frame count differs: ours ${r.ourFrames}, tshark ${r.refRows}`;
    if (r.ourFrames !== r.refRows) countMismatch++;
    // A reader error is expected only where tshark also stopped (unreadable-* files) at the same frame.
    const errNote = r.error === undefined ? '' : `; reader error: ${r.error}`;
    if (r.error !== undefined && r.ourFrames < r.refRows) errors++;
    if (args.quiet && mismatching === 0 && countNote === '' && errNote === '') continue;
    console.log(
      `${r.name}: ${r.compared} frames compared, ${mismatching} mismatching` +
        (mismatching > 0 ? ` (${r.mustFrames} must-have, ${r.mustFramesMalformed} of them malformed)` : '') +
        countNote +
        errNote,
    );
    for (const line of r.lines) console.log(line);
  }
  const strictMust = must - mustMalformed;
  console.log(
    `TOTAL: ${files.length} files, ${compared} frames compared, ${must + niceOnly} mismatching frames: ` +
      `${must} must-have (${strictMust} on frames tshark did not flag malformed, ${mustMalformed} on malformed frames), ` +
      `${niceOnly} nice-to-have only; ${countMismatch} files with a different frame count, ${errors} files not read as far as tshark`,
  );
  if (args.counters) console.log(JSON.stringify(decoder.counters(), null, 2));
  if (strictMust > 0 || errors > 0) process.exitCode = 1;
}

await main();
