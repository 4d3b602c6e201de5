/**
 * `npm run bench:flows10m`: how long the dashboard's calls that read flows take on ten million flows (the
 * issue-8 bar), on PostgreSQL and, with --sqlite, on SQLite. The rows are the flows (and, one per DNS flow,
 * the dns rows) of the benchmark capture's database, copied as often as it takes: copy k is shifted by
 * k × 5 minutes and written by sensor `bench-<k mod 4>`, whose addresses are moved to their own /16, and
 * the responders of a copy to one of 16 neighbouring /24s, so there are more hosts and destinations
 * as a fleet of sensors over ten hours would have. They are written through nta's own stores (COPY for
 * PostgreSQL, the writer worker for SQLite), as `nta read` writes them, into a database of their own:
 * `nta_bench_flows` on the server NTA_TEST_PG_URL names, bench/out/flows-10m.db. Each call goes through the
 * real server (fastify inject: routing, validation, SQL, JSON) three times; the fastest is shown. Target:
 * 200 ms. Filling takes minutes: --keep leaves the databases for the next run, --reuse uses them.
 *
 * Usage: node dist/bench/flows-10m-bench.js [--flows N] [--sqlite] [--keep] [--reuse] [--fill-only] [--seed DB]
 *   --fill-only: fill (as with --keep) and stop; time later with --reuse.
 *   --seed: an nta SQLite database of the benchmark capture (default bench/out/serve.db; built from
 *   bench/out/bench-2m.pcap with nta read when missing). It is only read.
 */
import { execSync, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Field } from '../src/schema/log-schema.js';
import { LOG_STREAMS, type ConnLog, type DnsLog, type HostsLog } from '../src/schema/streams.js';
import type { CaptureEnd } from '../src/schema/captures.js';
import { buildApp } from '../src/server/app.js';
import { openStore } from '../src/store/open-store.js';
import type { Store } from '../src/store/store.js';
import { BENCH_CAPTURE, NTA, OUT_DIR, ensureBenchCapture } from './bench-capture.js';

const TARGET_MS = 200;
const RUNS = 3;
const SENSORS = 4;
const COPY_SHIFT_US = 300 * 1_000_000;
/** Flows and dns rows per store call, as the pipeline hands them over. */
const CHUNK = 2048;
/** Batches the store may hold before this waits (the stores' writeLogs does not push back). */
const MAX_QUEUED = 8;
const PG_URL = process.env['NTA_TEST_PG_URL'] ?? 'postgres://nta:nta@127.0.0.1:5432/nta_test';
const PG_DB = 'nta_bench_flows';

const { values } = parseArgs({
  options: {
    flows: { type: 'string', default: '10000000' },
    sqlite: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    reuse: { type: 'boolean', default: false },
    seed: { type: 'string', default: join(OUT_DIR, 'serve.db') },
    'fill-only': { type: 'boolean', default: false },
  },
});
const wanted = Number(values.flows);
const seedPath = resolve(values.seed);
const pgUrl = (() => {
  const u = new URL(PG_URL);
  u.pathname = `/${PG_DB}`;
  return u.toString();
})();
const sqlitePath = join(OUT_DIR, 'flows-10m.db');

// ---- the seed: the benchmark capture's flows, dns rows (the first of each flow) and inventory

