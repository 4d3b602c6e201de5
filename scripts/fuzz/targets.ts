/**
 * The fuzz targets, one registry line each: a name, where its seeds come from and how one input runs.
 * A target throws for a crash: an exception escaping nta, or an InvariantError for a broken invariant.
 * Errors nta is meant to raise for bad input (NtaError from the capture readers) are not crashes.
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { openCapture, openCaptureStream } from '../../src/capture/open.js';
import { NtaError } from '../../src/core/errors.js';
import { PacketDecoder } from '../../src/decode/decoder.js';
import { LinkType } from '../../src/decode/enums.js';
import { DecodedPacket, Network } from '../../src/decode/packet.js';
import { ConnRecorder } from '../../src/flow/record.js';
import { FlowTable, type FlowState } from '../../src/flow/table.js';
import { ReassemblyPool, TcpReassembler, type StreamSink } from '../../src/flow/tcp-reassembly.js';
import { AppHarness } from '../../src/app/app-harness.js';
import { DhcpMessage, parseDhcpMessage } from '../../src/app/dhcp/parser.js';
import { Dhcpv6Message, MAX_DHCPV6_ADDRESSES, parseDhcpv6Message } from '../../src/app/dhcpv6/parser.js';
import { DnsMessage, MAX_DNS_ANSWERS, MAX_DNS_NAME, parseDnsMessage } from '../../src/app/dns/parser.js';
import { HttpHead, parseHttpHead } from '../../src/app/http/parser.js';
import { ja3, ja4 } from '../../src/app/tls/fingerprint.js';
import { ClientHello, ServerHello, parseClientHello, parseServerHello } from '../../src/app/tls/parser.js';
import { CertificateInfo, parseCertificate } from '../../src/app/tls/x509.js';
import { corpusCaptures } from '../../test/support/corpus.js';

export class InvariantError extends Error {
  override readonly name = 'InvariantError';
}

export interface FuzzTarget {
  readonly name: string;
  /** Mutants are cut to this length: longer inputs run slower and rarely reach new code. */
  readonly maxInput: number;
  /** Inputs to start from, taken from the corpus. */
  seeds(): Promise<Uint8Array[]>;
  run(input: Uint8Array): void | Promise<void>;
}

/** Seeds per target at most. */
const MAX_SEEDS = 400;
/** Capture files above this size are not seeds: most bugs live in headers, not in bulk. */
const MAX_SEED_FILE = 64 * 1024;

function check(ok: boolean, what: string): void {
  if (!ok) throw new InvariantError(what);
}

interface CorpusFrame {
  readonly linkType: number;
  readonly ts: number;
  readonly bytes: Uint8Array;
}

let framesLoading: Promise<CorpusFrame[]> | undefined;

/** Every frame of the corpus (once per process), with duplicates removed. */
function corpusFrames(): Promise<CorpusFrame[]> {
  framesLoading ??= (async () => {
    const frames: CorpusFrame[] = [];
    const seen = new Set<string>();
    for (const c of corpusCaptures()) {
      let source;
      try {
        source = await openCapture(c.path);
        for await (const batch of source) {
          for (let i = 0; i < batch.count; i++) {
            const off = batch.offset[i]!;
            const bytes = batch.data.slice(off, off + batch.caplen[i]!);
            const key = `${batch.linkType[i]} ${Buffer.from(bytes).toString('latin1')}`;
            if (seen.has(key)) continue;
            seen.add(key);
            frames.push({ linkType: batch.linkType[i]!, ts: batch.tsSec[i]!, bytes });
          }
        }
      } catch (err) {
        // A damaged corpus capture still gives the frames before the damage.
        if (!(err instanceof NtaError)) throw err;
      } finally {
        await source?.close();
      }
    }
    return frames;
  })();
  return framesLoading;
}

/** Up to MAX_SEEDS items spread evenly over the list, so every capture contributes. */
function spread<T>(items: readonly T[]): T[] {
  if (items.length <= MAX_SEEDS) return [...items];
  const step = items.length / MAX_SEEDS;
  return Array.from({ length: MAX_SEEDS }, (_, i) => items[Math.floor(i * step)]!);
}

