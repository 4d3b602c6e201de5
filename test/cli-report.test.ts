/**
 * `nta report`: a database built from corpus captures, the report opened in Debian's Chromium (playwright-core)
 * with every network request refused, and the page checked against SQL: charts, table rows, optional
 * sections, and hostile database text shown as text.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './support/browser.js';
import { REPORT_TOP_DOMAINS, REPORT_TOP_HOSTS, REPORT_TOP_PORTS } from '../src/present/report/index.js';
import { escapeHtml } from '../src/present/report/html.js';
import { NTA, dbRows, resumTraffic, workDir } from './support/cli.js';
import { corpusCaptures } from './support/corpus.js';

const CAPTURE_NAMES = ['mixed-home-browsing-tls-dns', 'http-get-simple', 'dns-many-queries'];
/** Text a DNS answer, a Host header or a file name could carry: it must show up as text, never run. */
const HOSTILE_SCRIPT = `<script>window.__ntaPwned = 'script'</script>.evil.example`;
const HOSTILE_IMG = `<img src="https://tracker.example/x.png" onerror="window.__ntaPwned = 'img'">`;

const work = workDir('nta-report-');
const captures = corpusCaptures().filter((c) => CAPTURE_NAMES.includes(c.name));
const PLAIN_DB = join(work, 'plain.db');
const FULL_DB = join(work, 'full.db');

function nta(args: string[]): SpawnSyncReturns<string> {
  return spawnSync('node', [NTA, ...args], { cwd: work, encoding: 'utf8' });
}

function count(db: string, sql: string): number {
  return Number(Object.values(dbRows<Record<string, number>>(db, sql)[0]!)[0]);
}

/**
 * The full database is what `nta read` writes (its dns/tls/http tables filled by the parsers) plus alert
 * rows, and hostile text in a capture source, a DNS name, an alert and a protocol name (which the protocols
 * chart draws).
 */
function addOptionalTables(db: string): void {
  const conn = new Database(db);
  try {
    const ids = new Map(
      (conn.prepare('SELECT id, source FROM captures').all() as { id: number; source: string }[]).map((r) => [
        r.source,
        r.id,
      ]),
    );
    const hostileDns = conn.prepare(
      `INSERT INTO dns (ts, ts_us, uid, orig_h, orig_p, resp_h, resp_p, proto, trans_id, query, AA, TC, RD, RA,
         rejected, capture_id)
       VALUES ('2022-03-17 08:39:00.000000', 1647506340000000, 'Fx', '10.0.0.1', 5353, '10.0.0.2', 53, 'udp', 1, ?,
         0, 0, 1, 0, 0, ?)`,
    );
    conn.transaction(() => {
      const first = [...ids.values()][0]!;
      // The hostile name is the most queried one, so it is sure to be among the top domains.
      for (let i = 0; i < 500; i++) hostileDns.run(HOSTILE_SCRIPT, first);
      conn.prepare('UPDATE captures SET source = ? WHERE id = ?').run(HOSTILE_IMG, first);
      conn
        .prepare(
          `INSERT INTO traffic (timestamp, src_ip, dst_ip, protocol, length, capture_id)
           VALUES ('2022-03-17 08:39:00.000000', '10.0.0.1', '10.0.0.2', ?, 60, ?)`,
        )
        .run('<script>window.__ntaPwned = "svg"</script>', first);
      resumTraffic(conn);
      // The alerts table is nta's own (every database has it); these rows stand for what detectors raise.
      const alert = conn.prepare(
        `INSERT INTO alerts (id, type, severity, src_ip, dst_ip, first_seen, first_seen_us, last_seen,
           last_seen_us, count, message, evidence)
         VALUES (?, ?, ?, ?, ?, '2022-03-17 08:39:00.000000', 1647506340000000, '2022-03-17 08:40:00.000000',
           1647506400000000, ?, ?, ?)`,
      );
      alert.run(
        'A1',
        'scan.port_scan',
        'high',
        '192.168.100.206',
        '8.8.8.8',
        40,
        'Port scan: 40 ports',
        '{"ports":[1,2]}',
      );
      alert.run('A2', 'dns.tunnel', 'medium', '192.168.100.206', null, 3, HOSTILE_SCRIPT, HOSTILE_IMG);
      alert.run('A3', 'weird.tcp', 'low', '10.0.0.1', null, 1, 'odd TCP', '{}');
    })();
  } finally {
    conn.close();
  }
}

let browser: Browser;

