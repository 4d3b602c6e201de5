import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { fmtRate } from './format.js';

/** Series colours, readable on the dark background; 'other' is always grey. */
const PALETTE = ['#4e9af1', '#f28e2b', '#59c26a', '#e15759', '#b07aa1', '#edc948', '#76b7b2', '#ff9da7'];
const OTHER = '#9a9a9a';

export function colourOf(name: string, i: number): string {
  return name === 'other' ? OTHER : PALETTE[i % PALETTE.length]!;
}

const AXIS = {
  stroke: '#c8c8c8',
  grid: { stroke: '#2c3340', width: 1 },
  ticks: { stroke: '#2c3340', width: 1 },
};

/**
 * A time-series line chart (x in seconds since 1970, local time on the axis). Resizes with its container.
 */
export function lineChart(
  target: HTMLElement,
  names: readonly string[],
  data: uPlot.AlignedData,
  unit: string,
  height = 220,
): uPlot {
  const opts: uPlot.Options = {
    width: Math.max(280, target.clientWidth),
    height,
    legend: { show: true },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    axes: [{ ...AXIS }, { ...AXIS, size: 70, values: (_u, vals) => vals.map((v) => fmtRate(v, unit)) }],
    series: [
      {},
      ...names.map((n, i) => ({
        label: n,
        stroke: colourOf(n, i),
        width: 1.5,
        value: (_u: uPlot, v: number | null) => (v === null ? '–' : fmtRate(v, unit)),
      })),
    ],
  };
  const chart = new uPlot(opts, data, target);
  const ro = new ResizeObserver(() => chart.setSize({ width: Math.max(280, target.clientWidth), height }));
  ro.observe(target);
  return chart;
}
