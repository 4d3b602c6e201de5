import type { TopLevelSpec } from 'vega-lite';
import { CHART_FONT_FAMILY } from './font-metrics.js';
import { formatBytes, formatCount } from '../numbers.js';
import type { AlertBucketRow, HostClass, PortRow, ProtocolRow, TalkerRow, TimelineRow } from './query.js';
import type { Size, SpecBuilder } from './render.js';
import { serviceName } from './services.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const PADDING = 16;
const PALETTE = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#eeca3b', '#b279a2', '#ff9da6'];
const OTHER_COLOUR = '#9d9d9d';
const HOST_COLOURS: Readonly<Record<HostClass, string>> = {
  local: '#54a24b',
  remote: '#4c78a8',
  'multicast/broadcast': '#b279a2',
};

const CONFIG = {
  font: CHART_FONT_FAMILY,
  background: 'white',
  title: {
    fontSize: 20,
    subtitleFontSize: 13,
    subtitleColor: '#555',
    anchor: 'start',
    offset: 14,
    subtitlePadding: 6,
  },
  axis: {
    labelFontSize: 12,
    titleFontSize: 13,
    titleFontWeight: 'bold',
    labelColor: '#333',
    titleColor: '#333',
    gridColor: '#e8e8e8',
    domainColor: '#888',
    tickColor: '#888',
  },
  legend: { labelFontSize: 12, titleFontSize: 13, symbolSize: 120 },
  view: { stroke: null },
  concat: { spacing: 36 },
} as const;

/** What every chart says about where its data came from, shown under the title. */
export interface ChartContext {
  /** e.g. 'network_traffic.db · captures 1, 2 · 2024-05-01 10:00:00 – 10:42:13 (Europe/Berlin)' */
  readonly subtitle: string;
}

/**
 * Axis numbers: SI prefixes for large values (each label its own prefix, so 0 is '0' and not '0M'), plain
 * figures for small ones (never '50m' packets/s).
 */
function quantityAxis(max: number, tickCount: number): Record<string, unknown> {
  if (max < 10_000) return { format: ',.3~r', tickCount };
  return { tickCount, labelExpr: "datum.value == 0 ? '0' : format(datum.value, '.3~s')" };
}

/** Bars no thicker than 42 px, however few there are. */
function barHeight(plotHeight: number, bars: number): number {
  return Math.max(2, Math.min(42, (0.75 * plotHeight) / Math.max(1, bars)));
}

function title(text: string, ctx: ChartContext): { text: string; subtitle: string } {
  return { text, subtitle: ctx.subtitle };
}

/** Room the title and subtitle take above the panels, subtracted from the panel budget up front. */
const TITLE_HEIGHT = 64;

/**
 * Packets per protocol (left) and bytes per protocol (right), the same protocols in the same order, each bar
 * labelled with its figure.
 */
export function protocolsSpec(rows: readonly ProtocolRow[], ctx: ChartContext): SpecBuilder {
  const order = rows.map((r) => r.protocol);
  const values = rows.map((r) => ({
    ...r,
    packetsLabel: formatCount(r.packets),
    bytesLabel: formatBytes(r.bytes),
  }));
  const maxPackets = Math.max(1, ...rows.map((r) => r.packets));
  const maxBytes = Math.max(1, ...rows.map((r) => r.bytes));
  const panel = (
    width: number,
    height: number,
    field: 'packets' | 'bytes',
    axisTitle: string,
    colour: string,
    max: number,
  ) => ({
    width,
    height,
    title: { text: field === 'packets' ? 'Packets' : 'Bytes', fontSize: 15, anchor: 'middle' as const },
    encoding: {
      y: {
        field: 'protocol',
        type: 'nominal' as const,
        sort: order,
        title: 'Protocol',
        axis: { labelLimit: 180 },
      },
      x: {
        field,
        type: 'quantitative' as const,
        title: axisTitle,
        scale: { domain: [0, max * 1.22], nice: false },
        axis: quantityAxis(max, 6),
      },
    },
    layer: [
      { mark: { type: 'bar' as const, color: colour, height: barHeight(height, rows.length) } },
      {
        mark: {
          type: 'text' as const,
          align: 'left' as const,
          baseline: 'middle' as const,
          dx: 5,
          fontSize: 12,
        },
        encoding: { text: { field: `${field}Label` } },
      },
    ],
  });
  return (size: Size): TopLevelSpec => {
    const width = (size.width - 2 * PADDING - 2 * 90 - CONFIG.concat.spacing) / 2;
    const height = size.height - 2 * PADDING - TITLE_HEIGHT - 70;
    return {
      $schema: SCHEMA,
      title: title('Packets and bytes per protocol', ctx),
      padding: PADDING,
      config: CONFIG,
      data: { values },
      hconcat: [
        panel(width, height, 'packets', 'Packets', PALETTE[0]!, maxPackets),
        panel(width, height, 'bytes', 'Bytes (on the wire)', PALETTE[1]!, maxBytes),
      ],
    } as TopLevelSpec;
  };
}

