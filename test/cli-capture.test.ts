/**
 * `nta capture` end to end on the loopback device: real libpcap, real packets (sent to 127.0.0.1 only), a
 * real SQLite database. Needs root, as capturing does; CI runs as root.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { REPO_ROOT } from './support/corpus.js';

const NTA = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
const work = mkdtempSync(join(tmpdir(), 'nta-capture-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts `nta capture`, waits for it to say it is capturing, runs `during`, and waits for the exit. */
async function capture(
  args: string[],
  during: (child: ReturnType<typeof spawn>) => Promise<void>,
): Promise<Run> {
  const child = spawn('node', [NTA, 'capture', ...args], { cwd: work });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const started = new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('capturing on')) resolve();
    });
    child.on('exit', () => reject(new Error(`nta capture exited before capturing: ${stderr}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await started;
  await during(child);
  const code = await exited;
  return { code, stdout, stderr };
}

async function sendUdp(port: number, count: number): Promise<void> {
  const s = createSocket('udp4');
  for (let i = 0; i < count; i++) await new Promise((r) => s.send(Buffer.alloc(32, i), port, '127.0.0.1', r));
  s.close();
}

function query<T>(db: string, sql: string): T[] {
  const conn = new Database(db, { readonly: true });
  try {
    return conn.prepare(sql).all() as T[];
  } finally {
    conn.close();
  }
}

test('captures -c packets matching a BPF filter into the traffic table', { timeout: 30_000 }, async () => {
  assert.equal(process.getuid?.(), 0, 'live capture tests need root');
  const db = join(work, 'count.db');
  const r = await capture(['-i', 'lo', '-f', 'udp and dst port 47911', '-c', '20', '--db', db], () =>
    sendUdp(47911, 25),
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').length, 20);
  assert.match(r.stdout, /\| UDP \| 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:47911/);
  assert.match(r.stderr, /20 packets captured/);
  const rows = query<{ n: number; src: string; port: number }>(
    db,
    'SELECT COUNT(*) AS n, MIN(src_ip) AS src, MIN(dst_port) AS port FROM traffic',
  );
  assert.deepEqual(rows, [{ n: 20, src: '127.0.0.1', port: 47911 }]);
  const [cap] = query<{ source: string; status: string; packets: number }>(
    db,
    'SELECT source, status, packets FROM captures',
  );
  assert.deepEqual(cap, { source: 'lo', status: 'complete', packets: 20 });
});

test(
  'SIGINT stops cleanly: every packet seen is stored and the capture row says interrupted',
  { timeout: 30_000 },
  async () => {
    const db = join(work, 'sigint.db');
    const r = await capture(['-i', 'lo', '-f', 'udp and dst port 47912', '-q', '--db', db], async (child) => {
      await sendUdp(47912, 7);
      await new Promise((resolve) => setTimeout(resolve, 500));
      child.kill('SIGINT');
    });
    assert.equal(r.code, 0, r.stderr);
    const [{ n }] = query<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM traffic') as [{ n: number }];
    assert.equal(n, 7);
    const [cap] = query<{ status: string; packets: number; ended_at: string | null }>(
      db,
      'SELECT status, packets, ended_at FROM captures',
    );
    assert.equal(cap!.status, 'interrupted');
    assert.equal(cap!.packets, 7);
    assert.notEqual(cap!.ended_at, null);
  },
);

test('-a duration:N ends the capture on its own, as complete', { timeout: 30_000 }, async () => {
  const db = join(work, 'duration.db');
  const t0 = Date.now();
  const r = await capture(
    ['-i', 'lo', '-f', 'udp and dst port 47913', '-a', 'duration:1', '--json', '--db', db],
    () => sendUdp(47913, 3),
  );
  assert.equal(r.code, 0, r.stderr);
  assert.ok(Date.now() - t0 < 10_000);
  const summary = JSON.parse(r.stdout) as { packets: number; live: { droppedByKernel: number } };
  assert.equal(summary.packets, 3);
  assert.equal(summary.live.droppedByKernel, 0);
  const [cap] = query<{ status: string }>(db, 'SELECT status FROM captures');
  assert.equal(cap!.status, 'complete');
});
