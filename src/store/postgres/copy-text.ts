import { AddressTextCache } from '../../core/addr.js';
import { TimestampFormatter } from '../../core/time.js';
import { sqlColumns, type Field } from '../../schema/log-schema.js';
import { ADDR_BYTES, TRAFFIC_COLUMNS, type TrafficRecords } from '../../schema/traffic.js';
import { IP_PROTOCOL_NAMES } from '../../schema/ip-protocols.js';
import type { LogStream } from '../../schema/streams.js';
import { LOG_SUMS, isSummed, logDaySums } from '../log-sums.js';
import { TrafficSums } from '../traffic-sums.js';
import { dayOfMicros, dayOfSeconds } from './partitions.js';

/** COPY's text format: NULL marker and the characters that must be escaped in a value. */
const NULL = '\\N';
const SPECIAL = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** A text value for COPY (tabs, newlines and backslashes escaped). */
export function copyText(s: string): string {
  return s.replace(SPECIAL, (c) => ESCAPES[c]!);
}

/** The rows of one COPY, and the days they fall on (for the partitions). */
export interface CopyBatch {
  readonly text: string;
  readonly rows: number;
  readonly days: ReadonlySet<number>;
}

export const TRAFFIC_COPY_COLUMNS = [...TRAFFIC_COLUMNS, 'capture_id', 'sensor', 'ts'] as const;

/** The columns of the tables a batch's sums are copied into (see migrations.ts). */
export const SUMS_COPY_COLUMNS = {
  traffic_seconds: ['capture_id', 'second', 'protocol', 'packets', 'bytes', 'first_ts', 'last_ts', 'sensor'],
  traffic_hosts: [
    'capture_id',
    'host',
    'sent_packets',
    'sent_bytes',
    'received_packets',
    'received_bytes',
    'sensor',
  ],
  traffic_ports: ['capture_id', 'protocol', 'port', 'packets', 'bytes', 'sensor'],
  flow_destinations: ['day', 'capture_id', 'resp_h', 'flows', 'bytes', 'sensor'],
  dns_queries: ['day', 'capture_id', 'query', 'queries', 'sensor'],
  traffic_host_seconds: [
    'capture_id',
    'second',
    'host',
    'sent_packets',
    'sent_bytes',
    'received_packets',
    'received_bytes',
    'sensor',
  ],
  traffic_port_seconds: ['capture_id', 'second', 'protocol', 'port', 'packets', 'bytes', 'sensor'],
} as const;
export type SumsTable = keyof typeof SUMS_COPY_COLUMNS;

/** A traffic batch's rows, and its sums as COPY text for each sums table. */
export interface TrafficCopyBatch extends CopyBatch {
  readonly sums: readonly (readonly [table: SumsTable, text: string])[];
}

/** Turns binary traffic records into COPY text: the same values the SQLite traffic writer stores. */
export class TrafficCopyFormatter {
  readonly #time = new TimestampFormatter();
  readonly #addr = new AddressTextCache();
  readonly #sums = new TrafficSums();
  readonly #sensor: string;

  constructor(sensor: string) {
    this.#sensor = copyText(sensor);
  }