const decoded = new DecodedPacket();
const decoder = new PacketDecoder();

/** Offsets the decoder hands out must lie inside the frame: the pipeline reads through them unchecked. */
function checkDecoded(d: DecodedPacket, len: number): void {
  const inside = (off: number, width: number): boolean => off >= 0 && off + width <= len;
  if (d.network === Network.IPv4 || d.network === Network.IPv6) {
    const w = d.network === Network.IPv4 ? 4 : 16;
    check(
      inside(d.srcOff, w) && inside(d.dstOff, w),
      `address offsets ${d.srcOff}/${d.dstOff} outside ${len}`,
    );
    check(inside(d.l3Off, 1), `l3Off ${d.l3Off} outside ${len}`);
  }
  if (d.network === Network.ARP) check(inside(d.l3Off, 0), `arp l3Off ${d.l3Off} outside ${len}`);
  check(d.l4Off === -1 || inside(d.l4Off, 0), `l4Off ${d.l4Off} outside ${len}`);
  check(
    d.payloadOff >= 0 && d.payloadOff <= d.payloadEnd && d.payloadEnd <= len,
    `payload [${d.payloadOff}, ${d.payloadEnd}) outside ${len}`,
  );
  check(
    d.macSrcOff === -1 || (inside(d.macSrcOff, 6) && inside(d.macDstOff, 6)),
    `MAC offsets outside ${len}`,
  );
  check(
    d.srcPort >= -1 && d.srcPort <= 0xffff && d.dstPort >= -1 && d.dstPort <= 0xffff,
    'port out of range',
  );
  check(decoder.decodedCount <= decoder.decoded.length, 'too many layers');
}

/** The link-layer decoder for one link type: the input is one frame. */
function decoderTarget(name: string, linkType: number): FuzzTarget {
  return {
    name: `decode-${name}`,
    maxInput: 16 * 1024,
    async seeds() {
      const frames = await corpusFrames();
      const own = frames.filter((f) => f.linkType === linkType);
      // A link type the corpus lacks starts from every frame: the mutations find the header shapes.
      return spread((own.length > 0 ? own : frames).map((f) => f.bytes));
    },
    run(input) {
      decoder.decode(input, 0, input.length, linkType, decoded, input.length);
      checkDecoded(decoded, input.length);
      // A frame whose wire length says it was cut decodes as well, and must stay inside what was captured.
      decoder.decode(input, 0, input.length, linkType, decoded, input.length + 1500);
      checkDecoded(decoded, input.length);
    },
  };
}

async function captureSeeds(pcapng: boolean): Promise<Uint8Array[]> {
  return corpusCaptures()
    .filter((c) => c.isPcapng === pcapng)
    .map((c) => new Uint8Array(readFileSync(c.path)))
    .filter((b) => b.length <= MAX_SEED_FILE);
}

/** A capture file read from memory to the end; every frame must lie inside the batch's bytes. */
function readerTarget(name: string, pcapng: boolean): FuzzTarget {
  return {
    name,
    maxInput: 2 * MAX_SEED_FILE,
    seeds: () => captureSeeds(pcapng),
    async run(input) {
      let source;
      try {
        source = await openCaptureStream(Readable.from([Buffer.from(input)]), 'fuzz', {
          initialWindow: 64 * 1024,
          batchCapacity: 64,
        });
        for await (const batch of source) {
          for (let i = 0; i < batch.count; i++) {
            const end = batch.offset[i]! + batch.caplen[i]!;
            check(
              end <= batch.data.length,
              `frame ${batch.frame[i]} ends at ${end} past ${batch.data.length}`,
            );
            check(
              batch.caplen[i]! <= input.length,
              `frame ${batch.frame[i]} caplen ${batch.caplen[i]} exceeds the file`,
            );
          }
        }
      } catch (err) {
        if (!(err instanceof NtaError)) throw err;
      } finally {
        await source?.close();
      }
    },
  };
}

const LINK_TYPES = Object.values(LinkType);