before(async () => {
  assert.equal(captures.length, CAPTURE_NAMES.length, 'corpus captures present');
  // Without detection the alerts table stays empty: the plain report has no alerts to list.
  const built = nta([
    'read',
    '-q',
    '--no-chart',
    '--no-detect',
    '--db',
    PLAIN_DB,
    ...captures.map((c) => c.path),
  ]);
  assert.equal(built.status, 0, built.stderr);
  copyFileSync(PLAIN_DB, FULL_DB);
  addOptionalTables(FULL_DB);
  // The plain database lacks the application tables, as one written before they existed.
  const plain = new Database(PLAIN_DB);
  try {
    plain.exec('DROP TABLE dns; DROP TABLE tls; DROP TABLE http;');
  } finally {
    plain.close();
  }
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

interface OpenedReport {
  readonly page: Page;
  readonly consoleErrors: string[];
  readonly pageErrors: string[];
  readonly requests: string[];
}

/** Opens a report file with every request other than the file itself recorded and refused. */
async function openReport(path: string, colorScheme: 'light' | 'dark' = 'light'): Promise<OpenedReport> {
  const url = pathToFileURL(path).href;
  const page = await browser.newPage({ colorScheme, viewport: { width: 1280, height: 900 } });
  const opened: OpenedReport = { page, consoleErrors: [], pageErrors: [], requests: [] };
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') opened.consoleErrors.push(m.text());
  });
  page.on('pageerror', (err) => opened.pageErrors.push(err.message));
  page.on('request', (r) => opened.requests.push(r.url()));
  await page.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
  await page.goto(url, { waitUntil: 'load' });
  return opened;
}

function assertClean(r: OpenedReport, path: string): void {
  assert.deepEqual(r.consoleErrors, [], 'console errors');
  assert.deepEqual(r.pageErrors, [], 'page errors');
  assert.deepEqual(r.requests, [pathToFileURL(path).href], 'the report fetches nothing but itself');
}

const rowCount = (page: Page, selector: string): Promise<number> =>
  page.locator(`${selector} tbody tr`).count();

test('a report without dns/tls/http/alerts tables: charts, summary, talkers and ports from SQL', async () => {
  const out = join(work, 'plain.html');
  const r = nta(['report', '--db', PLAIN_DB, '-o', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), out);
  const opened = await openReport(out);
  const { page } = opened;
  try {
    assertClean(opened, out);
    for (const type of ['protocols', 'timeline', 'talkers', 'ports']) {
      const svg = page.locator(`#chart-${type} svg`);
      assert.equal(await svg.count(), 1, `${type} chart is an inline SVG`);
      const box = await svg.boundingBox();
      assert.ok(box !== null && box.width > 600 && box.height > 300, `${type} chart is drawn large enough`);
    }
    assert.match(
      (await page.locator('#chart-protocols svg').textContent()) ?? '',
      /Packets and bytes per protocol/,
    );
    assert.equal(await rowCount(page, '#captures'), count(PLAIN_DB, 'SELECT COUNT(*) FROM captures'));
    const hosts = count(
      PLAIN_DB,
      'SELECT COUNT(*) FROM (SELECT src_ip FROM traffic UNION SELECT dst_ip FROM traffic)',
    );
    assert.ok(hosts > REPORT_TOP_HOSTS, `corpus has more hosts (${hosts}) than the table shows`);
    assert.equal(await rowCount(page, '#talkers'), REPORT_TOP_HOSTS);
    const topHost = dbRows<{ host: string }>(
      PLAIN_DB,
      `SELECT host FROM (SELECT src_ip AS host, length FROM traffic UNION ALL SELECT dst_ip, length FROM traffic)
       GROUP BY host ORDER BY SUM(length) DESC LIMIT 1`,
    )[0]!.host;
    assert.equal(await page.locator('#talkers tbody tr:first-child td:first-child').textContent(), topHost);
    const ports = count(
      PLAIN_DB,
      `SELECT COUNT(*) FROM (SELECT DISTINCT protocol, MIN(src_port, dst_port) FROM traffic
       WHERE src_port IS NOT NULL AND dst_port IS NOT NULL)`,
    );
    assert.equal(await rowCount(page, '#ports'), Math.min(ports, REPORT_TOP_PORTS));
    const packets = count(PLAIN_DB, 'SELECT COUNT(*) FROM traffic');
    assert.match(
      (await page.locator('#summary .figures').textContent()) ?? '',
      new RegExp(packets.toLocaleString('en-US')),
    );
    assert.equal(await page.locator('#domains').count(), 0, 'no domains section without the tables');
    assert.equal(
      (await page.locator('#alerts').textContent())?.includes('No alerts.'),
      true,
      'an empty alerts table says so',
    );
  } finally {
    await page.close();
  }
});

