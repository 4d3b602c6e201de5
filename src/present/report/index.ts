import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { NtaError } from '../../core/errors.js';
import { openQueryDb, type QueryDb } from '../../store/query/query-db.js';
import {
  CHART_TYPES,
  epochOf,
  localTime,
  outputStem,
  renderChart,
  timeZoneLabel,
  type ChartFilter,
  type ChartType,
} from '../charts/index.js';
import {
  checkCaptureIds,
  topPorts,
  topTalkers,
  trafficTotals,
  type PortRow,
  type TalkerRow,
} from '../charts/query.js';
import { serviceName } from '../charts/services.js';
import { formatBytes, formatCount } from '../numbers.js';
import { html, trustedHtml, type Html } from './html.js';
import {
  alertTable,
  captureRows,
  flowCount,
  topDomains,
  type AlertTable,
  type CaptureRow,
  type DomainTable,
} from './report-data.js';
import { REPORT_CSS } from './style.js';

/** Rows in the report's tables (the charts draw fewer bars; the tables go on a little further). */
export const REPORT_TOP_HOSTS = 25;
export const REPORT_TOP_PORTS = 25;
export const REPORT_TOP_DOMAINS = 25;
/** Alerts listed one by one; the count per severity covers all of them. */
export const REPORT_MAX_ALERTS = 200;

export interface ReportOptions extends ChartFilter {
  /** Output file; default `<db name>-report.html` beside the database. */
  readonly out?: string | undefined;
  /** The report's "generated at" time (default now). */
  readonly now?: Date;
  /** PostgreSQL: only this sensor's rows. */
  readonly sensor?: string | undefined;
}

/** `<db name>-report.html` beside the database (in the current folder for a PostgreSQL URL). */
export function defaultReportPath(dbPath: string): string {
  return `${outputStem(dbPath)}-report.html`;
}

/** Opens the database read-only, renders the report and writes it; returns the path written. */
export async function writeReport(dbPath: string, options: ReportOptions = {}): Promise<string> {
  const out = options.out ?? defaultReportPath(dbPath);
  const db = await openQueryDb(dbPath, { sensor: options.sensor });
  let page: Html;
  try {
    page = await renderReport(db, db.name, options);
  } finally {
    await db.close();
  }
  try {
    writeFileSync(out, page.markup);
  } catch (err) {
    throw new NtaError('NTA_ERR_IO', `${out}: cannot write the report (${(err as Error).message})`, {
      cause: err,
    });
  }
  return out;
}

/**
 * One self-contained HTML page: inline CSS and inline SVG charts, no script, and a Content-Security-Policy
 * that forbids every fetch, so it opens offline, from a mail attachment, and cannot be made to phone home.
 */
export async function renderReport(db: QueryDb, dbName: string, options: ReportOptions = {}): Promise<Html> {
  const f: ChartFilter = { captureIds: options.captureIds, from: options.from, to: options.to };
  if (f.captureIds !== undefined) await checkCaptureIds(db, f.captureIds);
  if (f.from !== undefined && f.to !== undefined && f.from > f.to)
    throw new NtaError('NTA_ERR_USAGE', `--from ${f.from} is after --to ${f.to} (both UTC)`);
  const totals = await trafficTotals(db, f);
  if (totals.packets === 0 || totals.first === null || totals.last === null)
    throw new NtaError('NTA_ERR_STORE', `${dbName}: no packets to report on`);
  const charts: Html[] = [];
  for (const type of CHART_TYPES) charts.push(await chartFigure(db, dbName, f, type));
  const zone = timeZoneLabel(epochOf(totals.first));
  const captures = await captureRows(db, f);
  const flows = await flowCount(db, f);
  const talkers = await topTalkers(db, f, REPORT_TOP_HOSTS);
  const ports = await topPorts(db, f, REPORT_TOP_PORTS);
  const domains = await topDomains(db, f, REPORT_TOP_DOMAINS);
  const alerts = await alertTable(db, f, REPORT_MAX_ALERTS);
  const name = basename(dbName);
  const generated = options.now ?? new Date();
  return html`<!DOCTYPE html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta
          http-equiv="Content-Security-Policy"
          content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"
        />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <meta name="generator" content="nta" />
        <title>nta report: ${name}</title>
        <style>
          ${trustedHtml(REPORT_CSS)}
        </style>
      </head>
      <body>
        <header>
          <h1>Network traffic report</h1>
          <p class="lead">
            ${name} · ${localTime(totals.first)} – ${localTime(totals.last)} (${zone}) · generated
            ${localTime(generated.toISOString())}
          </p>
        </header>
        <main>
          <section id="summary">
            <h2>Summary</h2>
            <dl class="figures">
              ${figure('Captures', formatCount(captures.length))}
              ${figure('Packets (IP)', formatCount(totals.packets))}
              ${figure('Bytes (IP, on the wire)', formatBytes(totals.bytes))}
              ${flows === null ? null : figure('Flows', formatCount(flows))}
              ${figure('Duration', formatDuration(epochOf(totals.last) - epochOf(totals.first)))}
            </dl>
            ${capturesTable(captures)}
          </section>
          <section id="charts">
            <h2>Charts</h2>
            ${charts}
          </section>
          ${talkersSection(talkers)} ${portsSection(ports)} ${domainsSection(domains)}
          ${alertsSection(alerts)}
        </main>
        <footer>
          <p>
            Times are local (${zone}). Byte counts are frame lengths on the wire. Made by nta from ${name}.
          </p>
        </footer>
      </body>
    </html> `;
}

