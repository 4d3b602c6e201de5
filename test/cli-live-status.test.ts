/**
 * The live status of `nta read` on a terminal: run under a real pseudo-terminal (util-linux `script`), and
 * through plain pipes, where no ANSI control may appear.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { formatBytes, formatCount } from '../src/present/numbers.js';
import { NTA, workDir } from './support/cli.js';
import { PCAPS_DIR } from './support/corpus.js';

const SCRIPT = '/usr/bin/script';
const CAPTURES = [
  join(PCAPS_DIR, 'mixed-home-browsing-tls-dns.pcap'),
  join(PCAPS_DIR, 'http-get-simple.pcap'),
];
/** Frames in mixed-home-browsing-tls-dns.pcap (tshark's count in the corpus reference). */
const MIXED_FRAMES = 3138;
const ESC = '\x1b';
/** The redraw: cursor up over the previous block, erase to the end of the screen. */
const REDRAW = new RegExp(`${ESC}\\[\\d+F${ESC}\\[J`);

const work = workDir('nta-live-');
let dbSeq = 0;
const db = (): string => join(work, `run-${++dbSeq}.db`);

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs a bash command line under a pseudo-terminal: stdin, stdout and stderr are all that terminal. `script`
 * runs it with $SHELL, which CI sets to dash (no /dev/udp): SHELL is pinned to bash.
 */
function onTerminal(commandLine: string): { status: number | null; output: string } {
  assert.ok(existsSync(SCRIPT), `${SCRIPT} is missing: apt-get install -y bsdutils (util-linux)`);
  const r = spawnSync(SCRIPT, ['-qfec', `stty cols 120; ${commandLine}`, '/dev/null'], {
    cwd: work,
    encoding: 'utf8',
    env: { ...process.env, SHELL: '/bin/bash' },
  });
  return { status: r.status, output: r.stdout.replace(/\r\n/g, '\n') };
}

const ntaLine = (args: string[]): string => ['node', NTA, ...args].map(quote).join(' ');

/** The status frames drawn: the text between redraws, before the block is erased for the summary. */
function frames(output: string): string[] {
  return output.split(REDRAW).slice(0, -1);
}

test('on a terminal with -q: a status block with a progress bar over both files, erased before the summary', () => {
  const total = CAPTURES.reduce((n, f) => n + statSync(f).size, 0);
  const r = onTerminal(ntaLine(['read', '-q', '--no-chart', '--db', db(), ...CAPTURES]));
  assert.equal(r.status, 0, r.output);
  const drawn = frames(r.output);
  assert.ok(drawn.length >= 1, `a status block was drawn:\n${r.output}`);
  for (const f of drawn) {
    assert.match(f, /^[\d,]+ packets\/s {2}[\d.]+ [kMGT]?bit\/s/m, 'rates');
    assert.match(
      f,
      new RegExp(`[█░]{30} +\\d+%  .* of ${formatBytes(total).replace('.', '\\.')}  ETA`),
      'bar',
    );
    assert.match(f, /Dropped 0/);
  }
  // After the last erase comes the summary, and nothing of the status block.
  const after = r.output.split(REDRAW).at(-1)!;
  assert.match(after, /^3,152 packets \(1,556,915 bytes\) read from 2 captures/);
  assert.ok(!after.includes(ESC));
});

test('on a terminal, a slow input shows live totals, protocols and flows while it is read', () => {
  const capture = CAPTURES[0]!;
  // The writer holds stdin open a while after the capture: the status redraws with everything counted.
  const r = onTerminal(
    `(cat ${quote(capture)}; sleep 1.5) | ${ntaLine(['read', '-q', '--no-chart', '--db', db(), '-'])}`,
  );
  assert.equal(r.status, 0, r.output);
  const full = frames(r.output).filter((f) => f.includes(`${formatCount(MIXED_FRAMES)} packets, `));
  assert.ok(full.length >= 1, `a frame with all ${MIXED_FRAMES} packets:\n${r.output}`);
  const f = full.at(-1)!;
  assert.match(f, /^Reading -$/m);
  assert.match(
    f,
    /^TCP 2,982 {2}· {2}UDP 104 {2}· {2}non-IP 48 {2}· {2}ICMPv6 4$/m,
    'protocol totals as the summary counts them',
  );
  assert.match(f, /^Flows \d+ open, \d+ ended {2}· {2}Dropped 0$/m);
  assert.ok(!f.includes('█') && !f.includes('░'), 'no progress bar for stdin (size unknown)');
});

