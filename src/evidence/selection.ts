/**
 * Which frames are the evidence of an alert. An alert names its packets two ways, and both are kept:
 * - frame numbers (Wireshark's, 1-based, in the capture the alert was raised in): the frames a detector
 *   names one by one (`frame`, `previous_frame`, …), and the span `first_frame`..`last_frame` (or ..`frame`),
 *   of which only the frames of the alert's parties count: the subject (`src_ip`, or the target of a flood,
 *   whose sources may be spoofed) at either end, the other party (`dst_ip`) at the other end when there is
 *   one, and `dst_port` on either side when the alert has one;
 * - flows by uid (`uid`, `sample_uids`, `flow_uids`), as Arkime does: every frame of the flow's 5-tuple, in either
 *   direction, within the flow's time span, in the capture the flow was stored from.
 */
import { parseIpAddress } from '../core/addr.js';
import type { AlertType } from '../schema/alert.js';

/** Evidence keys holding a frame number of the alert's capture. */
const FRAME_KEYS = ['frame', 'first_frame', 'last_frame', 'previous_frame'] as const;
/** Alerts whose subject is their target: a flood's sources may be spoofed, its target is what it is about. */
const TARGET_SUBJECT: ReadonlySet<string> = new Set<AlertType>(['syn_flood', 'icmp_flood', 'udp_flood']);

/** An address as bytes: 4 for IPv4, 16 for IPv6. */
export type AddrBytes = Uint8Array;

export interface FrameSpan {
  readonly from: number;
  readonly to: number;
  /** Must be at one end of the frame (IP source/destination, ARP sender/target). */
  readonly subject: AddrBytes;
  /** When set, must be at the other end. */
  readonly peer: AddrBytes | null;
  /** When set, must be the frame's TCP/UDP source or destination port. */
  readonly port: number | null;
}

export interface FlowWindow {
  readonly orig: AddrBytes;
  readonly resp: AddrBytes;
  /** TCP/UDP ports; -1 for protocols without (ICMP's type and code are not matched). */
  readonly origPort: number;
  readonly respPort: number;
  readonly ipProto: number;
  /** Packet time span of the flow, microseconds since 1970, inclusive. */
  readonly fromUs: number;
  readonly toUs: number;
}

/** What the evidence names in one capture. */
export interface CaptureSelection {
  readonly captureId: number;
  readonly frames: Set<number>;
  readonly spans: FrameSpan[];
  readonly flows: FlowWindow[];
}

/** The alert columns the selection reads. */
export interface EvidenceAlert {
  readonly id: string;
  readonly type: string;
  readonly src_ip: string;
  readonly dst_ip: string | null;
  readonly dst_port: number | null;
  readonly evidence: string;
  readonly capture_id: number | null;
}

/** The flow columns the selection reads (`flows` table, Zeek conn.log names). */
export interface EvidenceFlow {
  readonly uid: string;
  readonly capture_id: number | null;
  readonly ts_us: number;
  readonly duration: number;
  readonly orig_h: string;
  readonly orig_p: number;
  readonly resp_h: string;
  readonly resp_p: number;
  readonly ip_proto: number;
}

const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;

function parseEvidence(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const frameNumber = (v: unknown): number | null =>
  typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : null;

/** Evidence keys holding a list of flow uids. */
const UID_LIST_KEYS = ['sample_uids', 'flow_uids'] as const;

/** The flow uids the evidence names (`uid`, `sample_uids`, `flow_uids`). */
export function evidenceUids(evidence: string): string[] {
  const e = parseEvidence(evidence);
  const uids = new Set<string>();
  if (typeof e['uid'] === 'string') uids.add(e['uid']);
  for (const k of UID_LIST_KEYS) {
    const list = e[k];
    if (Array.isArray(list)) for (const u of list) if (typeof u === 'string') uids.add(u);
  }
  return [...uids];
}

function addrBytes(text: string | null): AddrBytes | null {
  if (text === null) return null;
  const buf = new Uint8Array(16);
  const n = parseIpAddress(text, buf, 0);
  return n === 0 ? null : buf.slice(0, n);
}

/**
 * The frames an alert's evidence names, per capture (in capture order); empty when it names none. `flows`
 * are the rows of the uids `evidenceUids` found (missing ones are simply not there).
 */
export function selectEvidence(alert: EvidenceAlert, flows: readonly EvidenceFlow[]): CaptureSelection[] {
  const byCapture = new Map<number, CaptureSelection>();
  const of = (captureId: number): CaptureSelection => {
    let s = byCapture.get(captureId);
    if (s === undefined) {
      s = { captureId, frames: new Set(), spans: [], flows: [] };
      byCapture.set(captureId, s);
    }
    return s;
  };
  const e = parseEvidence(alert.evidence);
  if (alert.capture_id !== null) {
    const named = FRAME_KEYS.map((k) => frameNumber(e[k])).filter((f) => f !== null);
    if (named.length > 0) {
      const sel = of(alert.capture_id);
      for (const f of named) sel.frames.add(f);
      const from = frameNumber(e['first_frame']);
      const to = frameNumber(e['last_frame']) ?? frameNumber(e['frame']);
      const targetSubject = TARGET_SUBJECT.has(alert.type);
      const subject = addrBytes(targetSubject ? alert.dst_ip : alert.src_ip);
      if (from !== null && to !== null && to > from && subject !== null)
        sel.spans.push({
          from,
          to,
          subject,
          peer: targetSubject ? null : addrBytes(alert.dst_ip),
          port: alert.dst_port,
        });
    }
  }
  for (const f of flows) {
    const orig = addrBytes(f.orig_h);
    const resp = addrBytes(f.resp_h);
    if (f.capture_id === null || orig === null || resp === null) continue;
    const ports = f.ip_proto === IPPROTO_TCP || f.ip_proto === IPPROTO_UDP;
    of(f.capture_id).flows.push({
      orig,
      resp,
      origPort: ports ? f.orig_p : -1,
      respPort: ports ? f.resp_p : -1,
      ipProto: f.ip_proto,
      fromUs: f.ts_us,
      // The duration is stored in seconds: a microsecond either way covers its rounding.
      toUs: f.ts_us + Math.round(f.duration * 1e6) + 1,
    });
  }
  return [...byCapture.values()].sort((a, b) => a.captureId - b.captureId);
}