/** Said in place of a chart that has nothing to draw. */
const CHART_NAMES: Readonly<Record<ChartType, string>> = {
  protocols: 'Packets and bytes per protocol',
  timeline: 'Traffic over time',
  talkers: 'Top hosts by bytes',
  ports: 'Top service ports by packets',
  alerts: 'Alerts over time by severity',
};

async function chartFigure(db: QueryDb, dbName: string, f: ChartFilter, type: ChartType): Promise<Html> {
  try {
    const chart = await renderChart(db, dbName, { ...f, type });
    // Vega writes the SVG and escapes the text in it (host names, protocol names), so it goes in as is.
    return html`<figure class="chart" id="chart-${type}">${trustedHtml(chart.svg)}</figure>`;
  } catch (err) {
    // Nothing to draw for this one (no packets with ports, say): the rest of the report still stands.
    if (!(err instanceof NtaError)) throw err;
    return html`<p class="note" id="chart-${type}">${CHART_NAMES[type]}: ${err.message}</p>`;
  }
}

function figure(label: string, value: string): Html {
  return html`<div>
    <dt>${label}</dt>
    <dd>${value}</dd>
  </div>`;
}

function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d >= 365) return `${(seconds / (365.25 * 86400)).toFixed(1)} years`;
  if (d > 0) return `${d} d ${h} h`;
  return h > 0 ? `${h} h ${m} min` : `${m} min ${seconds % 60} s`;
}

/** A stored time in local time; text that is not a time (another writer's format) is shown as it is. */
const time = (ts: string | null): string =>
  ts === null ? '–' : Number.isNaN(epochOf(ts)) ? ts : localTime(ts);
const num = (n: number | null): Html => html`<td class="num">${n === null ? '–' : formatCount(n)}</td>`;

function capturesTable(rows: readonly CaptureRow[]): Html {
  return html`<div class="scroll">
    <table id="captures">
      <caption>
        Captures
      </caption>
      <thead>
        <tr>
          <th>#</th>
          <th>Source</th>
          <th>Format</th>
          <th>Status</th>
          <th>First packet</th>
          <th>Last packet</th>
          <th class="num">Packets</th>
          <th class="num">Bytes</th>
          <th class="num">Malformed</th>
          <th class="num">Truncated</th>
          <th class="num">Dropped</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (c) =>
            html`<tr>
              <td class="num">${c.id}</td>
              <td class="name">
                ${c.source}${c.error === null ? null : html`<div class="error">${c.error}</div>`}
              </td>
              <td>${c.format}</td>
              <td>${c.status}</td>
              <td class="time">${time(c.firstPacket)}</td>
              <td class="time">${time(c.lastPacket)}</td>
              ${num(c.packets)}
              <td class="num">${formatBytes(c.bytes)}</td>
              ${num(c.malformed)}${num(c.truncated)}${num(c.dropped + c.ifDropped)}
            </tr> `,
        )}
      </tbody>
    </table>
  </div>`;
}

function talkersSection(rows: readonly TalkerRow[]): Html {
  return html`<section id="talkers">
    <h2>Top talkers</h2>
    <div class="scroll">
      <table>
        <thead>
          <tr>
            <th>Host</th>
            <th>Address</th>
            <th class="num">Sent</th>
            <th class="num">Received</th>
            <th class="num">Total</th>
            <th class="num">Packets</th>
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            (r) =>
              html`<tr>
                <td class="name">${r.host}</td>
                <td>${r.hostClass}</td>
                <td class="num">${formatBytes(r.sent)}</td>
                <td class="num">${formatBytes(r.received)}</td>
                <td class="num">${formatBytes(r.bytes)}</td>
                ${num(r.packets)}
              </tr> `,
          )}
        </tbody>
      </table>
    </div>
  </section>`;
}

