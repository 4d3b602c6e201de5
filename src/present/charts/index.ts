import { writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { NtaError } from '../../core/errors.js';
import { isPostgresUrl } from '../../store/postgres/url.js';
import { openQueryDb, type QueryDb } from '../../store/query/query-db.js';
import { SEVERITIES } from '../../schema/alert.js';
import {
  alertCounts,
  checkCaptureIds,
  protocolTotals,
  seriesOrder,
  timelineRates,
  topPorts,
  topTalkers,
  trafficTotals,
  type ChartFilter,
  type TimelineBuckets,
  type TrafficTotals,
} from './query.js';
import type { Size, SpecBuilder } from './render.js';
import { formatBytes, formatCount } from '../numbers.js';
import {
  alertsSpec,
  portsSpec,
  protocolsSpec,
  talkersSpec,
  timelineSpec,
  type ChartContext,
} from './specs.js';

export { parseTimeArg } from './time-arg.js';
export type { ChartFilter } from './query.js';

export const CHART_TYPES = ['protocols', 'timeline', 'talkers', 'ports', 'alerts'] as const;
export type ChartType = (typeof CHART_TYPES)[number];
export const CHART_FORMATS = ['png', 'svg'] as const;
export type ChartFormat = (typeof CHART_FORMATS)[number];

export const DEFAULT_CHART_SIZE: Size = { width: 1200, height: 700 };
/** Bars on the protocols chart before the rest become 'other'; lines on the timeline; bars on the others. */
export const MAX_PROTOCOL_BARS = 16;
export const TIMELINE_SERIES = 6;
export const TOP_HOSTS = 15;
export const TOP_PORTS = 15;
/** At most this many time buckets across the timeline (about 4 px each at 1200 px). */
export const MAX_BUCKETS = 240;
/**
 * The timeline's rate unit by bucket size: per second up to 10-minute buckets, then per minute, hour and
 * day, so sparse traffic over years reads '12 packets/day' instead of '0.00014 packets/s'.
 */
const RATE_UNITS = [
  { upToBucket: 600, seconds: 1, name: 's' },
  { upToBucket: 3 * 3600, seconds: 60, name: 'min' },
  { upToBucket: 2 * 86400, seconds: 3600, name: 'h' },
  { upToBucket: Infinity, seconds: 86400, name: 'day' },
] as const;
/** Bucket sizes in seconds, smallest first: the timeline takes the first that fits MAX_BUCKETS. */
const BUCKET_SIZES = [
  1,
  2,
  5,
  10,
  15,
  30,
  60,
  120,
  300,
  600,
  900,
  1800,
  3600,
  7200,
  10800,
  21600,
  43200,
  86400,
  7 * 86400,
  30 * 86400,
  365 * 86400,
] as const;

export interface ChartOptions extends ChartFilter {
  readonly type: ChartType;
  readonly size?: Size;
}

export interface RenderedChart {
  readonly svg: string;
  /** Bars or lines drawn: protocols, hosts, ports or timeline series. */
  readonly items: number;
}

export interface ChartSpec {
  /** The Vega-Lite spec for a size; its data are the rows the queries returned. */
  readonly build: SpecBuilder;
  /** Bars or lines drawn: protocols, hosts, ports or timeline series. */
  readonly items: number;
}

/**
 * The spec of one chart of an open database. All figures come from GROUP BY queries (query.ts); an empty
 * database or time range is an error, never an empty picture.
 */
export async function chartSpec(db: QueryDb, dbName: string, options: ChartOptions): Promise<ChartSpec> {
  if (options.captureIds !== undefined) await checkCaptureIds(db, options.captureIds);
  if (options.from !== undefined && options.to !== undefined && options.from > options.to)
    throw new NtaError('NTA_ERR_USAGE', `--from ${options.from} is after --to ${options.to} (both UTC)`);
  const totals = await trafficTotals(db, options);
  if (totals.packets === 0 || totals.first === null || totals.last === null)
    throw new NtaError('NTA_ERR_STORE', `${dbName}: no packets to chart${describeFilter(options)}`);
  const ctx: ChartContext = { subtitle: subtitle(dbName, options, totals) };
  let build: SpecBuilder;
  let items: number;
  switch (options.type) {
    case 'protocols': {
      const rows = await protocolTotals(db, options, MAX_PROTOCOL_BARS);
      build = protocolsSpec(rows, ctx);
      items = rows.length;
      break;
    }
    case 'timeline': {
      const buckets = chooseBuckets(totals.first, totals.last);
      const rows = await timelineRates(db, options, buckets, TIMELINE_SERIES - 1);
      const series = seriesOrder(rows);
      build = timelineSpec(
        rows,
        series,
        buckets,
        bucketLabel(buckets.size),
        rateUnitName(buckets),
        timeZoneLabel(epochOf(totals.first)),
        ctx,
      );
      items = series.length;
      break;
    }
    case 'talkers': {
      const rows = await topTalkers(db, options, TOP_HOSTS);
      build = talkersSpec(rows, ctx);
      items = rows.length;
      break;
    }
    case 'alerts': {
      const buckets = chooseBuckets(totals.first, totals.last);
      const rows = await alertCounts(db, options, buckets);
      if (rows.length === 0)
        throw new NtaError('NTA_ERR_STORE', `${dbName}: no alerts to chart${describeFilter(options)}`);
      const present = new Set(rows.map((r) => r.severity));
      const severities = [
        ...SEVERITIES.filter((v) => present.has(v)),
        ...[...present].filter((v) => !(SEVERITIES as readonly string[]).includes(v)),
      ];
      build = alertsSpec(
        rows,
        severities,
        buckets,
        bucketLabel(buckets.size),
        timeZoneLabel(epochOf(totals.first)),
        ctx,
      );
      items = severities.length;
      break;
    }
    case 'ports': {
      const rows = await topPorts(db, options, TOP_PORTS);
      if (rows.length === 0)
        throw new NtaError(
          'NTA_ERR_STORE',
          `${dbName}: no packets with ports to chart${describeFilter(options)}`,
        );
      build = portsSpec(rows, ctx);
      items = rows.length;
      break;
    }
  }
  return { build, items };
}

/** Renders one chart of an open database to SVG (see chartSpec). */
export async function renderChart(
  db: QueryDb,
  dbName: string,
  options: ChartOptions,
): Promise<RenderedChart> {
  const { build, items } = await chartSpec(db, dbName, options);
  // Vega and resvg load on first use: every nta command would otherwise pay their start-up time.
  const { chartSvg } = await import('./render.js');
  return { svg: await chartSvg(build, options.size ?? DEFAULT_CHART_SIZE), items };
}

export interface WriteChartOptions extends ChartFilter {
  readonly type?: ChartType;
  /** PostgreSQL: only this sensor's rows. */
  readonly sensor?: string | undefined;
  /** Output file; its extension (.png or .svg) picks the format. Default: next to the database. */
  readonly out?: string | undefined;
  readonly size?: Size;
}

/**
 * `<folder of db>/<db name without extension>-<type>.png`; for a PostgreSQL URL, `<database name>-<type>.png`
 * in the current folder.
 */
export function defaultChartPath(dbPath: string, type: ChartType, format: ChartFormat = 'png'): string {
  return `${outputStem(dbPath)}-${type}.${format}`;
}

/** Where files made from a database go by default, without the suffix: beside it, or here for a URL. */
export function outputStem(dbPath: string): string {
  if (isPostgresUrl(dbPath)) {
    const name = decodeURIComponent(new URL(dbPath).pathname.slice(1));
    return name === '' ? 'postgres' : basename(name);
  }
  return join(dirname(dbPath), basename(dbPath, extname(dbPath)));
}

export function chartFormatOf(path: string): ChartFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.png' || ext === '.svg') return ext.slice(1) as ChartFormat;
  throw new NtaError('NTA_ERR_USAGE', `${path}: the chart file must end in .png or .svg`);
}

