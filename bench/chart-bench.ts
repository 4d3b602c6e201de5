/**
 * Chart rendering time on a big database: `node dist/bench/chart-bench.js [DB]` (default /tmp/big.db; build
 * it with `nta read -q --db /tmp/big.db bench/out/bench-2m.pcap`). Each chart is rendered to PNG from a
 * fresh read-only connection, as `nta chart` does, first on the database as `nta read` leaves it, then on a
 * copy with the candidate indexes, whose build time is reported. Target (issue 6): under 2 s per chart.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CHART_TYPES, writeChart, type WriteChartOptions } from '../src/present/charts/index.js';

const TARGET_MS = 2000;
const RUNS = 3;
const INDEXES = [
  'CREATE INDEX IF NOT EXISTS traffic_timestamp ON traffic (timestamp)',
  'CREATE INDEX IF NOT EXISTS traffic_src_ip ON traffic (src_ip, length)',
  'CREATE INDEX IF NOT EXISTS traffic_dst_ip ON traffic (dst_ip, length)',
] as const;

const source = process.argv[2] ?? '/tmp/big.db';
if (!existsSync(source)) {
  process.stderr.write(
    `${source}: no such database; build it with nta read -q --db ${source} bench/out/bench-2m.pcap\n`,
  );
  process.exit(1);
}
const work = mkdtempSync(join(tmpdir(), 'nta-chart-bench-'));

function rows(db: string): number {
  const conn = new Database(db, { readonly: true });
  try {
    return conn.prepare('SELECT COUNT(*) FROM traffic').pluck().get() as number;
  } finally {
    conn.close();
  }
}

/** A minute-long window in the middle of the data, for the --from/--to case. */
function middleMinute(db: string): { from: string; to: string } {
  const conn = new Database(db, { readonly: true });
  try {
    const r = conn
      .prepare(
        `SELECT datetime((unixepoch(substr(MIN(timestamp), 1, 19)) + unixepoch(substr(MAX(timestamp), 1, 19))) / 2,
                'unixepoch') AS mid FROM traffic`,
      )
      .get() as { mid: string };
    const mid = Date.parse(`${r.mid.replace(' ', 'T')}Z`);
    const iso = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}.000000`;
    return { from: iso(mid - 30_000), to: iso(mid + 30_000) };
  } finally {
    conn.close();
  }
}

async function timeCharts(db: string, label: string): Promise<Record<string, number>> {
  const results: Record<string, number> = {};
  const window = middleMinute(db);
  const cases: [string, WriteChartOptions][] = [
    ...CHART_TYPES.map((type): [string, WriteChartOptions] => [type, { type }]),
    ['timeline --from/--to 1 min', { type: 'timeline', ...window }],
  ];
  for (const [name, options] of cases) {
    let best = Infinity;
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      await writeChart(db, { ...options, out: join(work, `${name.replace(/\W+/g, '-')}.png`) });
      best = Math.min(best, performance.now() - t0);
    }
    results[name] = Math.round(best);
    const verdict = best < TARGET_MS ? 'ok' : 'SLOW';
    process.stdout.write(
      `${label.padEnd(16)} ${name.padEnd(28)} ${best.toFixed(0).padStart(6)} ms  ${verdict}\n`,
    );
  }
  return results;
}

try {
  process.stdout.write(
    `${source}: ${rows(source).toLocaleString('en-US')} traffic rows; best of ${RUNS} runs\n`,
  );
  const plain = await timeCharts(source, 'no index');
  const copy = join(work, 'indexed.db');
  copyFileSync(source, copy);
  const conn = new Database(copy);
  const before = statSync(copy).size;
  const build: Record<string, number> = {};
  for (const sql of INDEXES) {
    const t0 = performance.now();
    conn.exec(sql);
    build[sql.split(' ')[5]!] = Math.round(performance.now() - t0);
  }
  conn.pragma('wal_checkpoint(TRUNCATE)');
  const sizes = conn
    .prepare(`SELECT name, SUM(pgsize) AS bytes FROM dbstat WHERE name LIKE 'traffic_%' GROUP BY name`)
    .all() as { name: string; bytes: number }[];
  conn.close();
  for (const { name, bytes } of sizes)
    process.stdout.write(`size  ${name.padEnd(20)} ${(bytes / 1e6).toFixed(1)} MB\n`);
  const grew = statSync(copy).size - before;
  for (const [name, ms] of Object.entries(build)) process.stdout.write(`build ${name.padEnd(20)} ${ms} ms\n`);
  process.stdout.write(
    `indexes add ${(grew / 1e6).toFixed(1)} MB to a ${(before / 1e6).toFixed(1)} MB file\n`,
  );
  const indexed = await timeCharts(copy, 'with indexes');
  process.stdout.write(
    JSON.stringify({ rows: rows(source), plain, indexed, build, indexBytes: grew }) + '\n',
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
