/**
 * IPFIX message encoder (RFC 7011): flows in, whole messages out. Sync and free of I/O, so it is tested
 * byte for byte; exporter.ts sends what it emits.
 *
 * A message is the 16-byte header, the template set when it is due, then data sets (one per run of records
 * of the same template). Messages never exceed `maxMessageBytes`, so they fit one UDP datagram under the
 * path MTU. Over UDP the collector may have missed or forgotten the templates, so they are sent again in the
 * first message after every `templateEveryMessages` messages or `templateEverySeconds` seconds (§8.4).
 */
import { IPV6_TEMPLATE, REVERSE_PEN, TEMPLATES, templateOf, type Template } from './information-elements.js';
import type { IpfixFlow } from './flow-record.js';

export const IPFIX_VERSION = 10;
export const MESSAGE_HEADER_BYTES = 16;
const SET_HEADER_BYTES = 4;
const TEMPLATE_SET_ID = 2;
const ENTERPRISE_BIT = 0x8000;

/** 1400 bytes of IPFIX + 8 UDP + 40 IPv6 stay under a 1500-byte MTU, with room for tunnels. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1400;
export const DEFAULT_TEMPLATE_EVERY_MESSAGES = 20;
export const DEFAULT_TEMPLATE_EVERY_SECONDS = 30;

export interface IpfixEncoderOptions {
  readonly observationDomainId?: number;
  readonly maxMessageBytes?: number;
  readonly templateEveryMessages?: number;
  readonly templateEverySeconds?: number;
  /** Export time in seconds since the epoch; the wall clock by default. */
  readonly now?: () => number;
}

/** The template set: all templates, as one set. */
function templateSet(): Uint8Array {
  let length = SET_HEADER_BYTES;
  for (const t of TEMPLATES) {
    length += 4;
    for (const f of t.fields) length += f.reverse ? 8 : 4;
  }
  const b = new Uint8Array(length);
  const v = new DataView(b.buffer);
  v.setUint16(0, TEMPLATE_SET_ID);
  v.setUint16(2, length);
  let o = SET_HEADER_BYTES;
  for (const t of TEMPLATES) {
    v.setUint16(o, t.id);
    v.setUint16(o + 2, t.fields.length);
    o += 4;
    for (const f of t.fields) {
      v.setUint16(o, f.reverse ? f.id | ENTERPRISE_BIT : f.id);
      v.setUint16(o + 2, f.length);
      o += 4;
      if (f.reverse) {
        v.setUint32(o, REVERSE_PEN);
        o += 4;
      }
    }
  }
  return b;
}

const TEMPLATE_SET = templateSet();

export class IpfixEncoder {
  readonly #emit: (message: Uint8Array, records: number) => void;
  readonly #domain: number;
  readonly #max: number;
  readonly #templateEveryMessages: number;
  readonly #templateEverySeconds: number;
  readonly #now: () => number;
  readonly #buf: Uint8Array;
  readonly #view: DataView;
  /** Bytes of the open message; 0 when none is open. */
  #len = 0;
  #setStart = -1;
  #setTemplate: Template | null = null;
  #records = 0;
  /** Data records in all messages emitted so far, modulo 2^32 (the next header's sequence number). */
  #sequence = 0;
  #messagesSinceTemplates = Infinity;
  #templatesAt = -Infinity;