/**
 * Packets through the decoder into a fresh flow table. Input: records of [link type index, seconds since the
 * previous packet, 16-bit big-endian length, frame]; a cut record ends the input.
 */
function flowTarget(): FuzzTarget {
  const recorder = new ConnRecorder();
  return {
    name: 'flow-table',
    maxInput: 32 * 1024,
    async seeds() {
      const frames = await corpusFrames();
      const seeds: Uint8Array[] = [];
      for (let i = 0; i + 12 <= frames.length && seeds.length < MAX_SEEDS; i += 12) {
        const parts: number[] = [];
        for (let k = i; k < i + 12; k++) {
          const f = frames[k]!;
          const lt = LINK_TYPES.indexOf(f.linkType as LinkType);
          if (lt < 0 || f.bytes.length > 2048) continue;
          const dt = k > i ? Math.max(0, Math.min(255, f.ts - frames[k - 1]!.ts)) : 0;
          parts.push(lt, dt, f.bytes.length >> 8, f.bytes.length & 0xff, ...f.bytes);
        }
        if (parts.length > 0) seeds.push(new Uint8Array(parts));
      }
      return seeds;
    },
    run(input) {
      const ended: FlowState[] = [];
      const table = new FlowTable((f) => ended.push(f), { uidSeed: 1, maxFlows: 64 });
      let sec = 1_700_000_000;
      let off = 0;
      while (off + 4 <= input.length) {
        const linkType = LINK_TYPES[input[off]! % LINK_TYPES.length]!;
        sec += input[off + 1]!;
        const len = (input[off + 2]! << 8) | input[off + 3]!;
        off += 4;
        const end = Math.min(off + len, input.length);
        decoder.decode(input, off, end, linkType, decoded, len);
        if (decoded.network === Network.IPv4 || decoded.network === Network.IPv6)
          table.packet(input, decoded, sec, (off * 1000) % 1e9, true);
        off = end;
      }
      const s = table.stats;
      check(s.liveFlows === s.flowsCreated - s.flowsEnded, 'live flows disagree with created - ended');
      table.flush();
      check(
        table.stats.liveFlows === 0 && table.stats.flowsEnded === table.stats.flowsCreated,
        'flush left flows',
      );
      check(ended.length === table.stats.flowsEnded, 'onEnd calls disagree with flowsEnded');
      for (const f of ended) {
        check(f.origPkts + f.respPkts >= 1, `flow ${f.uid} without packets`);
        check(f.duration >= 0, `flow ${f.uid} has negative duration`);
        const log = recorder.toConnLog(f);
        check(log.orig_bytes >= 0 && log.resp_bytes >= 0, `flow ${f.uid} negative orig_bytes`);
        f.communityId();
      }
    },
  };
}

/** Transport payloads of the corpus frames sent to or from one of `ports` over `ipProto`. */
async function corpusPayloads(ipProto: number, ports: readonly number[]): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const f of await corpusFrames()) {
    decoder.decode(f.bytes, 0, f.bytes.length, f.linkType, decoded, f.bytes.length);
    if (decoded.ipProto !== ipProto || decoded.payloadEnd <= decoded.payloadOff) continue;
    if (!ports.includes(decoded.srcPort) && !ports.includes(decoded.dstPort)) continue;
    out.push(f.bytes.slice(decoded.payloadOff, decoded.payloadEnd));
  }
  return out;
}

/** TLS handshake bodies of type `type` at the start of a TCP payload (record header, handshake header). */
async function tlsHelloBodies(type: number): Promise<Uint8Array[]> {
  return (await corpusPayloads(6, [443, 8443, 993, 995, 465]))
    .filter((p) => p.length > 9 && p[0] === 22 && p[5] === type)
    .map((p) => p.subarray(9));
}

/**
 * DER certificates in corpus TLS payloads: from each `30 82 .. .. 30 82` (a certificate and its
 * tbsCertificate, both long) to the certificate's end or the end of the segment, which cuts some short.
 */
