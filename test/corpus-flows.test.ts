/**
 * Flow counts against the tshark references: for every corpus capture, the number of distinct TCP and UDP
 * tuples among our flows equals `outer_tcp_flows` / `outer_udp_flows` in NAME.summary.json (tshark's
 * conversation tables: direction-independent 5-tuples, no timeouts, no reuse splitting, no VLAN). Our flows
 * are split by timeouts, TCP reuse and VLAN, so the comparison counts distinct canonical tuples.
 * Known differences are listed in EXPECTED_DIFFERENCES with the reason.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileInputs, readCaptures } from '../src/pipeline.js';
import type { ConnLog } from '../src/schema/conn.js';
import { PCAPS_DIR, corpusCaptures } from './support/corpus.js';

interface FlowSummary {
  outer_tcp_flows: number;
  outer_udp_flows: number;
}

/** name → [tcp, udp] we produce where it differs from tshark, and why. */
const EXPECTED_DIFFERENCES: Record<string, { tcp?: number; udp?: number; why: string }> = {};

const canonical = (l: ConnLog): string => {
  const a = `${l.orig_h}|${l.orig_p}`;
  const b = `${l.resp_h}|${l.resp_p}`;
  return a < b ? `${a}|${b}` : `${b}|${a}`;
};

for (const capture of corpusCaptures()) {
  test(`flows: ${capture.name} has tshark's TCP/UDP conversation counts`, async () => {
    const ref = JSON.parse(
      readFileSync(join(PCAPS_DIR, `${capture.name}.summary.json`), 'utf8'),
    ) as FlowSummary;
    const tcp = new Set<string>();
    const udp = new Set<string>();
    await readCaptures({
      inputs: fileInputs([capture.path]),
      flows: { uidSeed: 1 },
      onFlow: (l) => {
        if (l.proto === 'tcp') tcp.add(canonical(l));
        else if (l.proto === 'udp') udp.add(canonical(l));
      },
    });
    const expected = EXPECTED_DIFFERENCES[capture.name];
    assert.equal(tcp.size, expected?.tcp ?? ref.outer_tcp_flows, 'TCP flows');
    assert.equal(udp.size, expected?.udp ?? ref.outer_udp_flows, 'UDP flows');
  });
}
