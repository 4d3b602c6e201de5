/**
 * The flows page on millions of flows: every order it offers is read from an index, and the matches of every
 * search and filter are looked up in one (as they are counted), in SQLite and in PostgreSQL alike. Checked on
 * the plans each makes for the page's statements (flowList) over corpus captures. On a table this small
 * PostgreSQL would rightly prefer to read everything and sort it, so it is asked with both priced out: a
 * Sort or Seq Scan still in its plan means no index could give that order or those rows.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { FLOW_SORTS, flowList, type FlowQuery } from '../src/server/routes/flows.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { positional } from '../src/store/query/postgres-query-db.js';
import { sqlOf, type Dialect } from '../src/store/query/query-db.js';
import { openSqlite } from '../src/store/sqlite/database.js';
import { dbRows, workDir } from './support/cli.js';
import { readCorpusInto, readCorpusIntoStore } from './support/corpus-db.js';
import { scratchDatabase } from './support/postgres.js';

const CAPTURES = ['mixed-home-browsing-tls-dns.pcap', 'http-get-simple.pcap', 'dns-many-queries.pcap'];
const work = workDir('nta-flow-plans-');
const SQLITE = join(work, 'plans.db');
await readCorpusInto(SQLITE, CAPTURES);
const PG = await scratchDatabase();
const store = await PostgresStore.open(PG, { sensor: 'plans', retentionDays: null });
await readCorpusIntoStore(store, CAPTURES);
await store.close();

const flow = dbRows<{ uid: string; orig_h: string }>(SQLITE, 'SELECT uid, orig_h FROM flows LIMIT 1')[0]!;
const PAGE: FlowQuery = { sort: 'ts', order: 'desc', limit: 50, offset: 0 };
const SORTS = FLOW_SORTS.flatMap((sort) =>
  (['asc', 'desc'] as const).map((order): [string, FlowQuery] => [
    `sort=${sort}&order=${order}`,
    { ...PAGE, sort, order },
  ]),
);
const LOOKUPS: [string, FlowQuery][] = [
  ['host', { ...PAGE, host: flow.orig_h }],
  ['service', { ...PAGE, service: 'dns' }],
  ['q=uid', { ...PAGE, q: flow.uid }],
  ['q=address prefix', { ...PAGE, q: `${flow.orig_h.slice(0, 4)}` }],
  ['q=service', { ...PAGE, q: 'http' }],
  ['q=address prefix or service', { ...PAGE, q: 'dead' }],
];

type Statement = 'page' | 'count';

function statement(
  q: FlowQuery,
  d: Dialect,
  which: Statement,
): { text: string; params: Record<string, string | number> } {
  const list = flowList({ sensor: undefined }, q);
  return which === 'page'
    ? { text: sqlOf(list.page, d), params: { ...list.params, limit: q.limit, offset: q.offset } }
    : { text: list.count, params: list.params };
}

/** SQLite's plan lines for one of the page's statements. */
function sqlitePlan(q: FlowQuery, which: Statement): string[] {
  const db = openSqlite(SQLITE, { readonly: true });
  try {
    const { text, params } = statement(q, 'sqlite', which);
    return (db.prepare(`EXPLAIN QUERY PLAN ${text}`).all(params) as { detail: string }[]).map(
      (r) => r.detail,
    );
  } finally {
    db.close();
  }
}

interface PgNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Cond'?: string;
  Plans?: PgNode[];
}

/** PostgreSQL's plan nodes for one of the page's statements, flattened, with sorting and sequential scans priced out. */
async function pgPlan(q: FlowQuery, which: Statement): Promise<PgNode[]> {
  const c = new pg.Client({ connectionString: PG });
  await c.connect();
  try {
    await c.query('SET enable_seqscan = off');
    await c.query('SET enable_sort = off');
    const { text, params } = statement(q, 'postgres', which);
    const { text: sql, values } = positional(text, params);
    const r = await c.query<{ 'QUERY PLAN': [{ Plan: PgNode }] }>(`EXPLAIN (FORMAT JSON) ${sql}`, values);
    const nodes: PgNode[] = [];
    const walk = (n: PgNode): void => {
      nodes.push(n);
      n.Plans?.forEach(walk);
    };
    walk(r.rows[0]!['QUERY PLAN'][0].Plan);
    return nodes;
  } finally {
    await c.end();
  }
}

const describe = (nodes: PgNode[]): string =>
  nodes.map((n) => `${n['Node Type']}${n['Relation Name'] ? ` on ${n['Relation Name']}` : ''}`).join(' > ');
const scansOfFlows = (nodes: PgNode[]): PgNode[] =>
  nodes.filter((n) => n['Node Type'].includes('Scan') && (n['Relation Name'] ?? '').startsWith('flows'));

test('SQLite: each sort of the flows page is an index read in order, never a sort of every flow', () => {
  for (const [name, q] of SORTS) {
    const plan = sqlitePlan(q, 'page');
    assert.ok(
      plan.length === 1 && /^SCAN flows USING INDEX flows_\w+$/.test(plan[0]!),
      `${name}: ${plan.join(' | ')}`,
    );
  }
});

test('SQLite: the matches of each filter and search of the flows page are looked up in an index', () => {
  for (const [name, q] of LOOKUPS) {
    const plan = sqlitePlan(q, 'count');
    const reads = plan.filter((l) => / flows /.test(` ${l} `) || l.startsWith('INDEX'));
    assert.ok(reads.length > 0, `${name}: ${plan.join(' | ')}`);
    for (const l of reads)
      assert.match(l, /^(SEARCH flows USING (COVERING )?INDEX|INDEX \d+)/, `${name}: ${plan.join(' | ')}`);
  }
});

test('PostgreSQL: each sort of the flows page is an index read in order, never a sort of every flow', async () => {
  for (const [name, q] of SORTS) {
    const nodes = await pgPlan(q, 'page');
    assert.ok(scansOfFlows(nodes).length > 0, `${name}: ${describe(nodes)}`);
    for (const n of nodes)
      assert.ok(n['Node Type'] !== 'Sort' && n['Node Type'] !== 'Seq Scan', `${name}: ${describe(nodes)}`);
  }
});

test('PostgreSQL: the matches of each filter and search of the flows page are looked up in an index', async () => {
  for (const [name, q] of LOOKUPS) {
    const nodes = await pgPlan(q, 'count');
    const scans = scansOfFlows(nodes);
    assert.ok(scans.length > 0, `${name}: ${describe(nodes)}`);
    // A scan of every index entry is a read of every flow too: each must be bounded by a condition.
    for (const n of scans)
      assert.ok(
        n['Node Type'] !== 'Seq Scan' &&
          (n['Node Type'] === 'Bitmap Heap Scan' || n['Index Cond'] !== undefined),
        `${name}: ${describe(nodes)}`,
      );
  }
});