/** Local-time tick labels fitting the bucket size and the span of the chart: years alone over many years. */
function timeFormat(b: { readonly size: number; readonly count: number }): string {
  const span = b.size * b.count;
  if (span > 4 * 365 * 86400) return '%Y';
  if (b.size >= 86400) return span > 365 * 86400 ? '%b %Y' : '%Y-%m-%d';
  const time = b.size < 60 ? '%H:%M:%S' : '%H:%M';
  return span > 86400 ? `%b %d ${time}` : time;
}

/** Packets per `rateUnit` (s, min, h, day) above bits per `rateUnit`, one line per series, local time along x. */
export function timelineSpec(
  rows: readonly TimelineRow[],
  series: readonly string[],
  buckets: { readonly size: number; readonly count: number },
  bucketLabel: string,
  rateUnit: string,
  timeZoneLabel: string,
  ctx: ChartContext,
): SpecBuilder {
  const colours = series.map((s, i) => (s === 'other' ? OTHER_COLOUR : PALETTE[i % PALETTE.length]!));
  const maxPackets = Math.max(0, ...rows.map((r) => r.packetRate));
  const maxBits = Math.max(0, ...rows.map((r) => r.bitRate));
  const panel = (
    width: number,
    height: number,
    field: 'packetRate' | 'bitRate',
    axisTitle: string,
    max: number,
    bottom: boolean,
  ) => ({
    width,
    height,
    mark: { type: 'line' as const, interpolate: 'step-after' as const, strokeWidth: 1.6 },
    encoding: {
      x: {
        field: 't',
        type: 'temporal' as const,
        title: bottom ? `Time (${timeZoneLabel}), ${bucketLabel} buckets` : null,
        axis: { labels: bottom, labelOverlap: true, tickCount: 10, grid: true, format: timeFormat(buckets) },
      },
      y: {
        field,
        type: 'quantitative' as const,
        title: axisTitle,
        axis: quantityAxis(max, 5),
      },
      color: {
        field: 'series',
        type: 'nominal' as const,
        sort: series,
        scale: { domain: series, range: colours },
        legend: { title: 'Protocol', orient: 'top' as const, direction: 'horizontal' as const },
      },
    },
  });
  return (size: Size): TopLevelSpec => {
    const width = size.width - 2 * PADDING - 80;
    const height = (size.height - 2 * PADDING - TITLE_HEIGHT - 40 - 60 - CONFIG.concat.spacing) / 2;
    return {
      $schema: SCHEMA,
      title: title('Traffic over time', ctx),
      padding: PADDING,
      config: CONFIG,
      data: { values: rows as TimelineRow[] },
      vconcat: [
        panel(width, height, 'packetRate', `Packets/${rateUnit}`, maxPackets, false),
        panel(width, height, 'bitRate', `Bits/${rateUnit}`, maxBits, true),
      ],
      resolve: { scale: { x: 'shared' } },
    } as TopLevelSpec;
  };
}

function fitSpec(make: (size: Size) => Record<string, unknown>): SpecBuilder {
  return (size: Size): TopLevelSpec =>
    ({
      $schema: SCHEMA,
      padding: PADDING,
      config: CONFIG,
      autosize: { type: 'fit', contains: 'padding' },
      width: size.width,
      height: size.height,
      ...make(size),
    }) as TopLevelSpec;
}

/** A ranking: one labelled horizontal bar per row, in the given order, coloured by a category. */
interface RankedBars {
  readonly title: ReturnType<typeof title>;
  readonly values: readonly Record<string, unknown>[];
  readonly category: { readonly field: string; readonly title: string; readonly order: readonly string[] };
  /** The field holding each bar's text label. */
  readonly label: string;
  readonly quantity: {
    readonly field: string;
    readonly title: string;
    readonly max: number;
    readonly headroom: number;
  };
  readonly colour: {
    readonly field: string;
    readonly title: string;
    readonly domain: readonly string[];
    readonly range: readonly string[];
  };
}

function rankedBarsSpec(r: RankedBars): SpecBuilder {
  return fitSpec((size) => ({
    title: r.title,
    data: { values: r.values },
    encoding: {
      y: {
        field: r.category.field,
        type: 'nominal',
        sort: r.category.order,
        title: r.category.title,
        axis: { labelLimit: 260 },
      },
      x: {
        field: r.quantity.field,
        type: 'quantitative',
        title: r.quantity.title,
        scale: { domain: [0, r.quantity.max * r.quantity.headroom], nice: false },
        axis: quantityAxis(r.quantity.max, 8),
      },
    },
    layer: [
      {
        mark: { type: 'bar', height: barHeight(size.height - 140, r.values.length) },
        encoding: {
          color: {
            field: r.colour.field,
            type: 'nominal',
            scale: { domain: r.colour.domain, range: r.colour.range },
            legend: { title: r.colour.title, orient: 'bottom-right' },
          },
        },
      },
      {
        mark: { type: 'text', align: 'left', baseline: 'middle', dx: 5, fontSize: 12 },
        encoding: { text: { field: r.label } },
      },
    ],
  }));
}

