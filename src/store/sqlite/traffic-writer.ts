import { AddressTextCache } from '../../core/addr.js';
import { TimestampFormatter } from '../../core/time.js';
import { ADDR_BYTES, TRAFFIC_COLUMNS, type TrafficRecords } from '../../schema/traffic.js';
import { IP_PROTOCOL_NAMES } from '../../schema/ip-protocols.js';
import {
  TrafficSums,
  type HostSecondSum,
  type HostSum,
  type PortSecondSum,
  type PortSum,
  type SecondSum,
} from '../traffic-sums.js';
import { RowBatch } from './row-batch.js';
import type { SqliteDb } from './database.js';
import type Database from 'better-sqlite3';

/** Rows per INSERT statement: multi-row VALUES lists insert ~1.7× faster than one row per statement. */
const ROWS_PER_STATEMENT = 32;

const HOST_SUMS_UPDATE = `
  sent_packets = sent_packets + excluded.sent_packets, sent_bytes = sent_bytes + excluded.sent_bytes,
  received_packets = received_packets + excluded.received_packets,
  received_bytes = received_bytes + excluded.received_bytes`;
const PORT_SUMS_UPDATE = 'packets = packets + excluded.packets, bytes = bytes + excluded.bytes';

function fillHostSums(v: unknown[], o: number, h: HostSum): void {
  v[o] = h.sentPackets;
  v[o + 1] = h.sentBytes;
  v[o + 2] = h.receivedPackets;
  v[o + 3] = h.receivedBytes;
}

function fillPortSums(v: unknown[], o: number, p: PortSum): void {
  v[o] = p.protocol;
  v[o + 1] = p.port;
  v[o + 2] = p.packets;
  v[o + 3] = p.bytes;
}

/**
 * Turns binary traffic records into rows and inserts them, one transaction per call, together with the
 * batch's sums in `traffic_seconds`, `traffic_hosts`, `traffic_ports`, `traffic_host_seconds` and
 * `traffic_port_seconds` (see traffic-sums.ts). The capture
 * id is the same for a whole batch, so it is written into the statement rather than bound for every row.
 */
export class TrafficWriter {
  readonly #db: SqliteDb;
  readonly #params: unknown[] = new Array<unknown>(TRAFFIC_COLUMNS.length * ROWS_PER_STATEMENT);
  readonly #one: unknown[] = new Array<unknown>(TRAFFIC_COLUMNS.length);
  readonly #time = new TimestampFormatter();
  readonly #addr = new AddressTextCache();
  readonly #sums = new TrafficSums();
  readonly #addSecond: RowBatch<SecondSum>;
  readonly #addHost: RowBatch<HostSum>;
  readonly #addPort: RowBatch<PortSum>;
  readonly #addHostSecond: RowBatch<HostSecondSum>;
  readonly #addPortSecond: RowBatch<PortSecondSum>;
  /** The capture the insert statements were prepared for: the batch being written, for the sums' rows too. */
  #captureId = -1;
  #insertMany: Database.Statement | undefined;
  #insertOne: Database.Statement | undefined;
  rowsWritten = 0;