async function certificateSeeds(): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const p of await corpusPayloads(6, [443, 8443, 993, 995, 465])) {
    for (let i = 0; i + 8 <= p.length; i++) {
      if (p[i] !== 0x30 || p[i + 1] !== 0x82 || p[i + 4] !== 0x30 || p[i + 5] !== 0x82) continue;
      const end = Math.min(p.length, i + 4 + ((p[i + 2]! << 8) | p[i + 3]!));
      out.push(p.slice(i, end));
      i = end - 1;
    }
  }
  return out;
}

const dnsMessage = new DnsMessage();
const certificate = new CertificateInfo();
const dhcpMessage = new DhcpMessage();
const dhcpv6Message = new Dhcpv6Message();
const clientHello = new ClientHello();
const serverHello = new ServerHello();
const httpHead = new HttpHead();

function dnsTarget(): FuzzTarget {
  return {
    name: 'dns-message',
    maxInput: 4096,
    seeds: async () => spread(await corpusPayloads(17, [53, 5353, 5355])),
    run(input) {
      // Name decoding must end (a pointer loop would show as a slow input or a hang) and stay bounded.
      if (!parseDnsMessage(input, 0, input.length, dnsMessage)) return;
      check(dnsMessage.qname.length <= 4 * MAX_DNS_NAME, `qname of ${dnsMessage.qname.length} characters`);
      check(dnsMessage.answers.length <= MAX_DNS_ANSWERS, `${dnsMessage.answers.length} answers`);
      for (const a of dnsMessage.answers) check(a.length <= 4 * 1024, `answer of ${a.length} characters`);
    },
  };
}

function tlsTarget(name: string, type: number): FuzzTarget {
  return {
    name,
    maxInput: 8192,
    seeds: async () => spread(await tlsHelloBodies(type)),
    run(input) {
      if (type === 1) {
        if (parseClientHello(input, 0, input.length, clientHello)) {
          ja3(clientHello);
          ja4(clientHello);
        }
      } else parseServerHello(input, 0, input.length, serverHello);
    },
  };
}

function x509Target(): FuzzTarget {
  return {
    name: 'x509-certificate',
    maxInput: 8192,
    seeds: async () => spread(await certificateSeeds()),
    run(input) {
      parseCertificate(input, 0, input.length, certificate);
      // Names are built from at most 32 values of 1 KiB, each byte printed as at most 3 characters.
      for (const name of [certificate.subject, certificate.issuer])
        check((name ?? '').length <= 32 * (3 * 1024 + 64), `name of ${name?.length} characters`);
    },
  };
}

function dhcpTarget(): FuzzTarget {
  return {
    name: 'dhcp-message',
    maxInput: 1500,
    seeds: async () => spread(await corpusPayloads(17, [67, 68])),
    run(input) {
      parseDhcpMessage(input, 0, input.length, dhcpMessage);
      // Option 55 prints at most 255 codes of 3 digits and a comma.
      check((dhcpMessage.paramList ?? '').length < 4 * 256, 'parameter list too long');
    },
  };
}

function dhcpv6Target(): FuzzTarget {
  return {
    name: 'dhcpv6-message',
    maxInput: 1500,
    seeds: async () => spread(await corpusPayloads(17, [546, 547])),
    run(input) {
      parseDhcpv6Message(input, 0, input.length, dhcpv6Message);
      const n = Math.max(dhcpv6Message.addresses.length, dhcpv6Message.prefixes.length);
      check(n <= MAX_DHCPV6_ADDRESSES, `${n} addresses kept`);
    },
  };
}

function httpTarget(name: string, isRequest: boolean): FuzzTarget {
  return {
    name,
    maxInput: 8192,
    seeds: async () =>
      spread((await corpusPayloads(6, [80, 8080, 8000, 3128])).filter((p) => (p[0] === 0x48) !== isRequest)),
    run(input) {
      parseHttpHead(input, 0, input.length, isRequest, httpHead);
    },
  };
}

/**
 * A conversation through decoder, flow table and app dispatcher to records: input is segments of
 * [direction bit + milliseconds to wait, 16-bit big-endian length, payload]; TCP flows get a handshake.
 */