test('a report with domains and alerts: row counts from SQL, hostile text shown as text and never run', async () => {
  const out = join(work, 'full.html');
  const r = nta(['report', '--db', FULL_DB, '-o', out]);
  assert.equal(r.status, 0, r.stderr);
  for (const scheme of ['light', 'dark'] as const) {
    const opened = await openReport(out, scheme);
    const { page } = opened;
    try {
      assertClean(opened, out);
      assert.equal(
        await page.evaluate(() => (globalThis as unknown as { __ntaPwned?: string }).__ntaPwned),
        undefined,
      );
      assert.equal(await page.locator('script, img, iframe, object, embed').count(), 0, 'no active elements');
      const names = count(
        FULL_DB,
        `SELECT COUNT(DISTINCT name) FROM (SELECT lower(query) AS name FROM dns UNION ALL
         SELECT lower(server_name) FROM tls UNION ALL SELECT lower(host) FROM http)`,
      );
      assert.ok(names > 1);
      assert.equal(await rowCount(page, '#domains'), Math.min(names, REPORT_TOP_DOMAINS));
      assert.equal(
        await page.locator('#domains tbody tr:first-child td:first-child').textContent(),
        HOSTILE_SCRIPT.toLowerCase(), // names are compared lower-cased, as DNS does
      );
      // The DNS, TLS and HTTP columns each hold a name the corpus reference has for these captures.
      const tlsName = dbRows<{ n: string }>(
        FULL_DB,
        'SELECT lower(server_name) AS n FROM tls GROUP BY 1 ORDER BY COUNT(*) DESC, 1 LIMIT 1',
      )[0]!.n;
      const httpName = dbRows<{ n: string }>(
        FULL_DB,
        'SELECT lower(host) AS n FROM http GROUP BY 1 ORDER BY COUNT(*) DESC, 1 LIMIT 1',
      )[0]!.n;
      const domainsText = (await page.locator('#domains').textContent()) ?? '';
      assert.ok(domainsText.includes(tlsName), `top TLS name ${tlsName} listed`);
      assert.ok(domainsText.includes(httpName), `top HTTP host ${httpName} listed`);
      assert.equal(await rowCount(page, '#alerts'), count(FULL_DB, 'SELECT COUNT(*) FROM alerts'));
      const severities = await page.locator('#alerts tbody tr td:first-child').allTextContents();
      assert.deepEqual(severities, ['high', 'medium', 'low'], 'most severe first');
      const alertText = (await page.locator('#alerts').textContent()) ?? '';
      assert.ok(alertText.includes(HOSTILE_SCRIPT) && alertText.includes(HOSTILE_IMG), 'alert text as text');
      assert.ok(((await page.locator('#captures').textContent()) ?? '').includes(HOSTILE_IMG));
      // Vega escapes the text it draws: the hostile protocol name is an axis label (cut to fit), as text.
      const chartText = (await page.locator('#chart-protocols svg').textContent()) ?? '';
      assert.ok(chartText.includes('<script>window.__nta'));
    } finally {
      await page.close();
    }
  }
  // In the file, the hostile text exists only escaped.
  const file = readFileSync(out, 'utf8');
  assert.ok(!file.includes('<script') && !file.includes('<img'));
  assert.ok(file.includes(escapeHtml(HOSTILE_SCRIPT)));
});

test('--capture and --from narrow the report; a missing database or capture is one line on stderr', async () => {
  const out = join(work, 'one.html');
  const r = nta(['report', '--db', FULL_DB, '--capture', '2', '-o', out]);
  assert.equal(r.status, 0, r.stderr);
  const opened = await openReport(out);
  try {
    assertClean(opened, out);
    assert.equal(await rowCount(opened.page, '#captures'), 1);
    const hosts = count(
      FULL_DB,
      'SELECT COUNT(*) FROM (SELECT src_ip FROM traffic WHERE capture_id = 2 UNION SELECT dst_ip FROM traffic WHERE capture_id = 2)',
    );
    assert.equal(await rowCount(opened.page, '#talkers'), Math.min(hosts, REPORT_TOP_HOSTS));
    assert.equal(
      await rowCount(opened.page, '#domains'),
      Math.min(
        REPORT_TOP_DOMAINS,
        count(
          FULL_DB,
          `SELECT COUNT(DISTINCT name) FROM (SELECT lower(query) AS name FROM dns WHERE capture_id = 2 UNION ALL
           SELECT lower(server_name) FROM tls WHERE capture_id = 2 UNION ALL SELECT lower(host) FROM http WHERE capture_id = 2)`,
        ),
      ),
    );
  } finally {
    await opened.page.close();
  }
  const since = '2022-03-17 00:00:00.000000';
  const fromOut = join(work, 'since.html');
  const r2 = nta(['report', '--db', PLAIN_DB, '--from', '2022-03-17T00:00:00Z', '-o', fromOut]);
  assert.equal(r2.status, 0, r2.stderr);
  const since2022 = await openReport(fromOut);
  try {
    assertClean(since2022, fromOut);
    assert.equal(
      await rowCount(since2022.page, '#captures'),
      count(PLAIN_DB, `SELECT COUNT(*) FROM captures WHERE last_packet >= '${since}'`),
    );
    const packets = count(PLAIN_DB, `SELECT COUNT(*) FROM traffic WHERE timestamp >= '${since}'`);
    assert.ok(packets < count(PLAIN_DB, 'SELECT COUNT(*) FROM traffic'), 'the range leaves packets out');
    assert.match(
      (await since2022.page.locator('#summary .figures').textContent()) ?? '',
      new RegExp(packets.toLocaleString('en-US')),
    );
  } finally {
    await since2022.page.close();
  }
  const missing = nta(['report', '--db', join(work, 'none.db')]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^nta: .*none\.db: no such database/);
  assert.equal(missing.stderr.trim().split('\n').length, 1);
  const badCapture = nta(['report', '--db', FULL_DB, '--capture', '99']);
  assert.equal(badCapture.status, 2);
  assert.match(badCapture.stderr, /^nta: --capture 99: no such capture/);
});
