import type pg from 'pg';

const DAY_SECONDS = 86_400;
const DAY_US = DAY_SECONDS * 1_000_000;

/**
 * A table partitioned by day on a time column: `timestamptz` (traffic.ts) or integer microseconds
 * (flows.ts_us, as the log schemas store `time` fields). Adding a partitioned log table is one entry in
 * PARTITIONED_TABLES plus its migration.
 */
export interface PartitionedTable {
  readonly name: string;
  readonly key: 'timestamptz' | 'micros';
}

export const PARTITIONED_TABLES = {
  traffic: { name: 'traffic', key: 'timestamptz' },
  flows: { name: 'flows', key: 'micros' },
  dns: { name: 'dns', key: 'micros' },
  tls: { name: 'tls', key: 'micros' },
  http: { name: 'http', key: 'micros' },
  dhcp: { name: 'dhcp', key: 'micros' },
  dhcpv6: { name: 'dhcpv6', key: 'micros' },
  quic: { name: 'quic', key: 'micros' },
} as const satisfies Record<string, PartitionedTable>;

/** Serializes schema changes (migrations, partitions, retention) between sensors sharing a database. */
export const NTA_LOCK_KEY = 0x4e544131;

/** Days since the epoch (UTC) of a time in seconds or in microseconds. */
export const dayOfSeconds = (sec: number): number => Math.floor(sec / DAY_SECONDS);
export const dayOfMicros = (us: number): number => Math.floor(us / DAY_US);

/** `traffic_p20240131`: sortable, and parseable back into its day for retention. */
function partitionName(table: PartitionedTable, day: number): string {
  return `${table.name}_p${new Date(day * DAY_SECONDS * 1000).toISOString().slice(0, 10).replaceAll('-', '')}`;
}

function bound(table: PartitionedTable, day: number): string {
  if (table.key === 'micros') return String(day * DAY_US);
  return `'${new Date(day * DAY_SECONDS * 1000).toISOString()}'`;
}

/**
 * Creates daily partitions on demand and drops those past the retention. Days known to exist are cached,
 * so a batch costs a lookup per distinct day, and a round trip only on the first row of a new day.
 */
export class Partitions {
  readonly #client: () => pg.Client;
  readonly #retentionDays: number | null;
  readonly #known = new Map<PartitionedTable, Set<number>>();

  /** `client` gives the current connection (a new one after a reconnect). */
  constructor(client: () => pg.Client, retentionDays: number | null) {
    this.#client = client;
    this.#retentionDays = retentionDays;
  }

