/**
 * Faults a monitor meets in the field: killed with SIGKILL mid-write, a full disk, a database another process
 * holds locked. Each must end in a database that opens, passes `PRAGMA integrity_check`, and holds every
 * batch that was visible as committed before the fault (issue 9). Needs root for tmpfs and capture; CI runs
 * as root.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { NTA, dbRows, workDir } from './support/cli.js';

const work = workDir('nta-faults-');

/** A 60-byte Ethernet/IPv4/UDP frame from 10.0.0.1:1234 to 10.0.0.2:53. */
const FRAME = Buffer.from(
  '02000000000202000000000108004500002e0000000040110000' +
    '0a0000010a00000204d20035001a0000' +
    '000102030405060708090a0b0c0d0e0f1011',
  'hex',
);

function pcapHeader(): Buffer {
  const h = Buffer.alloc(24);
  h.writeUInt32LE(0xa1b2c3d4, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(65535, 16);
  h.writeUInt32LE(1, 20); // Ethernet
  return h;
}

/** `n` records of FRAME, one millisecond apart, starting at packet index `first`. */
function pcapRecords(first: number, n: number): Buffer {
  const rec = 16 + FRAME.length;
  const out = Buffer.alloc(n * rec);
  for (let i = 0; i < n; i++) {
    const o = i * rec;
    const t = first + i;
    out.writeUInt32LE(1_700_000_000 + Math.floor(t / 1000), o);
    out.writeUInt32LE((t % 1000) * 1000, o + 4);
    out.writeUInt32LE(FRAME.length, o + 8);
    out.writeUInt32LE(FRAME.length, o + 12);
    FRAME.copy(out, o + 16);
  }
  return out;
}

/** Integrity, and the rows form frames 1..N with no hole (batches are all-or-nothing, in order). */
function checkDatabase(db: string): number {
  const conn = new Database(db);
  try {
    assert.equal(conn.pragma('integrity_check', { simple: true }), 'ok');
    const r = conn.prepare('SELECT COUNT(*) AS n, MIN(frame) AS lo, MAX(frame) AS hi FROM traffic').get() as {
      n: number;
      lo: number | null;
      hi: number | null;
    };
    if (r.n > 0) assert.deepEqual([r.lo, r.hi], [1, r.n], 'committed rows are a prefix of the input');
    return r.n;
  } finally {
    conn.close();
  }
}

function committedRows(db: string): number {
  try {
    return dbRows<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM traffic')[0]!.n;
  } catch {
    return 0; // not created yet
  }
}

test('kill -9 during a replay from a pipe: every row seen committed before the kill is still there', async () => {
  const db = join(work, 'killed-read.db');
  const child = spawn('node', [NTA, 'read', '-q', '--no-chart', '--db', db, '-'], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, sig) => resolve(sig)));
  child.stdin.on('error', () => {}); // the pipe breaks at the kill
  child.stdin.write(pcapHeader());
  let sent = 0;
  let seen = 0;
  // Feed packets steadily, as a slow producer (tcpdump -w - on a live link) would, until rows show up.
  for (let round = 0; round < 600 && seen < 30_000; round++) {
    child.stdin.write(pcapRecords(sent, 5000));
    sent += 5000;
    await sleep(20);
    if (round % 10 === 9) seen = committedRows(db);
  }
  assert.ok(seen >= 30_000, `rows became visible while reading (${seen}); stderr: ${stderr}`);
  seen = committedRows(db);
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');
  const n = checkDatabase(db);
  assert.ok(n >= seen, `${n} rows after the kill, ${seen} seen before it`);
  assert.ok(n <= sent);
});

test(
  'kill -9 during a quiet live capture loses nothing older than the flush interval',
  { timeout: 30_000 },
  async () => {
    const db = join(work, 'killed-capture.db');
    const child = spawn('node', [NTA, 'capture', '-i', 'lo', '-q', '-f', 'udp port 47931', '--db', db], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    const started = new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('capturing on')) resolve();
      });
      child.on('exit', () => reject(new Error(`nta capture exited early: ${stderr}`)));
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_c, sig) => resolve(sig)),
    );
    await started;
    const s = createSocket('udp4');
    for (let i = 0; i < 25; i++) await new Promise((r) => s.send(Buffer.alloc(8, i), 47931, '127.0.0.1', r));
    s.close();
    // Far fewer packets than a batch holds: only the time-based flush (1 s) can have committed them.
    await sleep(2500);
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    assert.equal(checkDatabase(db), 25);
    const [cap] = dbRows<{ status: string }>(db, 'SELECT status FROM captures');
    assert.equal(cap!.status, 'running', 'a capture killed mid-run keeps the status it had');
  },
);

