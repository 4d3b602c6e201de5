import type { ConnLog, DnsLog, LogStream } from '../schema/streams.js';
import { dayOfMicros } from './postgres/partitions.js';

/**
 * The sums two log streams keep beside their rows, per UTC day of `ts` (the days PostgreSQL partitions
 * by), capture and key (SQLite migration 11, PostgreSQL 9): flows per responder (`flow_destinations`:
 * flows and IP bytes) and DNS queries per name (`dns_queries`). The stores add a batch's sums in the
 * batch's transaction, so the flow count, top destinations and top domains over everything stored read
 * a row per day and key instead of every flow.
 */
export const LOG_SUMS = {
  flows: { table: 'flow_destinations', key: 'resp_h', values: ['flows', 'bytes'] },
  dns: { table: 'dns_queries', key: 'query', values: ['queries'] },
} as const;
export type SummedStream = keyof typeof LOG_SUMS;

export const isSummed = (stream: LogStream): stream is SummedStream => stream in LOG_SUMS;

/** One day and key of a batch, with what it adds to each of LOG_SUMS[stream].values in order. */
export interface DaySum {
  readonly day: number;
  readonly key: string;
  readonly values: number[];
}

/** A batch's sums: one per day and key (records without a key, a DNS message without a query, are left out). */
export function logDaySums(stream: SummedStream, logs: readonly object[]): DaySum[] {
  const sums = new Map<string, DaySum>();
  const add = (ts: number, key: string | null, values: number[]): void => {
    if (key === null) return;
    const day = dayOfMicros(ts);
    const id = `${day}\u0000${key}`;
    const sum = sums.get(id);
    if (sum === undefined) sums.set(id, { day, key, values });
    else for (let i = 0; i < values.length; i++) sum.values[i] = sum.values[i]! + values[i]!;
  };
  if (stream === 'flows')
    for (const f of logs as readonly ConnLog[]) add(f.ts, f.resp_h, [1, f.orig_ip_bytes + f.resp_ip_bytes]);
  else for (const d of logs as readonly DnsLog[]) add(d.ts, d.query, [1]);
  return [...sums.values()];
}