test('per-packet lines on the same terminal: no status block; with stdout redirected: status on stderr', () => {
  const lines = onTerminal(ntaLine(['read', '--no-chart', '--db', db(), CAPTURES[1]!]));
  assert.equal(lines.status, 0, lines.output);
  assert.ok(!lines.output.includes(ESC), 'packet lines and a status block would fight: none drawn');
  assert.equal(lines.output.split('\n').filter((l) => / \| TCP \| /.test(l)).length, 14);

  const file = join(work, 'lines.txt');
  const redirected = onTerminal(
    `${ntaLine(['read', '--no-chart', '--db', db(), CAPTURES[1]!])} > ${quote(file)}`,
  );
  assert.equal(redirected.status, 0, redirected.output);
  assert.ok(frames(redirected.output).length >= 1, 'status block on the terminal');
  const text = readFileSync(file, 'utf8');
  assert.equal(text.split('\n').filter((l) => / \| TCP \| /.test(l)).length, 14);
  assert.ok(!text.includes(ESC));

  const off = onTerminal(ntaLine(['read', '-q', '--no-status', '--no-chart', '--db', db(), CAPTURES[1]!]));
  assert.equal(off.status, 0, off.output);
  assert.ok(!off.output.includes(ESC), '--no-status');
});

test('through pipes (no terminal): plain lines only, not one ANSI control', () => {
  for (const quiet of [[], ['-q']]) {
    const r = spawnSync('node', [NTA, 'read', ...quiet, '--no-chart', '--db', db(), ...CAPTURES], {
      cwd: work,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(
      !r.stdout.includes(ESC) && !r.stderr.includes(ESC),
      `no escapes with ${quiet.join(' ') || 'lines'}`,
    );
    assert.match(r.stderr, /^3,152 packets/);
    assert.equal(r.stdout.split('\n').filter((l) => l.includes(' | ')).length, quiet.length === 0 ? 3152 : 0);
  }
});

test('nta capture on a terminal: the status names the interface and counts what arrives (root, loopback)', () => {
  const port = 47913;
  const database = db();
  // bash sends ten UDP datagrams once the database exists (the capture is open by then), each from a new
  // socket (a connected one would fail every other send on the ICMP port unreachable): ten flows.
  const sender =
    `(while [ ! -e ${quote(database)} ]; do sleep 0.05; done; ` +
    `for i in 1 2 3 4 5 6 7 8 9 10; do printf x > /dev/udp/127.0.0.1/${port}; sleep 0.02; done) &`;
  const args = [
    'capture',
    '-i',
    'lo',
    '-f',
    `udp and dst port ${port}`,
    '-a',
    'duration:2',
    '-q',
    '--no-chart',
  ];
  const r = onTerminal(`${sender} ${ntaLine([...args, '--db', database])}`);
  assert.equal(r.status, 0, r.output);
  const live = frames(r.output).filter((f) => /^Capturing on lo$/m.test(f));
  assert.ok(live.length >= 1, `status frames while capturing:\n${r.output}`);
  const last = live.at(-1)!;
  assert.match(last, /^UDP 10$/m, 'all ten datagrams counted');
  // The capture's end may flush the flows before the last redraw: ten flows, open or ended by then.
  const flows = /^Flows (\d+) open, (\d+) ended {2}· {2}Dropped 0$/m.exec(last);
  assert.ok(flows !== null, last);
  assert.equal(Number(flows[1]) + Number(flows[2]), 10, 'one flow per datagram (each from its own socket)');
  assert.ok(!last.includes('█'), 'no progress bar for an interface');
  assert.match(r.output.split(REDRAW).at(-1)!, /^10 packets \(/);
});
