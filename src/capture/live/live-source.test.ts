import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NtaError } from '../../core/errors.js';
import { formatInterfaces, listInterfaces, defaultRouteInterfaces } from './interfaces.js';
import { checkFilter, OfflineFilter } from './libpcap.js';
import { openLiveCapture, type LiveSource } from './live-source.js';

/**
 * Live capture against real traffic that never leaves this machine: a veth pair whose far end lives in a
 * network namespace the test creates (10.203.0.1/30 here, 10.203.0.2/30 there), and the loopback device.
 * Needs root (CI runs as root); without it the suite fails and says so rather than skipping.
 */

const tag = String(process.pid % 100000);
const NS = `nta-test-${tag}`;
const HOST_IF = `ntat${tag}h`;
const NS_IF = `ntat${tag}n`;
const HOST_IP = '10.203.0.1';
const NS_IP = '10.203.0.2';

interface Seen {
  src: string;
  dst: string;
  dstPort: number;
  wireLen: number;
  caplen: number;
  tsMs: number;
  linkType: number;
  frame: number;
}

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function cleanup(): void {
  try {
    sh('ip', ['netns', 'del', NS]); // deleting the namespace deletes the veth pair with it
  } catch {
    /* not there */
  }
  try {
    sh('ip', ['link', 'del', HOST_IF]);
  } catch {
    /* not there */
  }
}

/** Sends UDP datagrams from inside the namespace to the host end of the veth: `[port, count, size][]`. */
function sendFromNamespace(plan: readonly (readonly [number, number, number])[]): void {
  const script = `
    const s = require('node:dgram').createSocket('udp4');
    const plan = ${JSON.stringify(plan)};
    (async () => {
      for (const [port, count, size] of plan)
        for (let i = 0; i < count; i++)
          await new Promise((r) => s.send(Buffer.alloc(size, i), port, '${HOST_IP}', r));
      s.close();
    })();`;
  sh('ip', ['netns', 'exec', NS, process.execPath, '-e', script]);
}

/** Reads from `source` until `want` packets were seen or `ms` passed, copying what the test checks. */
async function collect(source: LiveSource, want: number, ms: number, during?: () => void): Promise<Seen[]> {
  const seen: Seen[] = [];
  const deadline = Date.now() + ms;
  let sent = false;
  for await (const b of source) {
    if (!sent) {
      sent = true;
      during?.();
    }
    for (let i = 0; i < b.count; i++) {
      const off = b.offset[i]!;
      const d = b.data;
      const ipOff = off + 14;
      const ihl = (d[ipOff]! & 0x0f) * 4;
      seen.push({
        src: `${d[ipOff + 12]}.${d[ipOff + 13]}.${d[ipOff + 14]}.${d[ipOff + 15]}`,
        dst: `${d[ipOff + 16]}.${d[ipOff + 17]}.${d[ipOff + 18]}.${d[ipOff + 19]}`,
        dstPort: (d[ipOff + ihl + 2]! << 8) | d[ipOff + ihl + 3]!,
        wireLen: b.wireLen[i]!,
        caplen: b.caplen[i]!,
        tsMs: b.tsSec[i]! * 1000 + b.tsNsec[i]! / 1e6,
        linkType: b.linkType[i]!,
        frame: b.frame[i]!,
      });
    }
    if (seen.length >= want || Date.now() > deadline) break;
  }
  return seen;
}

