import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { CHART_FONT_FAMILY, CHART_FONT_FILES, chartFontAdvances } from './font-metrics.js';

export interface Size {
  readonly width: number;
  readonly height: number;
}

/** Builds a Vega-Lite spec whose whole image (title, axes, legend, padding) should fill `size`. */
export type SpecBuilder = (size: Size) => TopLevelSpec;

interface TextItem {
  text?: unknown;
  fontSize?: number;
  fontWeight?: string | number;
}

let metricsInstalled = false;

/**
 * Vega measures label text to lay out axes, legends and truncation. Without a canvas it guesses 0.8 em per
 * character, far wider than DejaVu Sans draws; give it the real advance widths of the fonts resvg will use.
 */
function installTextMetrics(): void {
  if (metricsInstalled) return;
  metricsInstalled = true;
  const fonts = chartFontAdvances();
  const metrics = (vega as unknown as { textMetrics: { width: (item: TextItem, text?: unknown) => number } })
    .textMetrics;
  metrics.width = (item, text) => {
    const value = text ?? item.text;
    if (value === undefined || value === null) return 0;
    const lines = Array.isArray(value) ? value.map(String) : [String(value)];
    const w = item.fontWeight;
    const font = w === 'bold' || (typeof w === 'number' && w >= 600) ? fonts.bold : fonts.regular;
    return Math.max(0, ...lines.map((l) => font.width(l))) * (item.fontSize ?? 11);
  };
}

async function renderSvg(spec: TopLevelSpec): Promise<{ svg: string; width: number; height: number }> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    const m = /^<svg[^>]*?\swidth="([\d.]+)"[^>]*?\sheight="([\d.]+)"/.exec(svg);
    if (m === null) throw new Error('vega produced an SVG without width and height');
    return { svg, width: Number(m[1]), height: Number(m[2]) };
  } finally {
    view.finalize();
  }
}

/**
 * Re-renders allowed to reach the size. Two are enough for short labels; axis labels near their labelLimit
 * (a 40-character protocol name) change width with the panel and need a third or fourth.
 */
const FIT_PASSES = 4;

/**
 * Renders to SVG at exactly `size`. Concatenated views cannot use Vega-Lite's `fit` sizing, so the spec is
 * rendered once, its panels are resized by what the title, axes and legend took, and rendered again (up to
 * FIT_PASSES times); a pixel
 * or two left over after that is padded on the right and bottom.
 */
export async function chartSvg(build: SpecBuilder, size: Size): Promise<string> {
  installTextMetrics();
  let budget = size;
  let out = await renderSvg(build(budget));
  for (let pass = 0; pass < FIT_PASSES && (out.width !== size.width || out.height !== size.height); pass++) {
    budget = {
      width: budget.width + size.width - out.width,
      height: budget.height + size.height - out.height,
    };
    out = await renderSvg(build(budget));
  }
  if (out.width > size.width || out.height > size.height)
    throw new Error(`chart came out ${out.width}×${out.height}, larger than ${size.width}×${size.height}`);
  if (out.width === size.width && out.height === size.height) return out.svg;
  const spec = build(budget);
  const base = typeof spec.padding === 'number' ? spec.padding : 0;
  const padding = {
    left: base,
    top: base,
    right: base + size.width - out.width,
    bottom: base + size.height - out.height,
  };
  return (await renderSvg({ ...spec, padding })).svg;
}

/**
 * Rasterises a chart SVG with the DejaVu fonts from npm and never the system's, so the PNG looks the same on
 * a machine without any fonts installed. `fonts: false` draws no text at all (used by tests to prove text is
 * really drawn).
 */
export function svgToPng(svg: string, options: { fonts?: boolean } = {}): Buffer {
  const withFonts = options.fonts !== false;
  const resvg = new Resvg(svg, {
    background: 'white',
    font: {
      loadSystemFonts: false,
      fontFiles: withFonts ? [CHART_FONT_FILES.regular, CHART_FONT_FILES.bold] : [],
      defaultFontFamily: CHART_FONT_FAMILY,
      sansSerifFamily: CHART_FONT_FAMILY,
    },
  });
  return resvg.render().asPng();
}