  constructor(db: SqliteDb) {
    this.#db = db;
    this.#addSecond = new RowBatch<SecondSum>(
      db,
      9,
      (list) => `
        INSERT INTO traffic_seconds
          (capture_id, second, protocol, packets, bytes, first_ts, last_ts, first_id, last_id)
        VALUES ${list}
        ON CONFLICT (second, protocol, capture_id) DO UPDATE SET
          packets = packets + excluded.packets, bytes = bytes + excluded.bytes,
          first_ts = min(first_ts, excluded.first_ts), last_ts = max(last_ts, excluded.last_ts),
          first_id = min(first_id, excluded.first_id), last_id = max(last_id, excluded.last_id)`,
      (v, o, s) => {
        v[o] = this.#captureId;
        v[o + 1] = s.second;
        v[o + 2] = s.protocol;
        v[o + 3] = s.packets;
        v[o + 4] = s.bytes;
        v[o + 5] = s.firstTs;
        v[o + 6] = s.lastTs;
        v[o + 7] = s.firstId;
        v[o + 8] = s.lastId;
      },
    );
    this.#addHost = new RowBatch<HostSum>(
      db,
      6,
      (list) => `
        INSERT INTO traffic_hosts (capture_id, host, sent_packets, sent_bytes, received_packets, received_bytes)
        VALUES ${list}
        ON CONFLICT (host, capture_id) DO UPDATE SET ${HOST_SUMS_UPDATE}`,
      (v, o, h) => {
        v[o] = this.#captureId;
        v[o + 1] = h.host;
        fillHostSums(v, o + 2, h);
      },
    );
    this.#addPort = new RowBatch<PortSum>(
      db,
      5,
      (list) => `
        INSERT INTO traffic_ports (capture_id, protocol, port, packets, bytes)
        VALUES ${list}
        ON CONFLICT (protocol, port, capture_id) DO UPDATE SET ${PORT_SUMS_UPDATE}`,
      (v, o, p) => {
        v[o] = this.#captureId;
        fillPortSums(v, o + 1, p);
      },
    );
    this.#addHostSecond = new RowBatch<HostSecondSum>(
      db,
      7,
      (list) => `
        INSERT INTO traffic_host_seconds
          (capture_id, second, host, sent_packets, sent_bytes, received_packets, received_bytes)
        VALUES ${list}
        ON CONFLICT (second, host, capture_id) DO UPDATE SET ${HOST_SUMS_UPDATE}`,
      (v, o, h) => {
        v[o] = this.#captureId;
        v[o + 1] = h.second;
        v[o + 2] = h.host;
        fillHostSums(v, o + 3, h);
      },
    );
    this.#addPortSecond = new RowBatch<PortSecondSum>(
      db,
      6,
      (list) => `
        INSERT INTO traffic_port_seconds (capture_id, second, protocol, port, packets, bytes)
        VALUES ${list}
        ON CONFLICT (second, protocol, port, capture_id) DO UPDATE SET ${PORT_SUMS_UPDATE}`,
      (v, o, p) => {
        v[o] = this.#captureId;
        v[o + 1] = p.second;
        fillPortSums(v, o + 2, p);
      },
    );
  }

  write(rec: TrafficRecords, captureId: number): void {
    const n = rec.count;
    if (n === 0) return;
    if (captureId !== this.#captureId) this.#prepare(captureId);
    const insertMany = this.#insertMany!;
    const insertOne = this.#insertOne!;
    this.#db.exec('BEGIN');
    try {
      let i = 0;
      for (; i + ROWS_PER_STATEMENT <= n; i += ROWS_PER_STATEMENT) {
        for (let r = 0; r < ROWS_PER_STATEMENT; r++)
          this.#fill(this.#params, r * TRAFFIC_COLUMNS.length, rec, i + r);
        // One statement's rows get consecutive rowids, ending at lastInsertRowid. Values go as arguments
        // (see row-batch.ts).
        const last = Number(insertMany.run(...this.#params).lastInsertRowid);
        for (let r = 0; r < ROWS_PER_STATEMENT; r++)
          this.#count(
            this.#params,
            r * TRAFFIC_COLUMNS.length,
            rec,
            i + r,
            last - ROWS_PER_STATEMENT + 1 + r,
          );
      }
      for (; i < n; i++) {
        this.#fill(this.#one, 0, rec, i);
        this.#count(this.#one, 0, rec, i, Number(insertOne.run(...this.#one).lastInsertRowid));
      }
      this.#addSecond.run(this.#sums.seconds());
      this.#addHost.run(this.#sums.hosts());
      this.#addPort.run(this.#sums.ports());
      this.#addHostSecond.run(this.#sums.hostSeconds());
      this.#addPortSecond.run(this.#sums.portSeconds());
      this.#db.exec('COMMIT');
    } catch (err) {
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
      throw err;
    } finally {
      this.#sums.clear();
    }
    this.rowsWritten += n;
  }

  #prepare(captureId: number): void {
    const row = `(${TRAFFIC_COLUMNS.map(() => '?').join(', ')}, ${Math.trunc(captureId)})`;
    const sql = `INSERT INTO traffic (${TRAFFIC_COLUMNS.join(', ')}, capture_id) VALUES `;
    this.#insertMany = this.#db.prepare(sql + Array(ROWS_PER_STATEMENT).fill(row).join(', '));
    this.#insertOne = this.#db.prepare(sql + row);
    this.#captureId = captureId;
  }

  #fill(p: unknown[], o: number, rec: TrafficRecords, i: number): void {
    const proto = rec.ipProto[i]!;
    const a = i * ADDR_BYTES;
    const v6 = rec.ipVersion[i] === 6;
    const sp = rec.srcPort[i]!;
    const dp = rec.dstPort[i]!;
    p[o] = rec.hasTs[i] === 1 ? this.#time.format(rec.tsSec[i]!, rec.tsNsec[i]!) : null;
    p[o + 1] = v6 ? this.#addr.ipv6(rec.src, a) : this.#addr.ipv4(rec.src, a);
    p[o + 2] = v6 ? this.#addr.ipv6(rec.dst, a) : this.#addr.ipv4(rec.dst, a);
    p[o + 3] = proto < 0 ? null : IP_PROTOCOL_NAMES[proto]!;
    p[o + 4] = sp < 0 ? null : sp;
    p[o + 5] = dp < 0 ? null : dp;
    p[o + 6] = rec.frame[i]!;
    p[o + 7] = proto < 0 ? null : proto;
    p[o + 8] = rec.length[i]!;
  }

  /** Adds row `i`, just inserted from the values at `p[o]…` with rowid `id`, to the batch's sums. */
  #count(p: unknown[], o: number, rec: TrafficRecords, i: number, id: number): void {
    this.#sums.add(
      rec.tsSec[i]!,
      rec.tsNsec[i]!,
      p[o] as string | null,
      rec.ipProto[i]!,
      (p[o + 3] as string | null) ?? '',
      p[o + 1] as string,
      p[o + 2] as string,
      rec.srcPort[i]!,
      rec.dstPort[i]!,
      rec.length[i]!,
      id,
    );
  }
}
