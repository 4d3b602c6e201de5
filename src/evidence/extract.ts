/**
 * Copies the frames a selection names from a capture into a pcapng writer, in capture order, with their
 * original times and bytes. Only frames inside a span or a flow's time window are decoded; reading stops
 * once no later frame can match.
 */
import type { PacketSource } from '../capture/packet-batch.js';
import type { PcapngWriter } from '../capture/pcapng-writer.js';
import { PacketDecoder } from '../decode/decoder.js';
import { DecodedPacket, Network } from '../decode/packet.js';
import type { AddrBytes, CaptureSelection, FlowWindow, FrameSpan } from './selection.js';

/** Where the frame's two ends are: offsets of the addresses and their length (0: no IP or ARP address). */
interface Ends {
  src: number;
  dst: number;
  len: number;
}

function sameAddr(b: Uint8Array, off: number, len: number, addr: AddrBytes): boolean {
  if (addr.length !== len) return false;
  for (let i = 0; i < len; i++) if (b[off + i] !== addr[i]) return false;
  return true;
}

function spanMatches(b: Uint8Array, e: Ends, d: DecodedPacket, s: FrameSpan): boolean {
  if (e.len === 0) return false;
  const subjectSrc = sameAddr(b, e.src, e.len, s.subject);
  const subjectDst = sameAddr(b, e.dst, e.len, s.subject);
  if (!subjectSrc && !subjectDst) return false;
  if (s.peer !== null) {
    const ok =
      (subjectSrc && sameAddr(b, e.dst, e.len, s.peer)) || (subjectDst && sameAddr(b, e.src, e.len, s.peer));
    if (!ok) return false;
  }
  return s.port === null || d.srcPort === s.port || d.dstPort === s.port;
}

function flowMatches(b: Uint8Array, e: Ends, d: DecodedPacket, f: FlowWindow): boolean {
  if (e.len === 0 || d.network === Network.ARP || d.ipProto !== f.ipProto) return false;
  if (sameAddr(b, e.src, e.len, f.orig) && sameAddr(b, e.dst, e.len, f.resp))
    return f.origPort < 0 || (d.srcPort === f.origPort && d.dstPort === f.respPort);
  if (sameAddr(b, e.src, e.len, f.resp) && sameAddr(b, e.dst, e.len, f.orig))
    return f.origPort < 0 || (d.srcPort === f.respPort && d.dstPort === f.origPort);
  return false;
}

/** Appends the selected frames of `source` to `writer`; returns how many were written. */
export async function extractEvidence(
  source: PacketSource,
  sel: CaptureSelection,
  writer: PcapngWriter,
): Promise<number> {
  const decoder = new PacketDecoder();
  const decoded = new DecodedPacket();
  const ends: Ends = { src: 0, dst: 0, len: 0 };
  let lastFrame = 0;
  for (const f of sel.frames) lastFrame = Math.max(lastFrame, f);
  for (const s of sel.spans) lastFrame = Math.max(lastFrame, s.to);
  let lastUs = -Infinity;
  for (const f of sel.flows) lastUs = Math.max(lastUs, f.toUs);
  let written = 0;
  for await (const batch of source) {
    const data = batch.data;
    let done = false;
    for (let i = 0; i < batch.count; i++) {
      const frame = batch.frame[i]!;
      const hasTs = batch.hasTs[i] === 1;
      const us = batch.tsSec[i]! * 1e6 + Math.floor(batch.tsNsec[i]! / 1000);
      if (frame > lastFrame && hasTs && us > lastUs) {
        done = true;
        break;
      }
      let wanted = sel.frames.has(frame);
      const inSpan = !wanted && sel.spans.some((s) => frame >= s.from && frame <= s.to);
      const inWindow = !wanted && hasTs && sel.flows.some((f) => us >= f.fromUs && us <= f.toUs);
      if (inSpan || inWindow) {
        const off = batch.offset[i]!;
        decoder.decode(data, off, off + batch.caplen[i]!, batch.linkType[i]!, decoded, batch.wireLen[i]!);
        frameEnds(decoder, decoded, ends);
        wanted =
          (inSpan &&
            sel.spans.some((s) => frame >= s.from && frame <= s.to && spanMatches(data, ends, decoded, s))) ||
          (inWindow &&
            sel.flows.some((f) => us >= f.fromUs && us <= f.toUs && flowMatches(data, ends, decoded, f)));
      }
      if (wanted) {
        writer.writePacket(batch, i);
        written++;
      }
    }
    writer.flush();
    if (done) break;
  }
  return written;
}

/** The outer IP source and destination, or an ARP's sender and target protocol addresses. */
function frameEnds(decoder: PacketDecoder, d: DecodedPacket, out: Ends): void {
  out.len = 0;
  if (d.network === Network.IPv4 || d.network === Network.IPv6) {
    out.src = d.srcOff;
    out.dst = d.dstOff;
    out.len = d.network === Network.IPv4 ? 4 : 16;
  } else if (d.network === Network.ARP) {
    const arp = decoder.arp;
    if (arp.senderProtoOff < 0 || arp.targetProtoOff < 0) return;
    if (arp.protoAddrLen !== 4 && arp.protoAddrLen !== 16) return;
    out.src = arp.senderProtoOff;
    out.dst = arp.targetProtoOff;
    out.len = arp.protoAddrLen;
  }
}