function appTarget(name: string, port: number, ipProto: number, ports: readonly number[]): FuzzTarget {
  return {
    name,
    maxInput: 32 * 1024,
    async seeds() {
      const payloads = await corpusPayloads(ipProto, ports);
      const seeds: Uint8Array[] = [];
      for (let i = 0; i + 4 <= payloads.length && seeds.length < MAX_SEEDS; i += 4) {
        const parts: number[] = [];
        for (let k = i; k < i + 4; k++) {
          const p = payloads[k]!;
          parts.push(k % 2 === 0 ? 0 : 0x80, p.length >> 8, p.length & 0xff, ...p);
        }
        seeds.push(new Uint8Array(parts));
      }
      return seeds;
    },
    run(input) {
      const h = new AppHarness(port);
      if (ipProto === 6) h.handshake();
      let off = 0;
      while (off + 3 <= input.length) {
        const fromClient = (input[off]! & 0x80) === 0;
        h.wait(input[off]! & 0x7f);
        const len = (input[off + 1]! << 8) | input[off + 2]!;
        off += 3;
        const payload = input.subarray(off, Math.min(off + len, input.length));
        off += payload.length;
        if (ipProto === 6) h.tcp(fromClient, payload);
        else h.udp(fromClient, payload);
      }
      h.end();
      for (const log of h.dns) check((log.query ?? '').length <= 4 * MAX_DNS_NAME, 'dns query too long');
    },
  };
}

/** Checks one reassembler's output: until a direction's first gap (or altered segment) it is the stream. */
class StreamCheck implements StreamSink {
  /** Stream position expected next per direction (orig, resp); -1: no longer checked. */
  readonly expect = [0, 0];
  data(b: Uint8Array, off: number, end: number, isOrig: boolean): void {
    const k = isOrig ? 0 : 1;
    let p = this.expect[k]!;
    if (p < 0) return;
    for (let i = off; i < end; i++, p++)
      if (b[i] !== REASSEMBLY_STREAM[p]) check(false, `byte ${p} out of order`);
    this.expect[k] = p;
  }
  gap(isOrig: boolean): void {
    this.expect[isOrig ? 0 : 1] = -1;
  }
}

/** The bytes every fuzzed TCP stream carries: position i holds a byte derived from i. */
const REASSEMBLY_STREAM = Uint8Array.from(
  { length: 0x10000 + 0x100 },
  (_, i) => (i * 131 + (i >>> 8)) & 0xff,
);
const REASSEMBLY_FUZZ_LIMITS = { flowBytes: 1024, totalBytes: 1536, segments: 16 };

/**
 * Two TCP reassemblers sharing one pool with small caps, so the caps are reached. Input: 4 bytes of base
 * sequence number, then operations [op, position high, position low, length]: op bit 7 picks the direction,
 * bit 5 the reassembler, bit 6 alters the segment's bytes, bits 0–1 say segment (0, 1), ack (2) or flush (3).
 * Segments carry the stream's bytes at their position, so until a gap each direction delivers the stream;
 * held bytes stay within the caps and add up in the pool.
 */
