import type { ChartFilter } from '../../present/charts/index.js';
import { msToDbTime } from '../server-db.js';

/** Query-string properties for a time range: milliseconds since 1970, both optional and inclusive. */
export const RANGE_PROPERTIES = {
  from: { type: 'integer', minimum: 0, description: 'Start of the range, ms since 1970 (inclusive)' },
  to: { type: 'integer', minimum: 0, description: 'End of the range, ms since 1970 (inclusive)' },
} as const;

export interface RangeQuery {
  from?: number;
  to?: number;
}

export function chartFilter(q: RangeQuery): ChartFilter {
  return {
    from: q.from === undefined ? undefined : msToDbTime(q.from),
    to: q.to === undefined ? undefined : msToDbTime(q.to),
  };
}

/** An object schema that rejects parameters it does not name (a typo gets a 400, not silence). */
export function querySchema<P extends Record<string, unknown>>(properties: P) {
  return { type: 'object', properties, additionalProperties: false } as const;
}

/** Maximum rows of one page of any list, and the deepest offset (deeper pages: narrow the filter). */
export const MAX_PAGE = 500;
export const MAX_OFFSET = 100_000;
/**
 * Matches of a filtered list are counted up to the deepest row a page can show, and no further: an exact
 * count of a filter that matches millions of rows would read them all, for a figure only shown.
 */
export const COUNT_CAP = MAX_OFFSET + MAX_PAGE;

export const PAGE_PROPERTIES = {
  limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE, default: 50 },
  offset: { type: 'integer', minimum: 0, maximum: MAX_OFFSET, default: 0 },
} as const;

export const ORDER_PROPERTY = { type: 'string', enum: ['asc', 'desc'], default: 'desc' } as const;

/** `x` with LIKE's wildcards escaped (use with ESCAPE '\'), for prefix searches. */
export function likePrefix(x: string): string {
  return `${x.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The answer for an id or uid that is not in the database. */
export class NotFound extends Error {}

/** The answer when what was asked for existed but can no longer be had (an alert's packets not kept). */
export class Gone extends Error {}
