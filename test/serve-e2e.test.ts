/**
 * The dashboard end to end: `nta serve` on databases built by `nta read` from corpus captures, driven in
 * headless Chromium (Debian's, through playwright-core). Every page is clicked through and its numbers
 * checked against SQL; a live update must arrive while `nta read` adds packets; a database full of HTML and
 * script payloads in packet-derived fields must execute nothing; off 127.0.0.1 the page asks for the token.
 * Screenshots go to test-output/serve-e2e/. Fails (never skips) when Chromium is missing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './support/browser.js';
import { NTA, dbRows, resumTraffic, workDir } from './support/cli.js';
import { PCAPS_DIR, REPO_ROOT } from './support/corpus.js';
import { startServe } from './support/serve.js';

const OUT = join(REPO_ROOT, 'test-output', 'serve-e2e');
mkdirSync(OUT, { recursive: true });
const work = workDir('nta-serve-e2e-');
const DB = join(work, 'corpus.db');
const CAPTURES = ['mixed-home-browsing-tls-dns.pcap', 'http-get-simple.pcap', 'dns-many-queries.pcap'].map(
  (c) => join(PCAPS_DIR, c),
);

function ntaRead(db: string, captures: string[]): void {
  const r = spawnSync('node', [NTA, 'read', '-q', '--no-chart', '--db', db, ...captures], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
}
ntaRead(DB, CAPTURES);

/** The little of the browser's DOM the assertions use (this tsconfig has no DOM library). */
interface BrowserDocument {
  documentElement: { scrollWidth: number };
  querySelectorAll(selector: string): { length: number };
}

const one = <T>(sql: string, db = DB): T => Object.values(dbRows<Record<string, T>>(db, sql)[0]!)[0] as T;
const digits = (s: string | null): number => Number((s ?? '').replace(/\D/g, ''));

let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => browser?.close());