  /** Makes sure a partition exists for each day in `days`. */
  async ensure(table: PartitionedTable, days: Iterable<number>): Promise<void> {
    let known = this.#known.get(table);
    if (known === undefined) this.#known.set(table, (known = new Set()));
    const missing = [...days].filter((d) => !known.has(d));
    if (missing.length === 0) return;
    // A new day has begun (or a capture from another time arrived): a good moment to apply the retention,
    // before creating, so a partition is never dropped between its creation and its first rows.
    await this.applyRetention();
    await this.#locked(async () => {
      for (const day of missing) {
        await this.#client().query(
          `CREATE TABLE IF NOT EXISTS ${partitionName(table, day)} PARTITION OF ${table.name}
           FOR VALUES FROM (${bound(table, day)}) TO (${bound(table, day + 1)})`,
        );
        known.add(day);
      }
    });
  }

  /** Drops every daily partition that ended more than the retention ago (by the wall clock). */
  async applyRetention(now = Date.now()): Promise<string[]> {
    if (this.#retentionDays === null) return [];
    const firstKept = dayOfSeconds(now / 1000) - this.#retentionDays;
    const dropped: string[] = [];
    await this.#locked(async () => {
      for (const table of Object.values(PARTITIONED_TABLES)) {
        const res = await this.#client().query<{ name: string }>(
          `SELECT c.relname AS name FROM pg_inherits i
             JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
           WHERE p.relname = $1 AND c.relname ~ '_p[0-9]{8}$'`,
          [table.name],
        );
        for (const { name } of res.rows) {
          const ymd = name.slice(-8);
          const day = dayOfSeconds(Date.UTC(+ymd.slice(0, 4), +ymd.slice(4, 6) - 1, +ymd.slice(6)) / 1000);
          // A partition covers [day, day + 1): it is past the retention once day + 1 <= firstKept.
          if (day + 1 > firstKept) continue;
          await this.#client().query(`DROP TABLE ${name}`);
          this.#known.get(table)?.delete(day);
          dropped.push(name);
        }
      }
      await this.#subtractDroppedSeconds(firstKept * DAY_SECONDS);
      // The per-second and per-day sums go with the partitions they sum.
      for (const table of ['traffic_seconds', 'traffic_host_seconds', 'traffic_port_seconds'])
        await this.#client().query(`DELETE FROM ${table} WHERE second < $1`, [firstKept * DAY_SECONDS]);
      await this.#client().query('DELETE FROM flow_destinations WHERE day < $1', [firstKept]);
      await this.#client().query('DELETE FROM dns_queries WHERE day < $1', [firstKept]);
      // Replay marks older than the retention guard nothing any more: their rows are gone.
      await this.#client().query(`DELETE FROM ingest_batches WHERE at < now() - make_interval(days => $1)`, [
        this.#retentionDays,
      ]);
    });
    return dropped;
  }

  /**
   * Takes what the traffic before `end` (a UTC second, a day's start) added to the per-capture address and
   * port totals off them, and deletes the totals left at zero, as SQLite's retention does. The per-second
   * address and port sums before `end` hold exactly the rows of the partitions dropped (a row's second and
   * its partition's day come from the same time); the caller deletes them next. Rows without a time are in
   * the totals but in no per-second sum: they stay in traffic_default, and what they added stays too (SQLite
   * keeps them likewise). capture_id compares with `=`: this store always writes one.
   */
  async #subtractDroppedSeconds(end: number): Promise<void> {
    const client = this.#client();
    // A traffic writer upserts the totals in the transaction of its COPY into traffic, after it. Holding
    // traffic first (the DROPs above took it whole, else this waits for the COPYs under way) means no
    // writer can hold a total this needs while waiting for this transaction's DROPs: no deadlock.
    await client.query('LOCK TABLE traffic IN SHARE MODE');
    await client.query(
      `UPDATE traffic_hosts t SET sent_packets = t.sent_packets - d.sp, sent_bytes = t.sent_bytes - d.sb,
         received_packets = t.received_packets - d.rp, received_bytes = t.received_bytes - d.rb
       FROM (SELECT sensor, capture_id, host, sum(sent_packets) AS sp, sum(sent_bytes) AS sb,
               sum(received_packets) AS rp, sum(received_bytes) AS rb
             FROM traffic_host_seconds WHERE second < $1 GROUP BY 1, 2, 3) AS d
       WHERE t.host = d.host AND t.capture_id = d.capture_id AND t.sensor = d.sensor`,
      [end],
    );
    await client.query(
      `UPDATE traffic_ports t SET packets = t.packets - d.p, bytes = t.bytes - d.b
       FROM (SELECT sensor, capture_id, protocol, port, sum(packets) AS p, sum(bytes) AS b
             FROM traffic_port_seconds WHERE second < $1 GROUP BY 1, 2, 3, 4) AS d
       WHERE t.protocol = d.protocol AND t.port = d.port AND t.capture_id = d.capture_id
         AND t.sensor = d.sensor`,
      [end],
    );
    await client.query(
      `DELETE FROM traffic_hosts WHERE sent_packets = 0 AND received_packets = 0
         AND (host, capture_id, sensor) IN
           (SELECT host, capture_id, sensor FROM traffic_host_seconds WHERE second < $1)`,
      [end],
    );
    await client.query(
      `DELETE FROM traffic_ports WHERE packets = 0 AND (protocol, port, capture_id, sensor) IN
         (SELECT protocol, port, capture_id, sensor FROM traffic_port_seconds WHERE second < $1)`,
      [end],
    );
  }

  async #locked(work: () => Promise<void>): Promise<void> {
    await this.#client().query('BEGIN');
    try {
      await this.#client().query('SELECT pg_advisory_xact_lock($1)', [NTA_LOCK_KEY]);
      await work();
      await this.#client().query('COMMIT');
    } catch (err) {
      await this.#client()
        .query('ROLLBACK')
        .catch(() => undefined);
      throw err;
    }
  }
}