function reassemblyTarget(): FuzzTarget {
  const lim = REASSEMBLY_FUZZ_LIMITS;
  return {
    name: 'tcp-reassembly',
    maxInput: 4 * 1024,
    async seeds() {
      // Corpus TCP payload sizes as segments: in order, reversed, and odd ones first, near the 2^32 wrap.
      const sizes = (await corpusPayloads(6, [80, 443, 53])).map((p) => Math.min(255, p.length));
      const seeds: Uint8Array[] = [];
      for (let i = 0; i + 8 <= sizes.length && seeds.length < MAX_SEEDS; i += 8) {
        let pos = 0;
        const segs = sizes.slice(i, i + 8).map((n) => {
          const seg = [pos, n] as const;
          pos += n;
          return seg;
        });
        const shape = (i / 8) % 3;
        const order =
          shape === 0
            ? segs
            : shape === 1
              ? segs.reverse()
              : [...segs.filter((_, k) => k % 2 === 1), ...segs.filter((_, k) => k % 2 === 0)];
        const ops = [0xff, 0xff, 0xff, i & 0xff];
        for (const [p, n] of order) ops.push((i / 8) % 2 === 0 ? 0 : 0xa0, p >> 8, p & 0xff, n);
        ops.push(2, pos >> 8, pos & 0xff, 0);
        seeds.push(new Uint8Array(ops));
      }
      return seeds;
    },
    run(input) {
      if (input.length < 4) return;
      const base = ((input[0]! << 24) | (input[1]! << 16) | (input[2]! << 8) | input[3]!) >>> 0;
      const pool = new ReassemblyPool(lim);
      const sinks = [new StreamCheck(), new StreamCheck()];
      const rs = sinks.map((sink) => new TcpReassembler(sink, pool));
      for (let off = 4; off + 4 <= input.length; off += 4) {
        const op = input[off]!;
        const isOrig = (op & 0x80) === 0;
        const k = isOrig ? 0 : 1;
        const which = (op >> 5) & 1;
        const r = rs[which]!;
        const sink = sinks[which]!;
        const pos = (input[off + 1]! << 8) | input[off + 2]!;
        const len = input[off + 3]!;
        const seq = (base + pos) >>> 0;
        const kind = op & 3;
        if (kind === 3) {
          r.flush();
          check(r.held === 0, 'flush left bytes held');
        } else if (kind === 2) {
          if (r.started(isOrig)) r.acked(isOrig, seq);
        } else if (len > 0) {
          let bytes = REASSEMBLY_STREAM.subarray(pos, pos + len);
          if ((op & 0x40) !== 0) {
            bytes = bytes.map((x) => x ^ 0x5a);
            sink.expect[k] = -1;
          }
          if (!r.started(isOrig)) {
            r.begin(isOrig, base, seq, len);
            // A first segment beyond anything that could be held starts the stream (begin's rule).
            if (pos >= lim.flowBytes && sink.expect[k] === 0) sink.expect[k] = pos;
          }
          r.segment(isOrig, seq, bytes, 0, len, off);
        }
        check(rs[0]!.held <= lim.flowBytes && rs[1]!.held <= lim.flowBytes, 'over the per-flow cap');
        check(pool.held === rs[0]!.held + rs[1]!.held, 'the pool disagrees with its reassemblers');
        check(pool.held <= lim.totalBytes, 'over the total cap');
      }
      for (const r of rs) r.flush();
      check(pool.held === 0, 'flush left bytes held');
    },
  };
}

export const TARGETS: readonly FuzzTarget[] = [
  decoderTarget('null', LinkType.NULL),
  decoderTarget('ethernet', LinkType.ETHERNET),
  decoderTarget('ppp', LinkType.PPP),
  decoderTarget('raw', LinkType.RAW),
  decoderTarget('chdlc', LinkType.C_HDLC),
  decoderTarget('ieee802-11', LinkType.IEEE802_11),
  decoderTarget('loop', LinkType.LOOP),
  decoderTarget('linux-sll', LinkType.LINUX_SLL),
  decoderTarget('radiotap', LinkType.IEEE802_11_RADIOTAP),
  decoderTarget('ipv4', LinkType.IPV4),
  decoderTarget('ipv6', LinkType.IPV6),
  decoderTarget('nflog', LinkType.NFLOG),
  decoderTarget('linux-sll2', LinkType.LINUX_SLL2),
  readerTarget('pcap', false),
  readerTarget('pcapng', true),
  flowTarget(),
  reassemblyTarget(),
  dnsTarget(),
  tlsTarget('tls-client-hello', 1),
  tlsTarget('tls-server-hello', 2),
  x509Target(),
  dhcpTarget(),
  dhcpv6Target(),
  httpTarget('http-request-head', true),
  httpTarget('http-response-head', false),
  appTarget('app-dns', 53, 17, [53]),
  appTarget('app-tls', 443, 6, [443]),
  appTarget('app-dhcpv6', 547, 17, [546, 547]),
  appTarget('app-http', 80, 6, [80, 8080]),
];

export function findTarget(name: string): FuzzTarget | undefined {
  return TARGETS.find((t) => t.name === name);
}