function portsSection(rows: readonly PortRow[]): Html {
  return html`<section id="ports">
    <h2>Top service ports</h2>
    ${
      rows.length === 0
        ? html`<p class="note">No TCP, UDP or SCTP packets.</p>`
        : html`<div class="scroll">
              <table>
                <thead>
                  <tr>
                    <th>Port</th>
                    <th>Service</th>
                    <th class="num">Packets</th>
                    <th class="num">Bytes</th>
                  </tr>
                </thead>
                <tbody>
                  ${rows.map(
                    (r) =>
                      html`<tr>
                        <td>${r.port}/${r.protocol.toLowerCase()}</td>
                        <td>${serviceName(r.protocol, r.port) ?? '–'}</td>
                        ${num(r.packets)}
                        <td class="num">${formatBytes(r.bytes)}</td>
                      </tr> `,
                  )}
                </tbody>
              </table>
            </div>
            <p class="note">
              A packet counts for the lower of its two ports (the server's side in almost all traffic).
            </p>`
    }
  </section>`;
}

const SOURCE_HEADINGS: Readonly<Record<string, string>> = {
  dns: 'DNS queries',
  tls: 'TLS server names',
  http: 'HTTP hosts',
};

function domainsSection(t: DomainTable): Html | null {
  if (t.sources.length === 0) return null;
  return html`<section id="domains">
    <h2>Top domains</h2>
    ${
      t.rows.length === 0
        ? html`<p class="note">No names in ${t.sources.map((s) => SOURCE_HEADINGS[s]).join(', ')}.</p>`
        : html`<div class="scroll">
            <table>
              <thead>
                <tr>
                  <th>Name</th>
                  ${t.sources.map((s) => html`<th class="num">${SOURCE_HEADINGS[s]}</th>`)}
                  <th class="num">Total</th>
                </tr>
              </thead>
              <tbody>
                ${t.rows.map(
                  (r) =>
                    html`<tr>
                      <td class="name">${r.name}</td>
                      ${t.sources.map((s) => num(r[s]))}${num(r.total)}
                    </tr> `,
                )}
              </tbody>
            </table>
          </div>`
    }
  </section>`;
}

/** A CSS class for a severity we recognise; the database's own text never becomes a class name. */
function severityClass(severity: string | number | null): string {
  const s = String(severity ?? '').toLowerCase();
  if (s === 'critical' || s === 'high' || s === '1') return 'sev-high';
  if (s === 'medium' || s === '2') return 'sev-medium';
  if (s === 'low' || s === '3') return 'sev-low';
  return 'sev-other';
}

function alertsSection(t: AlertTable | null): Html | null {
  if (t === null) return null;
  const more = t.total - t.rows.length;
  return html`<section id="alerts">
    <h2>Alerts</h2>
    ${
      t.total === 0
        ? html`<p class="note">No alerts.</p>`
        : html`<p>
              ${t.bySeverity.map(
                (s) =>
                  html`<span class="badge ${severityClass(s.severity)}"
                    >${s.severity}: ${formatCount(s.alerts)}</span
                  > `,
              )}
            </p>
            <div class="scroll">
              <table>
                <thead>
                  <tr>
                    <th>Severity</th>
                    <th>Type</th>
                    <th>Source</th>
                    <th>Destination</th>
                    <th>First seen</th>
                    <th>Last seen</th>
                    <th class="num">Count</th>
                    <th>Message</th>
                  </tr>
                </thead>
                <tbody>
                  ${t.rows.map(
                    (a) =>
                      html`<tr>
                        <td><span class="badge ${severityClass(a.severity)}">${a.severity ?? '–'}</span></td>
                        <td class="name">${a.type}</td>
                        <td class="name">${a.srcIp}</td>
                        <td class="name">${a.dstIp}</td>
                        <td class="time">${time(a.firstSeen)}</td>
                        <td class="time">${time(a.lastSeen)}</td>
                        ${num(a.count)}
                        <td class="message">
                          ${a.message}${
                            a.evidence === null || a.evidence === ''
                              ? null
                              : html`<details>
                                  <summary>Evidence</summary>
                                  <pre>${a.evidence}</pre>
                                </details>`
                          }
                        </td>
                      </tr> `,
                  )}
                </tbody>
              </table>
            </div>
            ${more > 0 ? html`<p class="note">${formatCount(more)} more alerts not listed.</p>` : null}`
    }
  </section>`;
}
