/**
 * Response times of the main `nta serve` API calls on a big database: `npm run bench:serve [DB]` (a SQLite
 * file or a postgres:// URL; default
 * bench/out/serve.db; build it once with `node dist/src/cli/main.js read -q --db bench/out/serve.db
 * bench/out/bench-2m.pcap`). Each call goes through fastify (inject: routing, validation, SQL, JSON) three
 * times; the fastest and slowest are printed. Target (issue 7): under 200 ms each.
 */
import { existsSync } from 'node:fs';
import { buildApp } from '../src/server/app.js';
import { isPostgresUrl } from '../src/store/postgres/url.js';

const TARGET_MS = 200;
const RUNS = 3;
const db = process.argv[2] ?? 'bench/out/serve.db';
if (!isPostgresUrl(db) && !existsSync(db)) {
  process.stderr.write(
    `${db}: no such database; build it with nta read -q --db ${db} bench/out/bench-2m.pcap\n`,
  );
  process.exit(1);
}
const { app, db: conn } = await buildApp({ dbPath: db, token: null, version: 'bench' });
const flow = (await conn.get<{ uid: string; orig_h: string }>(
  'SELECT uid, orig_h FROM flows ORDER BY orig_pkts + resp_pkts DESC LIMIT 1',
))!;
const { mid, first, last } = (await conn.get<{ mid: number; first: number; last: number }>(
  'SELECT MIN(ts_us) / 2000 + MAX(ts_us) / 2000 AS mid, MIN(ts_us) / 1000 AS first, MAX(ts_us) / 1000 AS last FROM flows',
))!;
const calls = [
  '/api/summary',
  '/api/timeline',
  `/api/timeline?from=${mid}&to=${mid + 60_000}`,
  '/api/protocols',
  '/api/top/talkers',
  '/api/top/ports',
  '/api/top/destinations',
  `/api/top/talkers?from=${mid}&to=${mid + 60_000}`,
  `/api/top/ports?from=${mid}&to=${mid + 60_000}`,
  `/api/top/talkers?from=${first}&to=${last}`,
  '/api/flows?limit=50',
  '/api/flows?limit=50&sort=bytes',
  '/api/flows?limit=50&offset=50000&sort=ts&order=asc',
  `/api/flows?limit=50&host=${flow.orig_h}`,
  '/api/flows?limit=50&port=53&proto=udp',
  `/api/flows/${flow.uid}`,
  `/api/flows/${flow.uid}/packets`,
  '/api/hosts?limit=50',
  `/api/hosts/${flow.orig_h}`,
  '/api/alerts',
];
const rows = (await conn.get<{ n: number }>('SELECT COUNT(*) AS n FROM traffic'))!.n;
const flows = (await conn.get<{ n: number }>('SELECT COUNT(*) AS n FROM flows'))!.n;
process.stdout.write(
  `${db}: ${rows.toLocaleString('en-US')} packets, ${flows.toLocaleString('en-US')} flows\n`,
);
let over = 0;
for (const url of calls) {
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const res = await app.inject({ url });
    ms.push(performance.now() - t);
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
  }
  const best = Math.min(...ms);
  if (best > TARGET_MS) over++;
  process.stdout.write(
    `${best > TARGET_MS ? 'SLOW' : 'ok  '} ${best.toFixed(0).padStart(6)} ms (max ${Math.max(...ms)
      .toFixed(0)
      .padStart(6)})  ${url}\n`,
  );
}
process.stdout.write(`${calls.length - over}/${calls.length} calls under ${TARGET_MS} ms\n`);
await app.close();
