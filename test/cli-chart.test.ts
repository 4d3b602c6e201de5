/** `nta chart` and the chart module: real corpus captures, a real database, PNGs and SVGs checked by content. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import Database from 'better-sqlite3';
import { NtaError } from '../src/core/errors.js';
import {
  CHART_TYPES,
  TIMELINE_SERIES,
  TOP_HOSTS,
  TOP_PORTS,
  chooseBuckets,
  parseTimeArg,
  writeChart,
  writeProtocolChart,
} from '../src/present/charts/index.js';
import { alertCounts, timelineRates } from '../src/present/charts/query.js';
import { svgToPng } from '../src/present/charts/render.js';
import { openQueryDb } from '../src/store/query/query-db.js';
import { openSqlite } from '../src/store/sqlite/database.js';
import { NTA, workDir } from './support/cli.js';
import { PCAPS_DIR } from './support/corpus.js';

const work = workDir('nta-chart-');

const CAPTURES = [
  join(PCAPS_DIR, 'mixed-home-browsing-tls-dns.pcap'),
  join(PCAPS_DIR, 'http-get-simple.pcap'),
];
const DB = join(work, 'corpus.db');
const TITLES = {
  protocols: 'Packets and bytes per protocol',
  timeline: 'Traffic over time',
  talkers: 'hosts by bytes',
  ports: 'service ports by packets',
  alerts: 'alerts over time, by severity',
} as const;

function nta(args: string[]): SpawnSyncReturns<string> {
  return spawnSync('node', [NTA, ...args], { cwd: work, encoding: 'utf8' });
}

function one<T>(sql: string, db = DB): T {
  const conn = new Database(db, { readonly: true });
  try {
    return conn.prepare(sql).pluck().get() as T;
  } finally {
    conn.close();
  }
}

const built = nta(['read', '-q', '--db', DB, ...CAPTURES]);
const chartRegistered = nta(['chart', '--help']).stdout.includes('--type');

/** Width and height from the IHDR chunk, after checking the PNG signature. */
function pngSize(png: Buffer): { width: number; height: number } {
  assert.deepEqual(
    [...png.subarray(0, 8)],
    [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
    'PNG signature',
  );
  assert.equal(png.toString('latin1', 12, 16), 'IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** Decodes a PNG file to RGBA pixels (resvg draws it as an <image>): proves the file decodes. */
function pngPixels(png: Buffer): Buffer {
  const { width, height } = pngSize(png);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><image width="${width}" height="${height}" href="data:image/png;base64,${png.toString('base64')}"/></svg>`;
  return new Resvg(svg, { font: { loadSystemFonts: false } }).render().pixels;
}

function nonWhiteShare(rgba: Buffer): number {
  let n = 0;
  for (let i = 0; i < rgba.length; i += 4)
    if (rgba[i]! < 240 || rgba[i + 1]! < 240 || rgba[i + 2]! < 240) n++;
  return n / (rgba.length / 4);
}

function differingPixels(a: Buffer, b: Buffer): number {
  let n = 0;
  for (let i = 0; i < a.length; i += 4)
    if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2]) n++;
  return n;
}

function count(svg: string, pattern: RegExp): number {
  return svg.match(pattern)?.length ?? 0;
}

/** What the SQL says each chart must show: bars (protocols shows them twice, packets and bytes) or lines. */
async function expectedItems(type: (typeof CHART_TYPES)[number]): Promise<{ pattern: RegExp; n: number }> {
  const protocols = one<number>('SELECT COUNT(DISTINCT protocol) FROM traffic');
  switch (type) {
    case 'protocols':
      return { pattern: /aria-roledescription="bar"/g, n: 2 * protocols };
    case 'timeline':
      return { pattern: /aria-roledescription="line mark"/g, n: 2 * Math.min(protocols, TIMELINE_SERIES) };
    case 'talkers': {
      const hosts = one<number>(
        'SELECT COUNT(*) FROM (SELECT src_ip FROM traffic UNION SELECT dst_ip FROM traffic)',
      );
      return { pattern: /aria-roledescription="bar"/g, n: Math.min(hosts, TOP_HOSTS) };
    }
    case 'alerts': {
      // One bar per bucket and severity; together they hold every alert in the table.
      const db = await openQueryDb(DB);
      try {
        const first = one<string>('SELECT MIN(timestamp) FROM traffic');
        const last = one<string>('SELECT MAX(timestamp) FROM traffic');
        const rows = await alertCounts(db, {}, chooseBuckets(first, last));
        assert.equal(
          rows.reduce((n, r) => n + r.alerts, 0),
          one<number>('SELECT COUNT(*) FROM alerts'),
        );
        return { pattern: /aria-roledescription="bar"/g, n: rows.length };
      } finally {
        await db.close();
      }
    }
    case 'ports': {
      const ports = one<number>(
        `SELECT COUNT(*) FROM (SELECT DISTINCT protocol, MIN(src_port, dst_port) FROM traffic
         WHERE src_port IS NOT NULL AND dst_port IS NOT NULL)`,
      );
      return { pattern: /aria-roledescription="bar"/g, n: Math.min(ports, TOP_PORTS) };
    }
  }
}

test('the corpus database builds', () => {
  assert.equal(built.status, 0, built.stderr);
  assert.ok(one<number>('SELECT COUNT(*) FROM traffic') > 3000);
});

for (const type of CHART_TYPES) {
  test(`${type}: SVG has the title, the data's number of bars or lines, and real text`, async () => {
    const out = await writeChart(DB, { type, out: join(work, `${type}.svg`) });
    const svg = readFileSync(out, 'utf8');
    assert.match(svg, /^<svg[^>]* width="1200" height="700"/);
    assert.ok(svg.includes(TITLES[type]), `title '${TITLES[type]}' in the SVG`);
    assert.ok(svg.includes('corpus.db'), 'subtitle names the database');
    const { pattern, n } = await expectedItems(type);
    assert.equal(count(svg, pattern), n);
    assert.ok(count(svg, /<text/g) > 10, 'axis labels and titles are text');
  });

  test(`${type}: PNG is 1200×700, decodes, has content and drawn text`, async () => {
    const out = await writeChart(DB, { type, out: join(work, `${type}.png`) });
    const png = readFileSync(out);
    assert.deepEqual(pngSize(png), { width: 1200, height: 700 });
    const pixels = pngPixels(png);
    assert.equal(pixels.length, 1200 * 700 * 4);
    const ink = nonWhiteShare(pixels);
    assert.ok(ink > 0.02 && ink < 0.6, `non-white share ${ink.toFixed(3)}`);
    // The same SVG without any font draws no glyphs: the difference is the text.
    const svg = readFileSync(await writeChart(DB, { type, out: join(work, `${type}-text.svg`) }), 'utf8');
    const withText = pngPixels(svgToPng(svg));
    const withoutText = pngPixels(svgToPng(svg, { fonts: false }));
    assert.deepEqual(withText, pixels, 'the PNG file is the SVG with fonts');
    const textPixels = differingPixels(withText, withoutText);
    assert.ok(textPixels > 5000, `text changed ${textPixels} pixels`);
    // the title band (top 40 rows) holds text and nothing else
    const band = 1200 * 40 * 4;
    assert.ok(
      differingPixels(withText.subarray(0, band), withoutText.subarray(0, band)) > 300,
      'title drawn',
    );
  });
}

test('--capture narrows the data in SQL', async () => {
  const out = await writeChart(DB, { type: 'protocols', captureIds: [2], out: join(work, 'c2.svg') });
  const svg = readFileSync(out, 'utf8');
  const n = one<number>('SELECT COUNT(DISTINCT protocol) FROM traffic WHERE capture_id = 2');
  assert.equal(count(svg, /aria-roledescription="bar"/g), 2 * n);
  assert.ok(svg.includes('capture 2'));
  const packets = one<number>('SELECT COUNT(*) FROM traffic WHERE capture_id = 2');
  assert.ok(svg.includes(`${packets.toLocaleString('en-US')} IP packets`));
});

test('--from/--to narrow the data; an empty range is a one-line error', async () => {
  const first = one<string>('SELECT MIN(timestamp) FROM traffic WHERE capture_id = 1');
  const from = `${first.slice(0, 10)}T${first.slice(11, 19)}Z`;
  const out = await writeChart(DB, {
    type: 'timeline',
    from: parseTimeArg(from, '--from'),
    out: join(work, 'r.svg'),
  });
  const expected = one<number>(
    `SELECT COUNT(*) FROM traffic WHERE timestamp >= '${first.slice(0, 19)}.000000'`,
  );
  assert.ok(readFileSync(out, 'utf8').includes(`${expected.toLocaleString('en-US')} IP packets`));
  await assert.rejects(
    writeChart(DB, {
      type: 'talkers',
      from: parseTimeArg('2099-01-01Z', '--from'),
      out: join(work, 'x.png'),
    }),
    (e: unknown) =>
      e instanceof NtaError && /no packets to chart \(from 2099-01-01 00:00:00.000000 UTC\)/.test(e.message),
  );
});

test('an empty database is an error, not an empty picture', async () => {
  const empty = join(work, 'empty.db');
  openSqlite(empty).close();
  for (const type of CHART_TYPES)
    await assert.rejects(writeChart(empty, { type }), /empty\.db: no packets to chart$/);
  assert.equal(existsSync(join(work, 'empty-protocols.png')), false);
});

test('writeProtocolChart writes <db name>-protocols.png beside the database', async () => {
  const path = await writeProtocolChart(DB, { captureIds: [1] });
  assert.equal(path, join(work, 'corpus-protocols.png'));
  assert.deepEqual(pngSize(readFileSync(path)), { width: 1200, height: 700 });
});

test('time arguments: local without a zone, UTC with Z or an offset, bad ones refused', () => {
  const tz = process.env['TZ'];
  try {
    process.env['TZ'] = 'Europe/Berlin';
    assert.equal(parseTimeArg('2024-07-01 12:00', '--from'), '2024-07-01 10:00:00.000000');
    assert.equal(parseTimeArg('2024-01-01 12:00:30', '--from'), '2024-01-01 11:00:30.000000');
    assert.equal(parseTimeArg('2024-07-01T12:00:00.25Z', '--from'), '2024-07-01 12:00:00.250000');
    assert.equal(parseTimeArg('2024-07-01T12:00+05:30', '--to'), '2024-07-01 06:30:00.000000');
    for (const bad of ['yesterday', '2024-02-30', '2024-13-01 00:00', '2024-07-01 25:00', '12:00'])
      assert.throws(
        () => parseTimeArg(bad, '--from'),
        (e: unknown) => e instanceof NtaError && e.code === 'NTA_ERR_USAGE',
      );
  } finally {
    if (tz === undefined) delete process.env['TZ'];
    else process.env['TZ'] = tz;
  }
});

test('timeline buckets grow with the range: 1 s for a minute, 1 day for half a year', () => {
  assert.equal(chooseBuckets('2024-01-01 00:00:00.0', '2024-01-01 00:01:00.0').size, 1);
  assert.equal(chooseBuckets('2024-01-01 00:00:00.0', '2024-01-01 01:00:00.0').size, 30);
  assert.equal(chooseBuckets('2024-01-01 00:00:00.0', '2024-01-02 00:00:00.0').size, 600);
  assert.equal(chooseBuckets('2024-01-01 00:00:00.0', '2024-07-01 00:00:00.0').size, 86400);
  assert.equal(chooseBuckets('2024-01-01 00:00:00.0', '2024-01-01 01:00:00.0').rateSeconds, 1);
  assert.equal(chooseBuckets('2024-01-01 00:00:00.0', '2024-07-01 00:00:00.0').rateSeconds, 3600);
  const b = chooseBuckets('2024-01-01 00:00:07.5', '2024-01-01 00:10:00.0');
  assert.ok(b.count <= 240 && b.origin <= Date.parse('2024-01-01T00:00:07Z') / 1000);
});

test('timeline rates add up to the packets and bytes in SQL, over years (30-day buckets, rates per day)', async () => {
  const first = one<string>('SELECT MIN(timestamp) FROM traffic');
  const last = one<string>('SELECT MAX(timestamp) FROM traffic');
  const buckets = chooseBuckets(first, last);
  assert.deepEqual([buckets.size, buckets.rateSeconds], [30 * 86400, 86400], 'the corpus spans 2013–2022');
  const db = await openQueryDb(DB);
  try {
    const rows = await timelineRates(db, {}, buckets, TIMELINE_SERIES - 1);
    const perBucket = buckets.size / buckets.rateSeconds;
    const packets = rows.reduce((n, r) => n + r.packetRate * perBucket, 0);
    const bits = rows.reduce((n, r) => n + r.bitRate * perBucket, 0);
    assert.equal(
      Math.round(packets),
      one<number>('SELECT COUNT(*) FROM traffic WHERE timestamp IS NOT NULL'),
    );
    assert.equal(
      Math.round(bits),
      8 * one<number>('SELECT SUM(length) FROM traffic WHERE timestamp IS NOT NULL'),
    );
  } finally {
    await db.close();
  }
  const svg = readFileSync(await writeChart(DB, { type: 'timeline', out: join(work, 'years.svg') }), 'utf8');
  assert.ok(svg.includes('Packets/day') && svg.includes('Bits/day'));
  const yearLabels = [...svg.matchAll(/>(20\d\d)<\/text>/g)].map((m) => Number(m[1]));
  assert.ok(yearLabels.length >= 4, `axis labels are years: ${yearLabels.join(', ')}`);
});

test(
  'nta chart: every type, PNG and SVG, default path beside the database',
  { skip: !chartRegistered && 'chart is not registered in main.ts yet' },
  () => {
    for (const type of CHART_TYPES) {
      const r = nta(['chart', '--db', DB, '--type', type]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), join(work, `corpus-${type}.png`));
      assert.deepEqual(pngSize(readFileSync(r.stdout.trim())), { width: 1200, height: 700 });
      const svg = nta([
        'chart',
        '--db',
        DB,
        '-t',
        type,
        '--capture',
        '1',
        '-o',
        join(work, `cli-${type}.svg`),
      ]);
      assert.equal(svg.status, 0, svg.stderr);
      assert.ok(readFileSync(join(work, `cli-${type}.svg`), 'utf8').includes(TITLES[type]));
    }
  },
);

test(
  'nta chart: bad input gives one-line errors',
  { skip: !chartRegistered && 'chart is not registered in main.ts yet' },
  () => {
    const cases: [string[], RegExp, number][] = [
      [['--db', join(work, 'missing.db')], /^nta: .*missing\.db: no such database/, 1],
      [['--db', DB, '--from', 'yesterday'], /^nta: --from 'yesterday': expected a time/, 2],
      [['--db', DB, '--capture', '99'], /^nta: --capture 99: no such capture/, 2],
      [
        ['--db', DB, '-o', join(work, 'x.jpg')],
        /^nta: .*x\.jpg: the chart file must end in \.png or \.svg/,
        2,
      ],
      [['--db', DB, '--from', '2099-01-01'], /^nta: .*corpus\.db: no packets to chart/, 1],
      [['--db', DB, '--type', 'pie'], /^nta: option '-t, --type <type>' argument 'pie' is invalid/, 2],
    ];
    for (const [args, pattern, status] of cases) {
      const r = nta(['chart', ...args]);
      assert.equal(r.status, status, `${args.join(' ')}: ${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, pattern);
    }
  },
);
