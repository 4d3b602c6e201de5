import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, from dist/test/support/ or test/support/. */
export const REPO_ROOT = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  ...(import.meta.url.includes('/dist/') ? ['..'] : []),
);
export const CORPUS_DIR = process.env['NTA_CORPUS'] ?? resolve(REPO_ROOT, '..', 'shared', 'corpus');
export const PCAPS_DIR = join(CORPUS_DIR, 'pcaps');

/** One line of a tshark reference `NAME.packets.tsv` (see corpus/README.md); empty cells are ''. */
export interface ReferenceRow {
  frame: number;
  ts: string;
  link: string;
  src_ip: string;
  dst_ip: string;
  ip_proto: string;
  src_port: string;
  dst_port: string;
  frame_len: string;
  cap_len: string;
  tcp_flags: string;
  icmp_type: string;
  icmp_code: string;
  arp_opcode: string;
  dns_qname: string;
  tls_sni: string;
  http_host: string;
  malformed: boolean;
  frame_protocols: string;
}

export interface CorpusCapture {
  name: string;
  path: string;
  isPcapng: boolean;
}

/** Every capture of the development corpus, by name. */
export function corpusCaptures(): CorpusCapture[] {
  return readdirSync(PCAPS_DIR)
    .filter((f) => /\.(pcap|pcapng|cap)$/.test(f))
    .sort()
    .map((f) => {
      const path = join(PCAPS_DIR, f);
      const magic = readFileSync(path).subarray(0, 4).toString('hex');
      return { name: f.replace(/\.(pcap|pcapng|cap)$/, ''), path, isPcapng: magic === '0a0d0d0a' };
    });
}

/**
 * The reference rows of a capture, renumbered as nta numbers frames: tshark 4.0 lists pcapng Custom Blocks
 * as frames (link `data`, no time), but they carry no packet, so nta does not count them.
 */
export function referenceRows(capture: CorpusCapture): ReferenceRow[] {
  const text = readFileSync(join(PCAPS_DIR, `${capture.name}.packets.tsv`), 'utf8');
  const [header, ...lines] = text.split('\n').filter((l) => l.length > 0);
  const cols = header!.split('\t');
  const rows: ReferenceRow[] = [];
  for (const line of lines) {
    const cells = line.split('\t');
    const get = (c: string): string => cells[cols.indexOf(c)] ?? '';
    if (capture.isPcapng && get('link') === 'data' && get('ts') === '') continue; // a Custom Block
    rows.push({
      frame: rows.length + 1,
      ts: get('ts'),
      link: get('link'),
      src_ip: get('src_ip'),
      dst_ip: get('dst_ip'),
      ip_proto: get('ip_proto'),
      src_port: get('src_port'),
      dst_port: get('dst_port'),
      frame_len: get('frame_len'),
      cap_len: get('cap_len'),
      tcp_flags: get('tcp_flags'),
      icmp_type: get('icmp_type'),
      icmp_code: get('icmp_code'),
      arp_opcode: get('arp_opcode'),
      dns_qname: get('dns_qname'),
      tls_sni: get('tls_sni'),
      http_host: get('http_host'),
      malformed: get('malformed') === '1',
      frame_protocols: get('frame_protocols'),
    });
  }
  return rows;
}

export interface ReferenceSummary {
  packets: number;
  tshark_exit_status: number;
  tshark_error: string | null;
  outer_protocol_counts: Record<string, number>;
}

export function referenceSummary(capture: CorpusCapture): ReferenceSummary {
  return JSON.parse(
    readFileSync(join(PCAPS_DIR, `${capture.name}.summary.json`), 'utf8'),
  ) as ReferenceSummary;
}

const TWO_POW_64 = 1n << 64n;
const NS_PER_SEC = 1_000_000_000n;

/**
 * tshark's `frame.time_epoch` (seconds with 9 decimals) as nta's `traffic.timestamp` text: UTC,
 * microseconds truncated. tshark 4.0 prints a pcapng time before 1970 as its raw 64-bit microsecond count
 * read unsigned (18446744073204.277451000 is 2^64 µs - 505.274165 s, in pcapng-example-eth-sll); that is
 * unwrapped here, so those rows are compared too. Returns undefined only for an empty cell.
 */
export function referenceTimestamp(ts: string): string | undefined {
  const m = /^(\d+)\.(\d{9})$/.exec(ts);
  if (m === null) {
    if (ts === '') return undefined;
    throw new Error(`unexpected tshark time ${ts}`);
  }
  let ns = BigInt(m[1]!) * NS_PER_SEC + BigInt(m[2]!);
  if (ns / 1000n >= TWO_POW_64 / 2n) ns -= TWO_POW_64 * 1000n;
  const sec = ns >= 0n ? ns / NS_PER_SEC : -((-ns + NS_PER_SEC - 1n) / NS_PER_SEC); // floor
  const micros = (ns - sec * NS_PER_SEC) / 1000n;
  const date = new Date(Number(sec) * 1000).toISOString().replace('T', ' ').slice(0, 19);
  return `${date}.${String(micros).padStart(6, '0')}`;
}