  format(rec: TrafficRecords, captureId: number): TrafficCopyBatch {
    const tail = `\t${Math.trunc(captureId)}\t${this.#sensor}\t`;
    const days = new Set<number>();
    let lastDay = NaN;
    let text = '';
    for (let i = 0; i < rec.count; i++) {
      const proto = rec.ipProto[i]!;
      const a = i * ADDR_BYTES;
      const v6 = rec.ipVersion[i] === 6;
      const sp = rec.srcPort[i]!;
      const dp = rec.dstPort[i]!;
      let ts = NULL;
      let tsz = NULL;
      const protocol = proto < 0 ? NULL : IP_PROTOCOL_NAMES[proto]!;
      if (rec.hasTs[i] === 1) {
        const sec = rec.tsSec[i]!;
        ts = this.#time.format(sec, rec.tsNsec[i]!);
        tsz = ts + '+00';
        const day = dayOfSeconds(sec);
        if (day !== lastDay) days.add((lastDay = day));
      }
      const src = v6 ? this.#addr.ipv6(rec.src, a) : this.#addr.ipv4(rec.src, a);
      const dst = v6 ? this.#addr.ipv6(rec.dst, a) : this.#addr.ipv4(rec.dst, a);
      this.#sums.add(
        rec.tsSec[i]!,
        rec.tsNsec[i]!,
        ts === NULL ? null : ts,
        proto,
        proto < 0 ? '' : protocol,
        src,
        dst,
        sp,
        dp,
        rec.length[i]!,
        0,
      );
      text +=
        ts +
        '\t' +
        src +
        '\t' +
        dst +
        '\t' +
        protocol +
        '\t' +
        (sp < 0 ? NULL : sp) +
        '\t' +
        (dp < 0 ? NULL : dp) +
        '\t' +
        rec.frame[i]! +
        '\t' +
        (proto < 0 ? NULL : proto) +
        '\t' +
        rec.length[i]! +
        tail +
        tsz +
        '\n';
    }
    const sums = this.#sumsText(captureId);
    this.#sums.clear();
    return { text, rows: rec.count, days, sums };
  }

  /** The batch's sums as rows of SUMS_COPY_COLUMNS; addresses and protocol names need no escaping. */
  #sumsText(captureId: number): [SumsTable, string][] {
    const id = Math.trunc(captureId);
    const tail = `\t${this.#sensor}\n`;
    let seconds = '';
    for (const g of this.#sums.seconds())
      seconds += `${id}\t${g.second ?? NULL}\t${g.protocol}\t${g.packets}\t${g.bytes}\t${g.firstTs ?? NULL}\t${
        g.lastTs ?? NULL
      }${tail}`;
    let hosts = '';
    for (const h of this.#sums.hosts())
      hosts += `${id}\t${h.host}\t${h.sentPackets}\t${h.sentBytes}\t${h.receivedPackets}\t${h.receivedBytes}${tail}`;
    let ports = '';
    for (const p of this.#sums.ports())
      ports += `${id}\t${p.protocol}\t${p.port}\t${p.packets}\t${p.bytes}${tail}`;
    let hostSeconds = '';
    for (const h of this.#sums.hostSeconds())
      hostSeconds += `${id}\t${h.second}\t${h.host}\t${h.sentPackets}\t${h.sentBytes}\t${h.receivedPackets}\t${h.receivedBytes}${tail}`;
    let portSeconds = '';
    for (const p of this.#sums.portSeconds())
      portSeconds += `${id}\t${p.second}\t${p.protocol}\t${p.port}\t${p.packets}\t${p.bytes}${tail}`;
    return [
      ['traffic_seconds', seconds],
      ['traffic_hosts', hosts],
      ['traffic_ports', ports],
      ['traffic_host_seconds', hostSeconds],
      ['traffic_port_seconds', portSeconds],
    ];
  }
}

/**
 * Turns records of any log stream defined in src/schema (flows, dns, tls, http) into COPY text, in the column order of `sqlColumns(schema)` followed by capture_id and sensor. The day of the
 * first `time` field decides the partition.
 */
export class LogCopyFormatter<R extends object> {
  readonly columns: readonly string[];
  readonly #fields: readonly (readonly [name: string, type: Field['type']])[];
  readonly #partitionField: string;
  readonly #time = new TimestampFormatter();
  readonly #sensor: string;

  constructor(schema: Record<string, Field>, sensor: string) {
    this.columns = [...sqlColumns(schema), 'capture_id', 'sensor'];
    this.#fields = Object.entries(schema).map(([name, f]) => [name, f.type] as const);
    const timeField = this.#fields.find(([, type]) => type === 'time');
    if (timeField === undefined) throw new Error('a log needs a time field to partition by');
    this.#partitionField = timeField[0];
    this.#sensor = copyText(sensor);
  }

  format(logs: readonly R[], captureId: number): CopyBatch {
    const tail = `${Math.trunc(captureId)}\t${this.#sensor}\n`;
    const days = new Set<number>();
    let text = '';
    for (const log of logs) {
      const values = log as Record<string, unknown>;
      for (const [name, type] of this.#fields) {
        const v = values[name];
        if (v === null || v === undefined) {
          text += type === 'time' ? `${NULL}\t${NULL}\t` : `${NULL}\t`;
        } else if (type === 'time') {
          const us = v as number;
          const sec = Math.floor(us / 1e6);
          text += `${this.#time.format(sec, (us - sec * 1e6) * 1000)}\t${us}\t`;
          if (name === this.#partitionField) days.add(dayOfMicros(us));
        } else if (type === 'string' || type === 'addr') {
          text += copyText(v as string) + '\t';
        } else if (type === 'bool') {
          text += v === true ? '1\t' : '0\t';
        } else if (type === 'strings' || type === 'intervals') {
          text += copyText(JSON.stringify(v)) + '\t';
        } else {
          text += `${v as number}\t`;
        }
      }
      text += tail;
    }
    return { text, rows: logs.length, days };
  }
}

/** What a batch of log records adds to the sums kept for its stream (see log-sums.ts), as COPY text. */
export function logSums(
  stream: LogStream,
  logs: readonly object[],
  captureId: number,
  sensor: string,
): [SumsTable, string][] {
  if (!isSummed(stream)) return [];
  const tail = `\t${copyText(sensor)}\n`;
  const id = Math.trunc(captureId);
  let text = '';
  for (const s of logDaySums(stream, logs))
    text += `${s.day}\t${id}\t${copyText(s.key)}\t${s.values.join('\t')}${tail}`;
  return [[LOG_SUMS[stream].table, text]];
}