test('a full disk: one line, a non-zero exit, and an intact database holding what fit', () => {
  const mnt = join(work, 'tiny');
  mkdirSync(mnt);
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt], { encoding: 'utf8' });
  assert.equal(mount.status, 0, `tmpfs mount needs root: ${mount.stderr}`);
  try {
    const input = join(work, 'big.pcap');
    writeFileSync(input, Buffer.concat([pcapHeader(), pcapRecords(0, 200_000)]));
    const db = join(mnt, 'full.db');
    const r = spawnSync('node', [NTA, 'read', '-q', '--no-chart', '--db', db, input], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^nta: .*full\.db: .*disk is full\n$/);
    const n = checkDatabase(db);
    assert.ok(n > 0 && n < 200_000, `${n} rows fit`);
  } finally {
    spawnSync('umount', [mnt]);
  }
});

test('a database another process holds locked: one line after the busy timeout, nothing written', () => {
  const db = join(work, 'locked.db');
  const input = join(work, 'small.pcap');
  writeFileSync(input, Buffer.concat([pcapHeader(), pcapRecords(0, 10)]));
  assert.equal(spawnSync('node', [NTA, 'read', '-q', '--no-chart', '--db', db, input]).status, 0);
  const holder = new Database(db);
  holder.exec('BEGIN EXCLUSIVE');
  try {
    const r = spawnSync('node', [NTA, 'read', '-q', '--no-chart', '--db', db, input], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^nta: .*locked\.db: .*locked.*\n$/);
  } finally {
    holder.exec('ROLLBACK');
    holder.close();
  }
  assert.equal(checkDatabase(db), 10);
});

/** Runs `ip` with the given arguments; throws on failure. */
function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `ip ${args.join(' ')}: ${r.stderr}`);
}

/** UDP datagrams from namespace `ns` to 10.77.0.2:47932, through `ip netns exec` and bash's /dev/udp. */
function sendFrom(ns: string, count: number): void {
  const script = `for i in $(seq ${count}); do echo x > /dev/udp/10.77.0.2/47932; done`;
  const r = spawnSync('ip', ['netns', 'exec', ns, 'bash', '-c', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

test(
  'the interface going down and up: capture goes on; the interface removed: one line and a finalized row',
  { timeout: 30_000 },
  async () => {
    // Two throw-away namespaces joined by a veth pair: nothing leaves this machine.
    const tx = `nta-tx-${process.pid}`;
    const rx = `nta-rx-${process.pid}`;
    ip('netns', 'add', tx);
    ip('netns', 'add', rx);
    try {
      ip('link', 'add', 'ntatx', 'netns', tx, 'type', 'veth', 'peer', 'name', 'ntarx', 'netns', rx);
      ip('-n', tx, 'addr', 'add', '10.77.0.1/24', 'dev', 'ntatx');
      ip('-n', rx, 'addr', 'add', '10.77.0.2/24', 'dev', 'ntarx');
      ip('-n', tx, 'link', 'set', 'ntatx', 'up');
      ip('-n', rx, 'link', 'set', 'ntarx', 'up');
      const db = join(work, 'iface.db');
      const child = spawn(
        'ip',
        [
          'netns',
          'exec',
          rx,
          'node',
          NTA,
          'capture',
          '-i',
          'ntarx',
          '-f',
          'udp port 47932',
          '-q',
          '--db',
          db,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      const started = new Promise<void>((resolve, reject) => {
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          if (stderr.includes('capturing on')) resolve();
        });
        child.on('exit', () => reject(new Error(`nta capture exited early: ${stderr}`)));
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      await started;
      sendFrom(tx, 3);
      await sleep(300);
      ip('-n', rx, 'link', 'set', 'ntarx', 'down');
      await sleep(1000);
      ip('-n', rx, 'link', 'set', 'ntarx', 'up');
      await sleep(1500); // the veth carrier comes back
      sendFrom(tx, 4);
      await sleep(500);
      ip('-n', tx, 'link', 'del', 'ntatx'); // takes its peer with it
      assert.equal(await exited, 1);
      assert.match(stderr, /^nta: ntarx: The interface disappeared$/m);
      assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
      assert.equal(checkDatabase(db), 7, 'packets from before the down and after the up');
      const [cap] = dbRows<{ status: string; error: string; packets: number }>(
        db,
        'SELECT status, error, packets FROM captures',
      );
      assert.deepEqual(cap, { status: 'error', error: 'ntarx: The interface disappeared', packets: 7 });
    } finally {
      spawnSync('ip', ['netns', 'del', tx]);
      spawnSync('ip', ['netns', 'del', rx]);
    }
  },
);