describe('live capture (root, veth pair into a private namespace)', () => {
  before(() => {
    if (process.getuid?.() !== 0) {
      assert.fail(
        'live capture tests need root: run them as root (CI does), e.g. sudo node --test dist/src/capture/live/',
      );
    }
    cleanup();
    sh('ip', ['netns', 'add', NS]);
    sh('ip', ['link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', NS_IF, 'netns', NS]);
    // No IPv6 on the pair: no router solicitations or DAD packets to muddy the counts.
    sh('sysctl', ['-qw', `net.ipv6.conf.${HOST_IF}.disable_ipv6=1`]);
    sh('ip', ['netns', 'exec', NS, 'sysctl', '-qw', `net.ipv6.conf.${NS_IF}.disable_ipv6=1`]);
    sh('ip', ['addr', 'add', `${HOST_IP}/30`, 'dev', HOST_IF]);
    sh('ip', ['link', 'set', HOST_IF, 'up']);
    sh('ip', ['-n', NS, 'addr', 'add', `${NS_IP}/30`, 'dev', NS_IF]);
    sh('ip', ['-n', NS, 'link', 'set', NS_IF, 'up']);
    sh('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
    // Static neighbour entries: no ARP exchange before the first datagram.
    const hostMac = sh('cat', [`/sys/class/net/${HOST_IF}/address`]).trim();
    sh('ip', ['-n', NS, 'neigh', 'replace', HOST_IP, 'lladdr', hostMac, 'dev', NS_IF, 'nud', 'permanent']);
  });
  after(cleanup);

  for (const method of ['dump', 'copy'] as const) {
    it(`captures known UDP traffic with its BPF filter honoured (${method} path)`, async () => {
      const saved = process.env['NTA_CAPTURE_METHOD'];
      if (method === 'copy') process.env['NTA_CAPTURE_METHOD'] = 'copy';
      let source: LiveSource;
      try {
        source = await openLiveCapture({
          iface: HOST_IF,
          filter: `udp and dst port 7001 and src host ${NS_IP}`,
        });
      } finally {
        if (saved === undefined) delete process.env['NTA_CAPTURE_METHOD'];
        else process.env['NTA_CAPTURE_METHOD'] = saved;
      }
      assert.equal(source.info.method, method);
      assert.equal(source.info.linkType, 1);
      const t0 = Date.now();
      let seen: Seen[];
      try {
        seen = await collect(source, 20, 5000, () =>
          sendFromNamespace([
            [7002, 10, 50],
            [7001, 20, 100],
            [7002, 10, 50],
          ]),
        );
      } finally {
        await source.close();
      }
      const t1 = Date.now();
      assert.equal(seen.length, 20, `expected the 20 datagrams to port 7001, saw ${seen.length}`);
      for (const [k, p] of seen.entries()) {
        assert.equal(p.src, NS_IP);
        assert.equal(p.dst, HOST_IP);
        assert.equal(p.dstPort, 7001);
        assert.equal(p.wireLen, 14 + 20 + 8 + 100);
        assert.equal(p.caplen, p.wireLen);
        assert.equal(p.linkType, 1);
        assert.equal(p.frame, k + 1);
        assert.ok(p.tsMs >= t0 - 1000 && p.tsMs <= t1 + 1000, `timestamp ${p.tsMs} outside ${t0}..${t1}`);
        if (k > 0) assert.ok(p.tsMs >= seen[k - 1]!.tsMs, 'timestamps go forward');
      }
      assert.equal(source.stats.frames, 20);
      assert.equal(source.stats.dropped, 0);
      assert.equal(source.stats.behindDropped, 0);
    });
  }

  it('lists lo and the veth in the device list, with flags and addresses', () => {
    const list = listInterfaces();
    const lo = list.find((i) => i.name === 'lo');
    assert.ok(lo !== undefined, 'lo is listed');
    assert.equal(lo.loopback, true);
    assert.equal(lo.up, true);
    assert.ok(lo.addresses.some((a) => a.family === 'ipv4' && a.address === '127.0.0.1' && a.prefix === 8));
    const veth = list.find((i) => i.name === HOST_IF);
    assert.ok(veth !== undefined, `${HOST_IF} is listed`);
    assert.deepEqual(veth.addresses, [{ family: 'ipv4', address: HOST_IP, prefix: 30 }]);
    assert.equal(veth.defaultRoute, false);
    assert.match(formatInterfaces(list), new RegExp(`\\d+\\. lo +\\[up, running, loopback`));
  });
});

describe('live capture on lo (root)', () => {
  before(() => {
    if (process.getuid?.() !== 0) assert.fail('live capture tests need root: run them as root (CI does)');
  });

  it('captures IPv6 UDP on lo and yields empty batches while idle', async () => {
    const source = await openLiveCapture({ iface: 'lo', filter: 'ip6 and udp dst port 7003' });
    const client = createSocket('udp6');
    let empty = 0;
    let got = 0;
    const started = Date.now();
    try {
      for await (const b of source) {
        if (b.count === 0) empty++;
        got += b.count;
        if (empty === 2 && got === 0) {
          for (let i = 0; i < 3; i++) await new Promise((r) => client.send(Buffer.alloc(10), 7003, '::1', r));
        }
        if (got >= 3 || Date.now() - started > 5000) break;
      }
    } finally {
      client.close();
      await source.close();
    }
    assert.equal(got, 3);
    assert.ok(empty >= 2, 'idle batches arrive so the pipeline can see Ctrl-C');
  });

  it('close() ends an idle iteration promptly', async () => {
    const source = await openLiveCapture({ iface: 'lo', filter: 'udp dst port 7999' });
    const t0 = Date.now();
    setTimeout(() => void source.close(), 300);
    let batches = 0;
    for await (const b of source) batches += b.count === 0 ? 1 : 0;
    assert.ok(Date.now() - t0 < 2000, `iteration ended ${Date.now() - t0} ms after start`);
    assert.ok(batches >= 1);
  });
});

describe('live capture errors', () => {
  it('a bad filter is a one-line NtaError before capture starts', async () => {
    await assert.rejects(openLiveCapture({ iface: 'lo', filter: 'udp port' }), (err: unknown) => {
      assert.ok(err instanceof NtaError);
      assert.match(err.message, /^bad capture filter 'udp port': .+$/);
      assert.ok(!err.message.includes('\n'));
      return true;
    });
    assert.throws(() => checkFilter('tcp and and'), /^NtaError: bad capture filter 'tcp and and': /);
  });

  it('a missing interface is a one-line NtaError', async () => {
    await assert.rejects(openLiveCapture({ iface: 'nta-nope0' }), (err: unknown) => {
      assert.ok(err instanceof NtaError);
      assert.equal(err.message, 'nta-nope0: no such capture device (see `nta interfaces`)');
      return true;
    });
  });

  it('says what to do when not allowed to capture (run as nobody)', () => {
    if (process.getuid?.() !== 0) assert.fail('this test needs root to switch to the nobody user');
    const url = new URL('./live-source.js', import.meta.url).href;
    const script = `import(${JSON.stringify(url)}).then((m) => m.openLiveCapture({ iface: 'lo' }))
      .then(() => console.log('opened'), (e) => console.log(e.code + ' ' + e.message));`;
    const run = (): string =>
      sh('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '-e', script]);
    assert.match(
      run(),
      /^NTA_ERR_\w+ capturing on lo needs root or CAP_NET_RAW\/CAP_NET_ADMIN \(run as root.*\)\n$/,
    );
  });

  it('compiles filters for files with libpcap (offline filter)', () => {
    const f = new OfflineFilter('udp', 1);
    try {
      const udp = new Uint8Array(42);
      udp[12] = 0x08; // EtherType IPv4
      udp[14] = 0x45;
      udp[23] = 17; // protocol UDP
      assert.equal(f.matches(udp, 42), true);
      udp[23] = 6;
      assert.equal(f.matches(udp, 42), false);
    } finally {
      f.close();
    }
  });

  it('finds default routes in procfs format, ignoring the IPv6 reject route on lo', () => {
    const root = mkdtempSync(join(tmpdir(), 'nta-proc-'));
    try {
      mkdirSync(join(root, 'net'));
      writeFileSync(
        join(root, 'net/route'),
        'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n' +
          'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n' +
          'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n',
      );
      const z = '0'.repeat(32);
      writeFileSync(
        join(root, 'net/ipv6_route'),
        `${z} 00 ${z} 00 fd000000000000000000000000000001 00000400 00000002 00000000 00000003     wlan0\n` +
          `${z} 00 ${z} 00 ${z} ffffffff 00000001 00000000 00200200       lo\n`,
      );
      assert.deepEqual(
        [...defaultRouteInterfaces(root)].sort(),
        process.platform === 'linux' ? ['eth0', 'wlan0'] : [],
      );
      assert.equal(defaultRouteInterfaces('/nonexistent').size, 0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
