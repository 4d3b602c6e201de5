import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The fonts charts are drawn with: shipped in the `dejavu-fonts-ttf` npm package, never the system's. */
export const CHART_FONT_FAMILY = 'DejaVu Sans';

const FONT_DIR = join(
  dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')),
  'ttf',
);
export const CHART_FONT_FILES = {
  regular: join(FONT_DIR, 'DejaVuSans.ttf'),
  bold: join(FONT_DIR, 'DejaVuSans-Bold.ttf'),
} as const;

/**
 * Advance widths (in em) of a TrueType font's Basic Multilingual Plane, read from its `cmap` (format 4),
 * `hhea`, `hmtx` and `head` tables. Vega lays out labels with these instead of its guess of 0.8 em per
 * character, so labels are spaced and truncated as the PNG will actually draw them.
 */
export class FontAdvances {
  readonly #em: Float32Array;

  constructor(ttf: Uint8Array) {
    const view = new DataView(ttf.buffer, ttf.byteOffset, ttf.byteLength);
    const tables = new Map<string, number>();
    const numTables = view.getUint16(4);
    for (let i = 0; i < numTables; i++) {
      const rec = 12 + 16 * i;
      const tag = String.fromCharCode(ttf[rec]!, ttf[rec + 1]!, ttf[rec + 2]!, ttf[rec + 3]!);
      tables.set(tag, view.getUint32(rec + 8));
    }
    const table = (tag: string): number => {
      const off = tables.get(tag);
      if (off === undefined) throw new Error(`font has no ${tag} table`);
      return off;
    };
    const unitsPerEm = view.getUint16(table('head') + 18);
    const numHMetrics = view.getUint16(table('hhea') + 34);
    const hmtx = table('hmtx');
    const advance = (glyph: number): number =>
      view.getUint16(hmtx + 4 * Math.min(glyph, numHMetrics - 1)) / unitsPerEm;

    this.#em = new Float32Array(0x10000).fill(advance(0));
    const cmap = table('cmap');
    let sub = -1;
    for (let i = 0; i < view.getUint16(cmap + 2); i++) {
      const rec = cmap + 4 + 8 * i;
      const platform = view.getUint16(rec);
      const encoding = view.getUint16(rec + 2);
      const off = cmap + view.getUint32(rec + 4);
      if (view.getUint16(off) === 4 && ((platform === 3 && encoding === 1) || platform === 0)) sub = off;
    }
    if (sub < 0) throw new Error('font has no Unicode BMP cmap');
    const segs = view.getUint16(sub + 6) / 2;
    const ends = sub + 14;
    const starts = ends + 2 * segs + 2;
    const deltas = starts + 2 * segs;
    const rangeOffsets = deltas + 2 * segs;
    for (let s = 0; s < segs; s++) {
      const end = view.getUint16(ends + 2 * s);
      const start = view.getUint16(starts + 2 * s);
      const delta = view.getUint16(deltas + 2 * s);
      const rangeOffset = view.getUint16(rangeOffsets + 2 * s);
      for (let c = start; c <= end && c < 0xffff; c++) {
        let glyph: number;
        if (rangeOffset === 0) glyph = (c + delta) & 0xffff;
        else {
          const g = view.getUint16(rangeOffsets + 2 * s + rangeOffset + 2 * (c - start));
          glyph = g === 0 ? 0 : (g + delta) & 0xffff;
        }
        this.#em[c] = advance(glyph);
      }
    }
  }

  /** Width of `text` in em (no kerning). */
  width(text: string): number {
    let w = 0;
    for (let i = 0; i < text.length; i++) w += this.#em[text.charCodeAt(i)]!;
    return w;
  }
}

let loaded: { regular: FontAdvances; bold: FontAdvances } | undefined;

/** The chart fonts' advance widths, read once per process. */
export function chartFontAdvances(): { regular: FontAdvances; bold: FontAdvances } {
  loaded ??= {
    regular: new FontAdvances(readFileSync(CHART_FONT_FILES.regular)),
    bold: new FontAdvances(readFileSync(CHART_FONT_FILES.bold)),
  };
  return loaded;
}