  constructor(emit: (message: Uint8Array, records: number) => void, opts: IpfixEncoderOptions = {}) {
    this.#emit = emit;
    this.#domain = opts.observationDomainId ?? 0;
    this.#max = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.#templateEveryMessages = opts.templateEveryMessages ?? DEFAULT_TEMPLATE_EVERY_MESSAGES;
    this.#templateEverySeconds = opts.templateEverySeconds ?? DEFAULT_TEMPLATE_EVERY_SECONDS;
    this.#now = opts.now ?? ((): number => Math.floor(Date.now() / 1000));
    const smallest =
      MESSAGE_HEADER_BYTES + TEMPLATE_SET.length + SET_HEADER_BYTES + IPV6_TEMPLATE.recordLength;
    if (this.#max < smallest || this.#max > 0xffff)
      throw new RangeError(`maxMessageBytes must be between ${smallest} and 65535`);
    this.#buf = new Uint8Array(this.#max);
    this.#view = new DataView(this.#buf.buffer);
  }

  /** The sequence number the next message will carry. */
  get sequence(): number {
    return this.#sequence;
  }

  add(flow: IpfixFlow): void {
    const template = templateOf(flow.v6, flow.icmp);
    const need = template.recordLength + (template === this.#setTemplate ? 0 : SET_HEADER_BYTES);
    if (this.#len > 0 && this.#len + need > this.#max) this.#finish();
    if (this.#len === 0) this.#open();
    if (template !== this.#setTemplate) {
      this.#closeSet();
      this.#setStart = this.#len;
      this.#setTemplate = template;
      this.#view.setUint16(this.#len, template.id);
      this.#len += SET_HEADER_BYTES;
    }
    this.#len = writeRecord(this.#view, this.#buf, this.#len, flow);
    this.#records++;
  }

  /** Emits the open message, if any: on a timer and at the end. */
  flush(): void {
    if (this.#len > 0) this.#finish();
  }

  #open(): void {
    this.#len = MESSAGE_HEADER_BYTES;
    const now = this.#now();
    const due =
      this.#messagesSinceTemplates >= this.#templateEveryMessages ||
      now - this.#templatesAt >= this.#templateEverySeconds;
    if (due) {
      this.#buf.set(TEMPLATE_SET, this.#len);
      this.#len += TEMPLATE_SET.length;
      this.#messagesSinceTemplates = 0;
      this.#templatesAt = now;
    }
  }

  #closeSet(): void {
    if (this.#setStart >= 0) this.#view.setUint16(this.#setStart + 2, this.#len - this.#setStart);
    this.#setStart = -1;
    this.#setTemplate = null;
  }

  #finish(): void {
    this.#closeSet();
    const v = this.#view;
    v.setUint16(0, IPFIX_VERSION);
    v.setUint16(2, this.#len);
    v.setUint32(4, this.#now() >>> 0);
    v.setUint32(8, this.#sequence);
    v.setUint32(12, this.#domain);
    const message = this.#buf.slice(0, this.#len);
    const records = this.#records;
    this.#sequence = (this.#sequence + records) >>> 0;
    this.#records = 0;
    this.#len = 0;
    this.#messagesSinceTemplates++;
    this.#emit(message, records);
  }
}

const TWO_POW_32 = 2 ** 32;

function setUint64(v: DataView, o: number, n: number): void {
  v.setUint32(o, Math.floor(n / TWO_POW_32));
  v.setUint32(o + 4, n % TWO_POW_32);
}

/** One data record, in the field order of information-elements.ts; returns the offset after it. */
function writeRecord(v: DataView, b: Uint8Array, o: number, f: IpfixFlow): number {
  const addrLen = f.v6 ? 16 : 4;
  setUint64(v, o, f.startMs);
  setUint64(v, o + 8, f.endMs);
  o += 16;
  for (let i = 0; i < addrLen; i++) b[o + i] = f.src[i]!;
  o += addrLen;
  for (let i = 0; i < addrLen; i++) b[o + i] = f.dst[i]!;
  o += addrLen;
  if (f.icmp) {
    v.setUint16(o, f.icmpTypeCode);
    o += 2;
  } else {
    v.setUint16(o, f.srcPort);
    v.setUint16(o + 2, f.dstPort);
    o += 4;
  }
  v.setUint8(o, f.proto);
  v.setUint16(o + 1, f.vlan);
  setUint64(v, o + 3, f.packets);
  setUint64(v, o + 11, f.octets);
  o += 19;
  if (!f.icmp) {
    v.setUint16(o, f.tcpFlags);
    o += 2;
  }
  setUint64(v, o, f.reversePackets);
  setUint64(v, o + 8, f.reverseOctets);
  return o + 16;
}