if (!existsSync(seedPath)) {
  ensureBenchCapture(BENCH_CAPTURE);
  console.log(`building ${seedPath} from ${BENCH_CAPTURE}…`);
  const r = spawnSync('node', [NTA, 'read', '-q', '--no-chart', '--db', seedPath, BENCH_CAPTURE], {
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error(`nta read failed (exit ${r.status})`);
}

/** A stored row back into its log record: times from `<name>_us`, booleans and JSON vectors decoded. */
function toRecord<T>(schema: Record<string, Field>, row: Record<string, unknown>): T {
  const rec: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(schema)) {
    const v = f.type === 'time' ? row[`${name}_us`] : row[name];
    if (v === null || v === undefined) rec[name] = null;
    else if (f.type === 'bool') rec[name] = v !== 0;
    else if (f.type === 'strings' || f.type === 'intervals') rec[name] = JSON.parse(v as string);
    else rec[name] = v;
  }
  return rec as T;
}

const seedDb = new Database(seedPath, { readonly: true, fileMustExist: true });
const seedFlows = (seedDb.prepare('SELECT * FROM flows ORDER BY id').all() as Record<string, unknown>[]).map(
  (r) => toRecord<ConnLog>(LOG_STREAMS.flows, r),
);
const seedDns = (
  seedDb
    .prepare('SELECT * FROM dns WHERE id IN (SELECT MIN(id) FROM dns GROUP BY uid) ORDER BY id')
    .all() as Record<string, unknown>[]
).map((r) => toRecord<DnsLog>(LOG_STREAMS.dns, r));
const seedHosts = (seedDb.prepare('SELECT * FROM hosts ORDER BY id').all() as Record<string, unknown>[]).map(
  (r) => toRecord<HostsLog>(LOG_STREAMS.hosts, r),
);
seedDb.close();
if (seedFlows.length === 0) throw new Error(`${seedPath} has no flows`);
const copies = Math.ceil(wanted / seedFlows.length);

// ---- the copies

const IPV4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/;
/** Moves an IPv4 address to the sensor's /16 (second octet + sensor) and `net` /24s on; others stay. */
function moveAddr(addr: string, sensor: number, net: number): string {
  const m = IPV4.exec(addr);
  if (m === null) return addr;
  return `${m[1]}.${(Number(m[2]) + sensor) % 256}.${(Number(m[3]) + net) % 256}.${m[4]}`;
}

/** Copy k's uid: unique per copy, the same length as Zeek's. */
const uidOf = (uid: string, k: number): string => `${uid.slice(0, -3)}${k.toString(36).padStart(3, '0')}`;

interface Copy {
  readonly k: number;
  readonly sensor: number;
}

/** A flow or dns record as copy `c` has it: later by the copy's shift, its own uid, its sensor's addresses. */
function shifted<T extends ConnLog | DnsLog>(r: T, c: Copy): T {
  return {
    ...r,
    ts: r.ts + c.k * COPY_SHIFT_US,
    uid: uidOf(r.uid, c.k),
    orig_h: moveAddr(r.orig_h, c.sensor, 0),
    resp_h: moveAddr(r.resp_h, c.sensor, c.k % 16),
  };
}

const END: CaptureEnd = {
  endedAt: new Date().toISOString(),
  status: 'complete',
  error: null,
  firstPacket: null,
  lastPacket: null,
  packets: 0,
  bytes: 0,
  ipPackets: 0,
  malformed: 0,
  truncated: 0,
  unknownLinkType: 0,
  dropped: 0,
  ifDropped: 0,
  linkTypes: '',
};

async function drain(store: Store): Promise<void> {
  while (store.queueDepth > MAX_QUEUED) await sleep(2);
}

/** Writes `wanted` flows; `storeOf` gives the store of a copy's sensor. */
async function fill(storeOf: (sensor: number) => Promise<Store>): Promise<void> {
  let written = 0;
  const started = performance.now();
  const seenSensor = new Set<number>();
  for (let k = 0; k < copies && written < wanted; k++) {
    const copy: Copy = { k, sensor: k % SENSORS };
    const store = await storeOf(copy.sensor);
    const captureId = await store.startCapture({
      source: `bench-copy-${k}`,
      format: 'synthetic',
      startedAt: new Date().toISOString(),
    });
    const take = Math.min(seedFlows.length, wanted - written);
    for (let i = 0; i < take; i += CHUNK) {
      store.writeLogs(
        'flows',
        seedFlows.slice(i, Math.min(i + CHUNK, take)).map((f) => shifted(f, copy)),
        captureId,
      );
      await drain(store);
    }
    for (let i = 0; i < seedDns.length; i += CHUNK) {
      store.writeLogs(
        'dns',
        seedDns.slice(i, i + CHUNK).map((d) => shifted(d, copy)),
        captureId,
      );
      await drain(store);
    }
    if (!seenSensor.has(copy.sensor)) {
      seenSensor.add(copy.sensor);
      store.writeLogs(
        'hosts',
        seedHosts.map((h) => ({ ...h })),
        captureId,
      );
    }
    await store.finishCapture(captureId, END);
    written += take;
    if (k % 10 === 9)
      process.stdout.write(
        `  ${written.toLocaleString('en-US')} flows, ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
      );
  }
}

async function admin<T>(work: (c: pg.Client) => Promise<T>, url = PG_URL): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}

async function pgFlows(): Promise<number> {
  const exists = await admin((c) => c.query('SELECT 1 FROM pg_database WHERE datname = $1', [PG_DB]));
  if (exists.rowCount === 0) return 0;
  return admin(async (c) => {
    const t = await c.query(`SELECT to_regclass('flows') AS t`);
    if ((t.rows[0] as { t: string | null }).t === null) return 0;
    return Number((await c.query('SELECT COUNT(*) AS n FROM flows')).rows[0].n);
  }, pgUrl);
}

async function fillPostgres(): Promise<void> {
  if (values.reuse && (await pgFlows()) === wanted) return console.log(`reusing ${PG_DB}`);
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${PG_DB}`));
  await admin((c) => c.query(`CREATE DATABASE ${PG_DB}`));
  console.log(`filling ${PG_DB} with ${wanted.toLocaleString('en-US')} flows…`);
  const t = performance.now();
  const stores = new Map<number, Store>();
  try {
    await fill(async (sensor) => {
      let s = stores.get(sensor);
      if (s === undefined) {
        s = await openStore(pgUrl, { sensor: `bench-${sensor}` });
        stores.set(sensor, s);
      }
      return s;
    });
  } finally {
    for (const s of stores.values()) await s.close();
  }
  const filled = performance.now();
  // As autovacuum would leave a table that stopped growing: statistics and the visibility map.
  await admin((c) => c.query('VACUUM (ANALYZE) flows, dns, hosts, captures'), pgUrl);
  console.log(
    `  filled in ${((filled - t) / 1000).toFixed(0)} s, vacuumed in ${((performance.now() - filled) / 1000).toFixed(0)} s`,
  );
}

function sqliteFlows(): number {
  if (!existsSync(sqlitePath)) return 0;
  const db = new Database(sqlitePath, { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM flows').get() as { n: number }).n;
  } catch {
    return 0;
  } finally {
    db.close();
  }
}

async function fillSqlite(): Promise<void> {
  if (values.reuse && sqliteFlows() === wanted) return console.log(`reusing ${sqlitePath}`);
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${sqlitePath}${suffix}`, { force: true });
  console.log(`filling ${sqlitePath} with ${wanted.toLocaleString('en-US')} flows…`);
  const t = performance.now();
  // bulkLoad: secondary indexes are built once at the end, as `nta read` does into a new database. No
  // ANALYZE: nta does not run one either.
  const store = await openStore(sqlitePath, { bulkLoad: true });
  try {
    await fill(() => Promise.resolve(store));
  } finally {
    await store.close();
  }
  console.log(`  filled in ${((performance.now() - t) / 1000).toFixed(0)} s`);
}

// ---- the calls

/** The seed's busiest originator (sensor 0 keeps the seed's addresses) and one of its flows mid-way. */
function pickHost(): { host: string; uid: string; communityId: string; midMs: number } {
  const n = new Map<string, number>();
  for (const f of seedFlows) n.set(f.orig_h, (n.get(f.orig_h) ?? 0) + 1);
  const host = [...n].sort((a, b) => b[1] - a[1])[0]![0];
  const k = Math.floor(Math.min(copies, wanted / seedFlows.length) / 2 / SENSORS) * SENSORS;
  const flow = seedFlows.find((f) => f.orig_h === host)!;
  const midMs = Math.floor((seedFlows[0]!.ts + k * COPY_SHIFT_US) / 1000);
  return { host, uid: uidOf(flow.uid, k), communityId: flow.community_id, midMs };
}

const pick = pickHost();
const CALLS = [
  '/api/summary',
  '/api/flows?limit=50',
  '/api/flows?limit=50&sort=bytes',
  '/api/flows?limit=50&sort=packets',
  '/api/flows?limit=50&sort=duration&order=asc',
  '/api/flows?limit=50&sort=service',
  '/api/flows?limit=50&sort=resp_h&order=asc',
  '/api/flows?limit=50&offset=50000&sort=ts&order=asc',
  `/api/flows?limit=50&from=${pick.midMs}&to=${pick.midMs + 60_000}`,
  `/api/flows?limit=50&host=${pick.host}`,
  // mDNS, half the benchmark capture's flows: what port 53 is on a real network.
  '/api/flows?limit=50&port=5353&proto=udp',
  '/api/flows?limit=50&service=http',
  `/api/flows?limit=50&q=${pick.host.split('.').slice(0, 3).join('.')}.`,
  '/api/flows?limit=50&q=http',
  `/api/flows?limit=50&q=${pick.uid}`,
  // No index on community ids (see routes/flows.ts): every flow is read.
  `/api/flows?limit=50&q=${encodeURIComponent(pick.communityId)}`,
  `/api/flows/${pick.uid}`,
  '/api/hosts?limit=50',
  `/api/hosts/${pick.host}`,
  '/api/top/destinations?limit=10',
  `/api/top/destinations?limit=10&from=${pick.midMs}&to=${pick.midMs + 60_000}`,
  '/api/top/domains?limit=10',
];

/** Fastest of RUNS per call, in ms. */
async function timeCalls(dbPath: string, sensor?: string): Promise<number[]> {
  const { app } = await buildApp({ dbPath, sensor, token: null, version: 'bench' });
  const best: number[] = [];
  try {
    for (const url of CALLS) {
      let fastest = Infinity;
      for (let i = 0; i < RUNS; i++) {
        const t = performance.now();
        const res = await app.inject({ url });
        fastest = Math.min(fastest, performance.now() - t);
        if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
      }
      best.push(fastest);
    }
  } finally {
    await app.close();
  }
  return best;
}

/** Heap and index sizes of the partitioned tables per million rows, and the sums tables' sizes. */
async function pgSizes(): Promise<string> {
  return admin(async (c) => {
    const lines: string[] = [];
    const count = async (table: string): Promise<number> =>
      Number((await c.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${table}`)).rows[0]!.n);
    for (const table of ['flows', 'dns']) {
      const r = await c.query<{ heap: string; idx: string }>(
        `SELECT sum(pg_table_size(inhrelid)) AS heap, sum(pg_indexes_size(inhrelid)) AS idx
         FROM pg_inherits WHERE inhparent = $1::regclass`,
        [table],
      );
      const n = await count(table);
      // Bytes per row are megabytes per million rows.
      const mb = (bytes: string): string => `${(Number(bytes) / n).toFixed(0)} MB`;
      lines.push(
        `${table}: ${n.toLocaleString('en-US')} rows; per million: ${mb(r.rows[0]!.heap)} heap, ${mb(r.rows[0]!.idx)} indexes`,
      );
    }
    for (const table of ['flow_destinations', 'dns_queries']) {
      const size = await c.query<{ bytes: string }>('SELECT pg_total_relation_size($1) AS bytes', [table]);
      lines.push(
        `${table}: ${(await count(table)).toLocaleString('en-US')} rows, ${(Number(size.rows[0]!.bytes) / 1e6).toFixed(0)} MB`,
      );
    }
    return lines.join('\n');
  }, pgUrl);
}

