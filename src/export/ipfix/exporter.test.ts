import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { test } from 'node:test';
import type { ConnLog } from '../../schema/conn.js';
import { IpfixExporter } from './exporter.js';

const FLOW: ConnLog = {
  ts: 1362692526869344,
  uid: 'C1',
  duration: 0.5,
  orig_h: '10.0.0.1',
  orig_p: 40000,
  resp_h: '10.0.0.2',
  resp_p: 53,
  proto: 'udp',
  service: null,
  conn_state: 'SF',
  history: 'Dd',
  orig_pkts: 1,
  orig_bytes: 30,
  resp_pkts: 1,
  resp_bytes: 60,
  orig_ip_bytes: 58,
  resp_ip_bytes: 88,
  community_id: '1:x',
  vlan: null,
  ip_proto: 17,
};

test('flows reach a UDP collector on loopback in batched messages, counted in the stats', async () => {
  const collector = createSocket('udp4');
  const received: Buffer[] = [];
  collector.on('message', (m) => received.push(m));
  await new Promise<void>((resolve) => collector.bind(0, '127.0.0.1', resolve));
  const exporter = await IpfixExporter.open({ host: '127.0.0.1', port: collector.address().port });
  for (let i = 0; i < 100; i++) exporter.add({ ...FLOW, orig_p: 1000 + i });
  exporter.add({ ...FLOW, orig_h: 'not an address' });
  const stats = await exporter.close();
  assert.deepEqual(await exporter.close(), stats, 'close is idempotent');
  // Datagrams on loopback are delivered once the event loop polls again.
  for (let polls = 0; received.length < stats.messages && polls < 1000; polls++)
    await new Promise((resolve) => setImmediate(resolve));
  collector.close();
  assert.equal(stats.flows, 100);
  assert.equal(stats.skipped, 1);
  assert.equal(stats.sendErrors, 0);
  assert.ok(stats.messages >= 5 && stats.messages <= 6, `${stats.messages} messages for 100 flows`);
  assert.equal(received.length, stats.messages);
  let sequence = 0;
  for (const m of received) {
    assert.equal(m.readUInt16BE(0), 10);
    assert.equal(m.readUInt16BE(2), m.length);
    assert.equal(m.readUInt32BE(8), sequence);
    sequence += countRecords(m);
  }
  assert.equal(sequence, 100);
});

/** Records of template 256 (65 bytes each) in a message. */
function countRecords(m: Buffer): number {
  let n = 0;
  for (let o = 16; o < m.length; o += m.readUInt16BE(o + 2)) {
    if (m.readUInt16BE(o) === 256) n += (m.readUInt16BE(o + 2) - 4) / 65;
  }
  return n;
}