/** Opens the database read-only, renders the chart and writes it; returns the path written. */
export async function writeChart(dbPath: string, options: WriteChartOptions = {}): Promise<string> {
  const type = options.type ?? 'protocols';
  const out = options.out ?? defaultChartPath(dbPath, type);
  const format = chartFormatOf(out);
  const db = await openQueryDb(dbPath, { sensor: options.sensor });
  let chart: RenderedChart;
  try {
    chart = await renderChart(db, db.name, { ...options, type });
  } finally {
    await db.close();
  }
  try {
    const { svgToPng } = await import('./render.js');
    writeFileSync(out, format === 'svg' ? chart.svg : svgToPng(chart.svg));
  } catch (err) {
    throw new NtaError('NTA_ERR_IO', `${out}: cannot write the chart (${(err as Error).message})`, {
      cause: err,
    });
  }
  return out;
}

/**
 * The chart `nta read` and `nta capture` leave behind: packets and bytes per protocol, written as
 * `<db name>-protocols.png` next to the database (or to `out`). Throws an NtaError when there is nothing to
 * draw (no packets in those captures).
 */
export async function writeProtocolChart(
  dbPath: string,
  options: { captureIds?: readonly number[]; out?: string } = {},
): Promise<string> {
  return writeChart(dbPath, { type: 'protocols', captureIds: options.captureIds, out: options.out });
}