const uptime = (): string => execSync('uptime', { encoding: 'utf8' }).trim();
const columns: { name: string; ms: number[] }[] = [];
try {
  await fillPostgres();
  console.log(await pgSizes());
  if (values.sqlite) await fillSqlite();
  if (values['fill-only']) process.exit(0);
  console.log(`timing (${uptime()})`);
  columns.push({ name: 'PostgreSQL', ms: await timeCalls(pgUrl) });
  columns.push({ name: 'PG 1 sensor', ms: await timeCalls(pgUrl, 'bench-0') });
  if (values.sqlite) columns.push({ name: 'SQLite', ms: await timeCalls(sqlitePath) });
  console.log(`done (${uptime()})`);
} finally {
  if (!values.keep) {
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${PG_DB}`));
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${sqlitePath}${suffix}`, { force: true });
  }
}

const width = Math.max(...CALLS.map((c) => c.length));
console.log(
  `${wanted.toLocaleString('en-US')} flows (${copies} copies of ${seedFlows.length.toLocaleString('en-US')}, ` +
    `${SENSORS} sensors); fastest of ${RUNS}, ms; * over the ${TARGET_MS} ms target`,
);
console.log(`${'call'.padEnd(width)}  ${columns.map((c) => c.name.padStart(12)).join('')}`);
CALLS.forEach((url, i) => {
  const cells = columns.map((c) => {
    const ms = c.ms[i]!;
    return `${ms.toFixed(0)}${ms > TARGET_MS ? '*' : ' '}`.padStart(12);
  });
  console.log(`${url.padEnd(width)}  ${cells.join('')}`);
});
for (const c of columns)
  console.log(
    `${c.name}: ${c.ms.filter((ms) => ms <= TARGET_MS).length}/${CALLS.length} under ${TARGET_MS} ms`,
  );
