/**
 * `nta capture` end to end on the loopback device: real libpcap, real packets (sent to 127.0.0.1 only), a
 * real SQLite database. Needs root, as capturing does; CI runs as root.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createConnection, createServer } from 'node:net';
import { chmodSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NTA, dbRows, workDir } from './support/cli.js';
import { capture as captureIn, sendUdp, type CaptureRun } from './support/live.js';

const work = workDir('nta-capture-');
const capture = (args: string[], during: Parameters<typeof captureIn>[1]): Promise<CaptureRun> =>
  captureIn(args, during, { cwd: work });

/** One TCP connection to a listener on 127.0.0.1: handshake, 5 bytes each way, and close. */
async function tcpExchange(port: number): Promise<void> {
  const server = createServer((sock) => sock.end('world'));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  await new Promise<void>((resolve, reject) => {
    const c = createConnection(port, '127.0.0.1', () => c.write('hello'));
    c.on('data', () => c.end());
    c.on('close', () => resolve());
    c.on('error', reject);
  });
  server.close();
}

async function sendUdp6(port: number, count: number): Promise<void> {
  const s = createSocket('udp6');
  for (let i = 0; i < count; i++) await new Promise((r) => s.send(Buffer.alloc(16, i), port, '::1', r));
  s.close();
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
  const rows = dbRows<{ n: number; src: string; port: number }>(
    db,
    'SELECT COUNT(*) AS n, MIN(src_ip) AS src, MIN(dst_port) AS port FROM traffic',
  );
  assert.deepEqual(rows, [{ n: 20, src: '127.0.0.1', port: 47911 }]);
  const [cap] = dbRows<{ source: string; status: string; packets: number }>(
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
    const [{ n }] = dbRows<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM traffic') as [{ n: number }];
    assert.equal(n, 7);
    const [cap] = dbRows<{ status: string; packets: number; ended_at: string | null }>(
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
  const [cap] = dbRows<{ status: string }>(db, 'SELECT status FROM captures');
  assert.equal(cap!.status, 'complete');
});

function tsharkFields(path: string): string[] {
  const r = spawnSync(
    'tshark',
    ['-r', path, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'udp.dstport'],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n');
}

test(
  '-w writes the -c packets to pcapng that tshark, capinfos and nta read agree on',
  { timeout: 30_000 },
  async () => {
    const out = join(work, 'lo.pcapng');
    const db = join(work, 'write.db');
    const r = await capture(
      ['-i', 'lo', '-f', 'udp and dst port 47914', '-c', '12', '-q', '-w', out, '--db', db],
      () => sendUdp(47914, 20),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`12 packets written to ${out}`));
    const lines = tsharkFields(out);
    assert.equal(lines.length, 12);
    for (const l of lines) assert.match(l, /^\d+\.\d{9}\t74\t47914$/); // 14 + 20 + 8 + 32 bytes
    const info = spawnSync('capinfos', [out], { encoding: 'utf8' }).stdout;
    assert.match(info, /Number of packets:\s+12\n/);
    assert.match(
      info,
      /Number of stat entries = 1\n/,
      'the capture counters end the file, as dumpcap writes them',
    );
    // nta reads back the same frames, at the same times, as were stored while capturing
    const back = join(work, 'write-back.db');
    const rr = spawnSync('node', [NTA, 'read', '-q', '--db', back, out], { encoding: 'utf8' });
    assert.equal(rr.status, 0, rr.stderr);
    const sql = 'SELECT frame, timestamp, length, dst_port FROM traffic ORDER BY frame';
    assert.deepEqual(dbRows(back, sql), dbRows(db, sql));
  },
);

test(
  '-b filesize:MB -b files:N rotates files as dumpcap names them and keeps the newest N',
  { timeout: 30_000 },
  async () => {
    const dir = join(work, 'ring');
    mkdirSync(dir);
    const r = await capture(
      [
        '-i',
        'lo',
        '-f',
        'udp and dst port 47915',
        '-c',
        '60',
        '-q',
        '--no-db',
        '-w',
        join(dir, 'ring.pcapng'),
        '-b',
        'filesize:0.002',
        '-b',
        'files:3',
      ],
      () => sendUdp(47915, 60, 400),
    );
    assert.equal(r.code, 0, r.stderr);
    const names = readdirSync(dir).sort();
    assert.equal(names.length, 3, names.join(' '));
    for (const n of names) assert.match(n, /^ring_\d{5}_\d{14}\.pcapng$/);
    // 476-byte EPBs after 116 bytes of headers: the fourth packet reaches 2000 bytes, so 15 files of 4
    assert.deepEqual(
      names.map((n) => n.slice(5, 10)),
      ['00013', '00014', '00015'],
    );
    const counts = names.map((n) => tsharkFields(join(dir, n)).length);
    assert.deepEqual(counts, [4, 4, 4]);
  },
);

test(
  'TCP over IPv4 and UDP over IPv6 on lo: protocols, addresses, ports and one SF flow',
  { timeout: 30_000 },
  async () => {
    const db = join(work, 'tcp-ipv6.db');
    const r = await capture(
      ['-i', 'lo', '-f', 'tcp port 47914 or udp port 47915', '-q', '-a', 'duration:2', '--db', db],
      async () => {
        await tcpExchange(47914);
        await sendUdp6(47915, 4);
      },
    );
    assert.equal(r.code, 0, r.stderr);
    const rows = dbRows<{ protocol: string; src_ip: string; dst_ip: string; n: number }>(
      db,
      `SELECT protocol, src_ip, dst_ip, COUNT(*) AS n FROM traffic
     WHERE dst_port IN (47914, 47915) GROUP BY protocol, src_ip, dst_ip ORDER BY protocol`,
    );
    assert.equal(rows.length, 2, JSON.stringify(rows));
    assert.equal(rows[0]!.protocol, 'TCP');
    assert.equal(rows[0]!.src_ip, '127.0.0.1');
    assert.ok(rows[0]!.n >= 4, 'SYN, ACK, data and FIN towards the listener');
    assert.deepEqual(rows[1], { protocol: 'UDP', src_ip: '::1', dst_ip: '::1', n: 4 });
    const flows = dbRows<{ proto: string; conn_state: string; resp_p: number }>(
      db,
      `SELECT proto, conn_state, resp_p FROM flows WHERE resp_p IN (47914, 47915) ORDER BY proto`,
    );
    assert.deepEqual(flows, [
      { proto: 'tcp', conn_state: 'SF', resp_p: 47914 },
      { proto: 'udp', conn_state: 'S0', resp_p: 47915 },
    ]);
  },
);

test(
  'ICMP and ICMPv6 on lo: the port-unreachable errors the kernel sends back are ICMP rows without ports',
  { timeout: 30_000 },
  async () => {
    const db = join(work, 'icmp.db');
    // Nothing listens on these ports, so the kernel answers every datagram with a port unreachable
    // (loopback is exempt from ICMP rate limiting). The quoted UDP header must not lend its ports.
    const r = await capture(
      // Only the errors quoting our datagrams: other programs' ICMP on lo must not count.
      [
        '-i',
        'lo',
        '-f',
        '(icmp and icmp[30:2] = 47916) or (icmp6 and ip6[90:2] = 47917)',
        '-q',
        '-a',
        'duration:2',
        '--db',
        db,
      ],
      async () => {
        await sendUdp(47916, 3);
        await sendUdp6(47917, 3);
      },
    );
    assert.equal(r.code, 0, r.stderr);
    const rows = dbRows<{ protocol: string; src_ip: string; ip_proto: number; ports: number; n: number }>(
      db,
      `SELECT protocol, src_ip, ip_proto, COUNT(src_port) + COUNT(dst_port) AS ports, COUNT(*) AS n
         FROM traffic GROUP BY protocol ORDER BY protocol`,
    );
    assert.deepEqual(rows, [
      { protocol: 'ICMP', src_ip: '127.0.0.1', ip_proto: 1, ports: 0, n: 3 },
      { protocol: 'ICMPv6', src_ip: '::1', ip_proto: 58, ports: 0, n: 3 },
    ]);
    const flows = dbRows<{ proto: string; orig_p: number; resp_p: number; orig_pkts: number }>(
      db,
      `SELECT proto, orig_p, resp_p, orig_pkts FROM flows ORDER BY ip_proto`,
    );
    // Zeek's ICMP flows: orig_p is the type, resp_p the code for messages without a counterpart.
    assert.deepEqual(flows, [
      { proto: 'icmp', orig_p: 3, resp_p: 3, orig_pkts: 3 },
      { proto: 'icmp', orig_p: 1, resp_p: 4, orig_pkts: 3 },
    ]);
  },
);

test(
  '-Z nobody: the capture goes on as nobody once the device, database and -w file are open',
  { timeout: 30_000 },
  async () => {
    const dir = join(work, 'drop-root');
    mkdirSync(dir);
    chmodSync(dir, 0o777); // the chart is written after the switch
    const db = join(dir, 'dropped.db');
    let status = '';
    const r = await capture(
      [
        '-i',
        'lo',
        '-f',
        'udp port 47918',
        '-c',
        '3',
        '-q',
        '-Z',
        'nobody',
        '--db',
        db,
        '-w',
        join(dir, 'x.pcapng'),
      ],
      async (child) => {
        status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        await sendUdp(47918, 3);
      },
    );
    assert.equal(r.code, 0, r.stderr);
    const nobody = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim();
    assert.match(status, new RegExp(`^Uid:\\t${nobody}\\t${nobody}\\t${nobody}\\t${nobody}$`, 'm'));
    assert.match(status, /^Groups:\t\d+ ?$/m, "root's supplementary groups are gone");
    assert.equal(dbRows<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM traffic')[0]!.n, 3);
    const bad = spawnSync('node', [NTA, 'capture', '-i', 'lo', '-Z', 'no-such-user-here', '-c', '1'], {
      cwd: work,
      encoding: 'utf8',
    });
    assert.equal(bad.status, 2);
    assert.equal(bad.stderr, 'nta: --user no-such-user-here: no such user\n');
  },
);

test(
  'detection runs on live capture: connections to 30 closed ports are a vertical scan',
  { timeout: 30_000 },
  async () => {
    const db = join(work, 'scan.db');
    const connectClosed = (port: number): Promise<void> =>
      new Promise((resolve) => {
        const c = createConnection(port, '127.0.0.1');
        c.on('error', () => resolve()); // ECONNREFUSED: SYN answered by RST
        c.on('connect', () => {
          c.destroy();
          resolve();
        });
      });
    const r = await capture(
      ['-i', 'lo', '-q', '-f', 'tcp portrange 47000-47099', '-c', '60', '--db', db, '--no-chart'],
      async () => {
        for (let p = 47000; p < 47030; p++) await connectClosed(p);
      },
    );
    assert.equal(r.code, 0, r.stderr);
    const rows = dbRows<{ type: string; src_ip: string; dst_ip: string }>(
      db,
      'SELECT type, src_ip, dst_ip FROM alerts',
    );
    assert.deepEqual(rows, [{ type: 'port_scan_vertical', src_ip: '127.0.0.1', dst_ip: '127.0.0.1' }]);
    assert.match(r.stderr, /^Alerts: 1 \(port_scan_vertical 1\)$/m);
  },
);

test(
  '--ipfix exports the flows of a live capture to a collector on loopback',
  { timeout: 30_000 },
  async () => {
    const collector = createSocket('udp4');
    const messages: Buffer[] = [];
    collector.on('message', (m) => messages.push(m));
    await new Promise<void>((resolve) => collector.bind(0, '127.0.0.1', resolve));
    const db = join(work, 'ipfix.db');
    const target = `127.0.0.1:${collector.address().port}`;
    const r = await capture(
      ['-i', 'lo', '-f', 'udp and dst port 47920', '-q', '--json', '--db', db, '--ipfix', target],
      async (child) => {
        await sendUdp(47920, 5, 100);
        await new Promise((resolve) => setTimeout(resolve, 500));
        child.kill('SIGINT');
      },
    );
    for (let polls = 0; messages.length === 0 && polls < 1000; polls++)
      await new Promise((resolve) => setImmediate(resolve));
    collector.close();
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as {
      ipfix: { flows: number; messages: number; sendErrors: number };
    };
    assert.deepEqual(summary.ipfix, { collector: target, flows: 1, messages: 1, sendErrors: 0, skipped: 0 });
    assert.equal(messages.length, 1);
    const m = messages[0]!;
    // Header, template set, then the data set of template 256 with the one flow record.
    let o = 16 + m.readUInt16BE(18);
    assert.equal(m.readUInt16BE(o), 256);
    o += 4;
    const [flow] = dbRows<{ orig_p: number; orig_ip_bytes: number }>(
      db,
      'SELECT orig_p, orig_ip_bytes FROM flows',
    );
    assert.equal(m.readUInt16BE(o + 24), flow!.orig_p);
    assert.equal(m.readUInt16BE(o + 26), 47920);
    assert.equal(m.readUInt8(o + 28), 17);
    assert.equal(Number(m.readBigUInt64BE(o + 31)), 5, 'packets');
    assert.equal(Number(m.readBigUInt64BE(o + 39)), 5 * 128, 'IP-level bytes: 20 + 8 + 100 per datagram');
    assert.equal(flow!.orig_ip_bytes, 5 * 128);
  },
);
