/**
 * The correctness bar of the offline foundation: for every capture of the corpus, `nta read` stores exactly
 * tshark's outer-layer answer in the `traffic` table — one row per IP frame, none for any other frame.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { fileInputs, readCaptures } from '../src/pipeline.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import {
  corpusCaptures,
  referenceRows,
  referenceSummary,
  referenceTimestamp,
  type ReferenceRow,
} from './support/corpus.js';

interface TrafficRow {
  frame: number;
  timestamp: string | null;
  src_ip: string;
  dst_ip: string;
  protocol: string | null;
  ip_proto: number | null;
  src_port: number | null;
  dst_port: number | null;
  length: number;
}

const workDir = mkdtempSync(join(tmpdir(), 'nta-corpus-'));
test.after(() => rmSync(workDir, { recursive: true, force: true }));

for (const capture of corpusCaptures()) {
  test(`traffic rows equal tshark: ${capture.name}`, async () => {
    const dbPath = join(workDir, `${capture.name}.db`);
    const store = await SqliteStore.open(dbPath);
    const summary = await readCaptures({ inputs: fileInputs([capture.path]), store });
    await store.close();
    const ref = referenceSummary(capture);
    const source = summary.sources[0]!;
    if (ref.tshark_exit_status !== 0) {
      assert.notEqual(
        source.status,
        'complete',
        `tshark fails on this file (${ref.tshark_error}); nta must report it`,
      );
      assert.ok(source.error !== null && source.error.length > 0);
    } else {
      assert.equal(source.status, 'complete', source.error ?? '');
    }
    const db = new Database(dbPath, { readonly: true });
    const rows = db
      .prepare(
        'SELECT frame, timestamp, src_ip, dst_ip, protocol, ip_proto, src_port, dst_port, length FROM traffic ORDER BY frame',
      )
      .all() as TrafficRow[];
    const captureRow = db.prepare('SELECT packets, status FROM captures').get() as
      { packets: number; status: string } | undefined;
    db.close();
    const reference = referenceRows(capture);
    if (captureRow === undefined) {
      // Refused before its first frame (bad header): nothing to log, and tshark read nothing either.
      assert.equal(source.captureId, null);
      assert.equal(reference.length, 0);
    } else {
      assert.equal(captureRow.packets, reference.length, 'frames read');
      assert.equal(captureRow.status, source.status);
    }
    const ours = new Map(rows.map((r) => [r.frame, r]));
    const problems: string[] = [];
    for (const refRow of reference) {
      const row = ours.get(refRow.frame);
      ours.delete(refRow.frame);
      if (refRow.malformed) continue; // tshark hit an exception in this frame: nta only has to survive it
      problems.push(...compare(refRow, row));
    }
    for (const extra of ours.values())
      problems.push(`frame ${extra.frame}: row stored for a frame tshark reads as non-IP`);
    assert.deepEqual(problems, [], `${problems.length} mismatching frames`);
  });
}

function compare(ref: ReferenceRow, row: TrafficRow | undefined): string[] {
  const f = `frame ${ref.frame}`;
  if (ref.src_ip === '')
    return row === undefined ? [] : [`${f}: non-IP frame (${ref.frame_protocols}) stored`];
  if (row === undefined) return [`${f}: IP frame (${ref.frame_protocols}) missing`];
  const diffs: string[] = [];
  const expect = (field: string, want: unknown, got: unknown): void => {
    if (want !== got)
      diffs.push(`${f}: ${field} want ${String(want)} got ${String(got)} (${ref.frame_protocols})`);
  };
  const intOrNull = (s: string): number | null => (s === '' ? null : Number(s));
  expect('src_ip', ref.src_ip, row.src_ip);
  expect('dst_ip', ref.dst_ip, row.dst_ip);
  expect('ip_proto', intOrNull(ref.ip_proto), row.ip_proto);
  expect('src_port', intOrNull(ref.src_port), row.src_port);
  expect('dst_port', intOrNull(ref.dst_port), row.dst_port);
  expect('length', Number(ref.frame_len), row.length);
  expect('timestamp', referenceTimestamp(ref.ts) ?? null, row.timestamp);
  if (ref.ip_proto === '6') expect('protocol', 'TCP', row.protocol);
  if (ref.ip_proto === '17') expect('protocol', 'UDP', row.protocol);
  return diffs;
}
