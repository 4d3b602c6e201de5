/**
 * `npm run bench:pg`: sustained rows/s of `nta read` into PostgreSQL (COPY from the async queue) on the
 * deterministic 2M-packet capture, into a fresh database on the server NTA_TEST_PG_URL names
 * (.ci/postgres.sh). With --sqlite, the same read into a SQLite file for comparison.
 * Usage: node dist/bench/pg-bench.js [--capture F] [--sqlite]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';

const ROOT = resolve(import.meta.dirname, '..', '..');
const NTA = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const PG_URL = process.env['NTA_TEST_PG_URL'] ?? 'postgres://nta:nta@127.0.0.1:5432/nta_test';
const BENCH_DB = 'nta_bench';

const { values } = parseArgs({
  options: {
    capture: { type: 'string', default: join(ROOT, 'bench', 'out', 'bench-2m.pcap') },
    sqlite: { type: 'boolean', default: false },
  },
});
const capture = resolve(values.capture);
if (!existsSync(capture)) throw new Error(`${capture} is missing: run npm run bench once to build it`);

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

interface Result {
  store: string;
  rows: number;
  seconds: number;
}

/** One `nta read` run; its own elapsed time covers the whole read including the last COPY/commit. */
function read(db: string, store: string): Result {
  const started = process.hrtime.bigint();
  const r = spawnSync('node', [NTA, 'read', '--json', '--no-chart', '--db', db, capture], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`nta read --db ${store} failed: ${r.stderr}`);
  const summary = JSON.parse(r.stdout) as { rowsStored: number };
  return { store, rows: summary.rowsStored, seconds };
}

const url = new URL(PG_URL);
url.pathname = `/${BENCH_DB}`;
await admin(`DROP DATABASE IF EXISTS ${BENCH_DB}`);
await admin(`CREATE DATABASE ${BENCH_DB}`);
const results: Result[] = [];
try {
  results.push(read(url.toString(), 'postgresql'));
  if (values.sqlite) {
    const dir = mkdtempSync(join(tmpdir(), 'nta-pg-bench-'));
    try {
      results.push(read(join(dir, 'bench.db'), 'sqlite'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
} finally {
  console.log(`capture: ${capture}`);
  for (const r of results)
    console.log(
      `${r.store.padEnd(10)} ${r.rows.toLocaleString('en-US')} traffic rows in ${r.seconds.toFixed(1)} s: ` +
        `${Math.round(r.rows / r.seconds).toLocaleString('en-US')} rows/s sustained (process start to last commit)`,
    );
  await admin(`DROP DATABASE IF EXISTS ${BENCH_DB}`);
}