// --- time buckets and labels ---

/** Seconds since 1970 of a `traffic.timestamp` text (UTC; ISO 8601 with a `T` works too). */
export function epochOf(ts: string): number {
  return Date.parse(`${ts.slice(0, 10)}T${ts.slice(11, 19)}Z`) / 1000;
}

/** The smallest bucket size giving at most MAX_BUCKETS buckets, aligned to local time. */
export function chooseBuckets(first: string, last: string): TimelineBuckets {
  const start = epochOf(first);
  const end = epochOf(last);
  const size = BUCKET_SIZES.find((s) => (end - start) / s < MAX_BUCKETS) ?? 365 * 86400;
  // Align bucket edges with the local clock (whole minutes, hours, midnights), at the offset of the start.
  const offset = -new Date(start * 1000).getTimezoneOffset() * 60;
  const origin = Math.floor((start + offset) / size) * size - offset;
  const rateSeconds = RATE_UNITS.find((u) => size <= u.upToBucket)!.seconds;
  return { origin, size, count: Math.floor((end - origin) / size) + 1, rateSeconds };
}

/** 's', 'min', 'h' or 'day': the unit of a timeline's rates. */
export function rateUnitName(b: TimelineBuckets): string {
  return RATE_UNITS.find((u) => u.seconds === b.rateSeconds)!.name;
}

export function bucketLabel(seconds: number): string {
  if (seconds === 7 * 86400) return '1-week';
  if (seconds % 86400 === 0) return seconds === 86400 ? '1-day' : `${seconds / 86400}-day`;
  if (seconds % 3600 === 0) return `${seconds / 3600}-hour`;
  if (seconds % 60 === 0) return `${seconds / 60}-minute`;
  return `${seconds}-second`;
}

/** The local time zone as the charts name it: 'UTC' or 'Europe/Berlin, UTC+01:00' (offset at that time). */
export function timeZoneLabel(atSeconds: number): string {
  const minutes = -new Date(atSeconds * 1000).getTimezoneOffset();
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const sign = minutes < 0 ? '−' : '+';
  const abs = Math.abs(minutes);
  const offset = `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  if (minutes === 0 && /^(Etc\/)?(UTC|GMT|Universal|Zulu)$/.test(zone)) return 'UTC';
  return `${zone}, ${offset}`;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** A database timestamp in local time, 'YYYY-MM-DD HH:MM:SS'. */
export function localTime(ts: string): string {
  const d = new Date(epochOf(ts) * 1000);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(
    d.getMinutes(),
  )}:${pad2(d.getSeconds())}`;
}

function subtitle(dbName: string, f: ChartFilter, t: TrafficTotals): string {
  const first = localTime(t.first!);
  const last = localTime(t.last!);
  const range =
    first.slice(0, 10) === last.slice(0, 10) ? `${first} – ${last.slice(11)}` : `${first} – ${last}`;
  const parts = [basename(dbName)];
  if (f.captureIds !== undefined && f.captureIds.length > 0)
    parts.push(`capture${f.captureIds.length > 1 ? 's' : ''} ${f.captureIds.join(', ')}`);
  parts.push(`${range} (${timeZoneLabel(epochOf(t.first!))})`);
  parts.push(`${formatCount(t.packets)} IP packets, ${formatBytes(t.bytes)}`);
  return parts.join('  ·  ');
}

function describeFilter(f: ChartFilter): string {
  const parts: string[] = [];
  if (f.captureIds !== undefined && f.captureIds.length > 0) parts.push(`capture ${f.captureIds.join(', ')}`);
  if (f.from !== undefined) parts.push(`from ${f.from} UTC`);
  if (f.to !== undefined) parts.push(`to ${f.to} UTC`);
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}