/** The hosts that moved the most bytes, coloured local, remote or multicast/broadcast. */
export function talkersSpec(rows: readonly TalkerRow[], ctx: ChartContext): SpecBuilder {
  const classes = (['local', 'remote', 'multicast/broadcast'] as const).filter((c) =>
    rows.some((r) => r.hostClass === c),
  );
  return rankedBarsSpec({
    title: title(`Top ${rows.length} hosts by bytes`, ctx),
    values: rows.map((r) => ({
      ...r,
      label: `${formatBytes(r.bytes)}  (sent ${formatBytes(r.sent)}, received ${formatBytes(r.received)})`,
    })),
    category: { field: 'host', title: 'Host', order: rows.map((r) => r.host) },
    label: 'label',
    quantity: {
      field: 'bytes',
      title: 'Bytes sent + received (on the wire)',
      max: Math.max(1, ...rows.map((r) => r.bytes)),
      headroom: 1.45,
    },
    colour: {
      field: 'hostClass',
      title: 'Address',
      domain: classes,
      range: classes.map((c) => HOST_COLOURS[c]),
    },
  });
}

/** The busiest service ports, named where well known, coloured by transport. */
export function portsSpec(rows: readonly PortRow[], ctx: ChartContext): SpecBuilder {
  const values = rows.map((r) => {
    const name = serviceName(r.protocol, r.port);
    return {
      ...r,
      service: `${r.port}/${r.protocol.toLowerCase()}${name === undefined ? '' : `  ${name}`}`,
      label: `${formatCount(r.packets)} packets, ${formatBytes(r.bytes)}`,
    };
  });
  const protocols = [...new Set(rows.map((r) => r.protocol))];
  return rankedBarsSpec({
    title: title(`Top ${rows.length} service ports by packets`, ctx),
    values,
    category: {
      field: 'service',
      title: 'Port (the lower of source and destination port)',
      order: values.map((v) => v.service),
    },
    label: 'label',
    quantity: {
      field: 'packets',
      title: 'Packets (both directions)',
      max: Math.max(1, ...rows.map((r) => r.packets)),
      headroom: 1.3,
    },
    colour: {
      field: 'protocol',
      title: 'Transport',
      domain: protocols,
      range: protocols.map((_, i) => PALETTE[i % PALETTE.length]!),
    },
  });
}

const SEVERITY_COLOURS: Readonly<Record<string, string>> = {
  info: '#9d9d9d',
  low: '#4c78a8',
  medium: '#f58518',
  high: '#e45756',
};

/** Alerts first seen per time bucket, stacked by severity (each bar spans its bucket). */
export function alertsSpec(
  rows: readonly AlertBucketRow[],
  severities: readonly string[],
  buckets: { readonly origin: number; readonly size: number; readonly count: number },
  bucketLabel: string,
  timeZoneLabel: string,
  ctx: ChartContext,
): SpecBuilder {
  const total = rows.reduce((n, r) => n + r.alerts, 0);
  // Stacked here, in severity order within each bucket: Vega-Lite does not stack bars that span x to x2.
  const sorted = [...rows].sort(
    (a, b) => a.t - b.t || severities.indexOf(a.severity) - severities.indexOf(b.severity),
  );
  let bucket = NaN;
  let base = 0;
  const values = sorted.map((r) => {
    if (r.t !== bucket) [bucket, base] = [r.t, 0];
    const v = { ...r, end: r.t + buckets.size * 1000, y0: base, y1: base + r.alerts };
    base += r.alerts;
    return v;
  });
  return (size: Size): TopLevelSpec =>
    ({
      $schema: SCHEMA,
      title: title(`${formatCount(total)} alerts over time, by severity`, ctx),
      padding: PADDING,
      config: CONFIG,
      width: size.width - 2 * PADDING - 80,
      height: size.height - 2 * PADDING - TITLE_HEIGHT - 90,
      data: { values },
      mark: { type: 'bar', stroke: 'white', strokeWidth: 0.5 },
      encoding: {
        // Quantitative milliseconds, labelled as local times: a temporal x with x2 makes Vega-Lite warn
        // about its own domain when it is fixed to the buckets' span.
        x: {
          field: 't',
          type: 'quantitative',
          title: `Time first seen (${timeZoneLabel}), ${bucketLabel} buckets`,
          scale: {
            domain: [buckets.origin * 1000, (buckets.origin + buckets.count * buckets.size) * 1000],
            nice: false,
            zero: false,
          },
          axis: {
            labelOverlap: true,
            tickCount: 10,
            grid: true,
            tickMinStep: buckets.size * 1000,
            labelExpr: `timeFormat(datum.value, '${timeFormat(buckets)}')`,
          },
        },
        x2: { field: 'end' },
        y: {
          field: 'y1',
          type: 'quantitative',
          title: 'Alerts first seen',
          axis: { tickMinStep: 1, format: 'd' },
        },
        y2: { field: 'y0' },
        color: {
          field: 'severity',
          type: 'nominal',
          scale: { domain: severities, range: severities.map((s) => SEVERITY_COLOURS[s] ?? OTHER_COLOUR) },
          legend: { title: 'Severity', orient: 'top', direction: 'horizontal' },
        },
      },
    }) as TopLevelSpec;
}