/** A page that records every dialog, page error and console error (a CSP violation is one). */
async function watchedPage(
  viewport = { width: 1360, height: 900 },
): Promise<{ page: Page; incidents: string[] }> {
  const page = await browser.newPage({ viewport });
  const incidents: string[] = [];
  page.on('dialog', (d) => {
    incidents.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on('pageerror', (e) => incidents.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') incidents.push(`console: ${m.text()}`);
  });
  return { page, incidents };
}

test('overview: figures as in the database, then a live update while nta read adds packets', async () => {
  const db = join(work, 'live.db');
  copyFileSync(DB, db);
  const server = await startServe(['--db', db, '--listen', '127.0.0.1:0']);
  const { page, incidents } = await watchedPage();
  await page.goto(server.url);
  await page.getByTestId('stat-packets').waitFor();
  assert.equal(
    digits(await page.getByTestId('stat-packets').textContent()),
    one<number>('SELECT COUNT(*) FROM traffic', db),
  );
  assert.equal(
    digits(await page.getByTestId('stat-flows').textContent()),
    one<number>('SELECT COUNT(*) FROM flows', db),
  );

  const protocols = await page
    .getByTestId('protocols')
    .locator('tbody tr')
    .evaluateAll((rows) => rows.map((r) => [r.children[0]!.textContent, r.children[1]!.textContent]));
  const sqlProtocols = dbRows<{ protocol: string; n: number }>(
    db,
    `SELECT COALESCE(protocol, 'unknown') AS protocol, COUNT(*) AS n FROM traffic GROUP BY 1 ORDER BY n DESC, protocol`,
  );
  assert.deepEqual(
    protocols.map(([p, n]) => [p, digits(n)]),
    sqlProtocols.map((r) => [r.protocol, r.n]),
  );
  const topTalker = dbRows<{ host: string }>(
    db,
    `SELECT host FROM (SELECT src_ip AS host, length AS b FROM traffic UNION ALL SELECT dst_ip, length FROM traffic)
     WHERE host IS NOT NULL GROUP BY host ORDER BY SUM(b) DESC, host LIMIT 1`,
  )[0]!.host;
  assert.equal(
    await page.getByTestId('talkers').locator('tbody tr').first().locator('td').first().textContent(),
    topTalker,
  );

  await page.getByTestId('live-state').filter({ hasText: 'live' }).waitFor();
  const before = one<number>('SELECT COUNT(*) FROM traffic', db);
  ntaRead(db, [join(PCAPS_DIR, 'http-get-simple.pcap')]);
  const added = one<number>('SELECT COUNT(*) FROM traffic', db) - before;
  const liveTotal = page.getByTestId('live-total');
  while (digits(await liveTotal.textContent()) < added) await page.waitForTimeout(200);
  assert.equal(digits(await page.getByTestId('live-total').textContent()), added);
  assert.equal(await page.locator('.uplot').count(), 3, 'live packets/s, live bits/s and history charts');
  await page.screenshot({ path: join(OUT, 'overview.png'), fullPage: true });
  const phone = await watchedPage({ width: 390, height: 844 });
  await phone.page.goto(server.url);
  await phone.page.getByTestId('stat-packets').waitFor();
  await phone.page.screenshot({ path: join(OUT, 'overview-phone.png'), fullPage: true });
  const overflow = (await phone.page.evaluate(
    'document.documentElement.scrollWidth - window.innerWidth',
  )) as number;
  assert.ok(overflow <= 1, `the phone layout scrolls sideways by ${overflow}px`);
  await phone.page.close();
  assert.deepEqual(incidents, []);
  await page.close();
  await server.stop();
});

test('flows, hosts and alerts pages: sorting, paging, filters and details match SQL', async () => {
  const server = await startServe(['--db', DB, '--listen', '127.0.0.1:0']);
  const { page, incidents } = await watchedPage();
  await page.goto(server.url);
  await page.getByRole('link', { name: 'Flows' }).click();
  const range = page.getByTestId('flows-range');
  await range.waitFor();
  const total = one<number>('SELECT COUNT(*) FROM flows');
  assert.ok(total > 50, `${total} flows`);
  assert.equal(await range.textContent(), `1–50 of ${total.toLocaleString('en-US')} flows`);
  const firstUids = async (): Promise<string[]> => {
    const detail = page.getByTestId('flows').locator('tbody tr');
    return detail.evaluateAll((rows) =>
      rows.map((r) => r.children[1]!.textContent + ' ' + r.children[2]!.textContent),
    );
  };
  // Sort by bytes, largest first (one click on the header), and compare with SQL.
  await page.getByTestId('flows').getByRole('columnheader', { name: 'Bytes' }).click();
  await page.waitForURL(/sort=bytes/);
  await page.getByTestId('flows').locator('th[aria-sort]', { hasText: 'Bytes' }).waitFor();
  const sqlTop = dbRows<{ a: string; b: string }>(
    DB,
    `SELECT orig_h || ':' || orig_p AS a, resp_h || ':' || resp_p AS b FROM flows
     ORDER BY orig_ip_bytes + resp_ip_bytes DESC, id DESC LIMIT 50`,
  ).map((r) => `${r.a} ${r.b}`);
  assert.deepEqual(await firstUids(), sqlTop);
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByTestId('flows-range').filter({ hasText: '51–' }).waitFor();
  // Filter by a host.
  const host = one<string>('SELECT orig_h FROM flows GROUP BY orig_h ORDER BY COUNT(*) DESC LIMIT 1');
  await page.getByPlaceholder('Host').fill(host);
  await page.getByRole('button', { name: 'Filter' }).click();
  const ofHost = one<number>(`SELECT COUNT(*) FROM flows WHERE orig_h = '${host}' OR resp_h = '${host}'`);
  await page
    .getByTestId('flows-range')
    .filter({ hasText: `of ${ofHost.toLocaleString('en-US')} flows` })
    .waitFor();
  // Details of the first flow: its packets.
  await page.getByTestId('flows').locator('tbody tr').first().click();
  await page.getByTestId('flow-packets').waitFor();
  const uid = (await page.getByTestId('flow-detail').locator('h2').textContent())!.replace('Flow ', '');
  const pkts = one<number>(`SELECT orig_pkts + resp_pkts FROM flows WHERE uid = '${uid}'`);
  assert.equal(await page.getByTestId('flow-packets').locator('tbody tr').count(), Math.min(pkts, 1000));
  // This corpus database's busiest flow carries no DNS: the section says so rather than vanishing.
  const dnsRows = one<number>(`SELECT COUNT(*) FROM dns WHERE uid = '${uid}'`);
  if (dnsRows === 0)
    await page.getByTestId('flow-detail').getByText('No DNS records for this flow.').waitFor();
  else
    assert.equal(await page.getByTestId('flow-detail').getByText('No DNS records for this flow.').count(), 0);
  await page.screenshot({ path: join(OUT, 'flows.png'), fullPage: true });

  await page.getByRole('link', { name: 'Hosts' }).click();
  await page.getByTestId('hosts-range').waitFor();
  const hosts = one<number>('SELECT COUNT(*) FROM (SELECT orig_h FROM flows UNION SELECT resp_h FROM flows)');
  assert.match(
    (await page.getByTestId('hosts-range').textContent())!,
    new RegExp(`of ${hosts.toLocaleString('en-US')} hosts$`),
  );
  const topHost = (await page
    .getByTestId('hosts')
    .locator('tbody tr')
    .first()
    .locator('td')
    .first()
    .textContent())!;
  await page.getByTestId('hosts').locator('tbody tr').first().click();
  await page.getByTestId('host-summary').waitFor();
  assert.equal(
    digits(await page.getByTestId('stat-host-flows').textContent()),
    one<number>(`SELECT COUNT(*) FROM flows WHERE orig_h = '${topHost}' OR resp_h = '${topHost}'`),
  );
  await page.screenshot({ path: join(OUT, 'host.png'), fullPage: true });

  await page.getByRole('link', { name: 'Alerts' }).click();
  const alerts = one<number>('SELECT COUNT(*) FROM alerts');
  await page
    .getByTestId('alerts-range')
    .filter({ hasText: `${alerts.toLocaleString('en-US')} alerts` })
    .waitFor();
  assert.deepEqual(incidents, []);
  await page.close();
  await server.stop();
});

const HOSTILE = [
  `<img src=x onerror="alert('img')">`,
  `"><script>alert('script')</script>`,
  `<svg onload=alert('svg')>`,
  `javascript:alert('js')`,
] as const;

/** Inserts a row giving `values`, and to every other NOT NULL column without a default 0 or ''. */
function insertRow(conn: Database.Database, table: string, values: Record<string, unknown>): void {
  const row = { ...values };
  const cols = conn
    .prepare(`SELECT name, type, "notnull" AS nn, dflt_value AS d, pk FROM pragma_table_info(?)`)
    .all(table) as {
    name: string;
    type: string;
    nn: number;
    d: unknown;
    pk: number;
  }[];
  for (const c of cols)
    if (!(c.name in row) && c.nn === 1 && c.d === null && c.pk === 0)
      row[c.name] = c.type === 'TEXT' ? '' : 0;
  const names = Object.keys(row);
  conn
    .prepare(`INSERT INTO ${table} (${names.join(', ')}) VALUES (${names.map((n) => `@${n}`).join(', ')})`)
    .run(row);
}

test('a database of HTML and script payloads in packet-derived fields: shown as text, nothing executes', async () => {
  const db = join(work, 'hostile.db');
  copyFileSync(DB, db);
  const conn = new Database(db);
  conn.prepare(`UPDATE flows SET service = ? WHERE id % 4 = 0`).run(HOSTILE[0]);
  conn.prepare(`UPDATE flows SET service = ? WHERE id % 4 = 1`).run(HOSTILE[1]);
  conn.prepare(`UPDATE flows SET history = ? WHERE id % 4 = 2`).run(HOSTILE[2]);
  conn.prepare(`UPDATE traffic SET protocol = ? WHERE id % 3 = 0`).run(HOSTILE[1]);
  conn.prepare(`UPDATE traffic SET src_ip = ? WHERE id % 50 = 0`).run(HOSTILE[0]);
  resumTraffic(conn);
  const uid = conn.prepare('SELECT uid FROM flows ORDER BY ts_us DESC LIMIT 1').pluck().get() as string;
  // The DNS and HTTP logs and alerts hold only attacker-chosen text (other NOT NULL columns get neutral values).
  conn.exec('DELETE FROM dns; DELETE FROM http; DELETE FROM alerts');
  const ts = conn.prepare('SELECT MAX(ts_us) FROM flows').pluck().get() as number;
  for (const [i, payload] of HOSTILE.entries()) {
    insertRow(conn, 'dns', { ts_us: ts, uid, query: payload, answers: JSON.stringify([payload]) });
    insertRow(conn, 'http', { ts_us: ts, uid, host: payload, uri: payload, user_agent: payload });
    insertRow(conn, 'alerts', {
      id: `AHOSTILE${i}`,
      type: payload,
      severity: 'high',
      src_ip: payload,
      dst_ip: '10.0.0.1',
      first_seen: '2024-05-01 12:00:00.000000',
      last_seen: `2024-05-01 12:00:0${i}.000000`,
      count: 1,
      message: payload,
      evidence: JSON.stringify({ query: payload }),
    });
  }
  conn.close();
  const server = await startServe(['--db', db, '--listen', '127.0.0.1:0']);
  const { page, incidents } = await watchedPage();
  await page.goto(server.url);
  await page.getByTestId('domains').waitFor();
  assert.equal(
    await page.getByTestId('domains').getByText(HOSTILE[0], { exact: true }).count(),
    1,
    'shown as text',
  );
  await page.goto(new URL(`#/flows?uid=${uid}`, server.url).href);
  await page.getByTestId('flow-http').waitFor();
  assert.ok((await page.getByTestId('flow-dns').getByText(HOSTILE[1], { exact: true }).count()) >= 1);
  await page.goto(new URL('#/alerts', server.url).href);
  // The type cell: the address cells are links to the host pages.
  await page.getByTestId('alerts').locator('tbody tr').first().locator('td').nth(2).click();
  await page.getByTestId('ack').click();
  await page.getByText('acknowledged', { exact: true }).waitFor();
  assert.equal(one<number>('SELECT COUNT(*) FROM alerts WHERE acknowledged_at IS NOT NULL', db), 1);
  await page.screenshot({ path: join(OUT, 'hostile-alerts.png'), fullPage: true });
  await page.goto(new URL('#/hosts', server.url).href);
  await page.getByTestId('hosts').waitFor();
  await page.screenshot({ path: join(OUT, 'hostile-hosts.png'), fullPage: true });
  // Nothing executed, no element came from the payloads, and the policy had nothing to block.
  assert.equal(
    await page.evaluate(
      () =>
        (globalThis as unknown as { document: BrowserDocument }).document.querySelectorAll(
          'img, svg:not(.uplot svg), script:not([src])',
        ).length,
    ),
    0,
  );
  assert.deepEqual(incidents, []);
  await page.close();
  await server.stop();
});

test('off 127.0.0.1 the page asks for the token once, then shows the data', async () => {
  const server = await startServe(['--db', DB, '--listen', '127.0.0.2:0']);
  const { page, incidents } = await watchedPage();
  await page.goto(server.url);
  const form = page.getByTestId('token-form');
  await form.waitFor();
  await form.getByLabel('Token').fill(server.token!);
  await form.getByRole('button', { name: 'Continue' }).click();
  await page.getByTestId('stat-packets').waitFor();
  assert.equal(
    digits(await page.getByTestId('stat-packets').textContent()),
    one<number>('SELECT COUNT(*) FROM traffic'),
  );
  await page.getByTestId('live-state').filter({ hasText: 'live' }).waitFor();
  await page.getByRole('link', { name: 'Flows' }).click();
  await page.getByTestId('flows-range').waitFor();
  // The 401s before the token was entered are the only console errors allowed.
  assert.deepEqual(
    incidents.filter((i) => !/401 \(Unauthorized\)/.test(i)),
    [],
  );
  await page.close();
  await server.stop();
});
