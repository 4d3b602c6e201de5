/**
 * An alert's evidence frames as tshark selects them from the source capture, written independently of nta
 * from the rule nta documents (src/evidence/selection.ts), and any capture's frames as tshark reads them:
 * time, MD5 of the bytes and length per frame, in file order.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dbRows } from './cli.js';

export interface AlertRow {
  id: string;
  type: string;
  src_ip: string;
  dst_ip: string | null;
  dst_port: number | null;
  evidence: string;
}
export interface FlowRow {
  ts_us: number;
  duration: number;
  orig_h: string;
  orig_p: number;
  resp_h: string;
  resp_p: number;
  ip_proto: number;
}

/** tshark's time, MD5 and length of each frame of `file` that `filter` selects (all frames without one). */
export function tsharkFrames(file: string, filter?: string): string[] {
  const args = ['-n', '-r', file, '-o', 'frame.generate_md5_hash:TRUE'];
  // Decode frame by frame as nta does: no IP reassembly moving transport fields to a later fragment.
  args.push('-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE');
  if (filter !== undefined) args.push('-Y', filter);
  args.push('-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.md5_hash', '-e', 'frame.len');
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, `tshark ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l !== '');
}

const v6 = (a: string): boolean => a.includes(':');
const ipEnd = (a: string, end: 'src' | 'dst' | 'addr'): string => `${v6(a) ? 'ipv6' : 'ip'}.${end}#1 == ${a}`;
/** Microseconds since 1970 as tshark's epoch-seconds text. */
const epoch = (us: number): string => `${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')}`;
const NOT_ICMP = '!icmp && !icmpv6';

/** The frames the evidence names, as a tshark display filter, written from the rule nta documents. */
export function evidenceFilter(a: AlertRow, flows: readonly FlowRow[]): string {
  const e = JSON.parse(a.evidence) as Record<string, unknown>;
  const terms: string[] = [];
  for (const k of ['frame', 'first_frame', 'last_frame', 'previous_frame'])
    if (typeof e[k] === 'number') terms.push(`frame.number == ${e[k]}`);
  const from = e['first_frame'] as number | undefined;
  const to = (e['last_frame'] ?? e['frame']) as number | undefined;
  if (from !== undefined && to !== undefined && to > from) {
    const flood = ['syn_flood', 'icmp_flood', 'udp_flood'].includes(a.type);
    const s = flood ? a.dst_ip! : a.src_ip;
    const p = flood ? null : a.dst_ip;
    const ends =
      p === null
        ? `(${ipEnd(s, 'addr')} || arp.src.proto_ipv4 == ${s} || arp.dst.proto_ipv4 == ${s})`
        : `((${ipEnd(s, 'src')} && ${ipEnd(p, 'dst')}) || (${ipEnd(s, 'dst')} && ${ipEnd(p, 'src')}) ||
            (arp.src.proto_ipv4 == ${s} && arp.dst.proto_ipv4 == ${p}) ||
            (arp.dst.proto_ipv4 == ${s} && arp.src.proto_ipv4 == ${p}))`;
    const port =
      a.dst_port === null
        ? ''
        : ` && (tcp.port#1 == ${a.dst_port} || udp.port#1 == ${a.dst_port}) && ${NOT_ICMP}`;
    terms.push(`(frame.number >= ${from} && frame.number <= ${to} && ${ends}${port})`);
  }
  for (const f of flows) {
    const t = `frame.time_epoch >= ${epoch(f.ts_us)} && frame.time_epoch < ${epoch(f.ts_us + Math.round(f.duration * 1e6) + 2)}`;
    const hosts = `${ipEnd(f.orig_h, 'addr')} && ${ipEnd(f.resp_h, 'addr')}`;
    const l4 =
      f.ip_proto === 6
        ? `tcp.port#1 == ${f.orig_p} && tcp.port#1 == ${f.resp_p} && ${NOT_ICMP}`
        : f.ip_proto === 17
          ? `udp.port#1 == ${f.orig_p} && udp.port#1 == ${f.resp_p} && ${NOT_ICMP}`
          : `${v6(f.orig_h) ? 'ipv6.nxt' : 'ip.proto'}#1 == ${f.ip_proto}`;
    terms.push(`(${t} && ${hosts} && ${l4})`);
  }
  return terms.join(' || ');
}

export const uidsOf = (evidence: string): string[] => {
  const e = JSON.parse(evidence) as { uid?: string; sample_uids?: string[]; flow_uids?: string[] };
  return [
    ...new Set([...(e.uid === undefined ? [] : [e.uid]), ...(e.sample_uids ?? []), ...(e.flow_uids ?? [])]),
  ];
};

/** The tshark filter for alert `a` of database `db`, its flows looked up by uid. */
export function evidenceFilterOf(db: string, a: AlertRow): string {
  const flows = uidsOf(a.evidence).flatMap((uid) =>
    dbRows<FlowRow>(db, `SELECT * FROM flows WHERE uid = '${uid.replace(/'/g, '')}'`),
  );
  return evidenceFilter(a, flows);
}
