/** The delivery queue shared by the webhook and syslog outputs, against a real HTTP receiver on 127.0.0.1. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeliveryQueue } from '../src/present/delivery-queue.js';
import { webhookTransport } from '../src/present/webhook-transport.js';
import { closedPort, httpReceiver } from './support/receivers.js';

const quick = { firstRetryMs: 10, maxRetryMs: 40 };

/** Resolves once `cond` holds, checking every few milliseconds. */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}

test('a full queue drops the oldest waiting messages; the one being sent and the newest get through', async () => {
  const hook = await httpReceiver({ hold: true });
  try {
    const q = new DeliveryQueue('webhook', webhookTransport(new URL(hook.url)), { capacity: 3, ...quick });
    for (let i = 0; i < 10; i++) q.push(JSON.stringify({ n: i }));
    await until(() => hook.bodies.length === 1);
    const answering = setInterval(() => hook.release(), 5);
    const stats = await q.close();
    clearInterval(answering);
    assert.deepEqual(
      hook.bodies.map((b) => (JSON.parse(b) as { n: number }).n),
      [0, 7, 8, 9],
    );
    assert.deepEqual(stats, { output: 'webhook', target: hook.url, sent: 4, failed: 0, dropped: 6 });
  } finally {
    await hook.close();
  }
});

test('HTTP 4xx is given up at once; 5xx is retried up to the attempt limit', async () => {
  const refusing = await httpReceiver({ status: 400 });
  const failing = await httpReceiver({ status: 503 });
  const warnings: string[] = [];
  try {
    const q4 = new DeliveryQueue('webhook', webhookTransport(new URL(refusing.url)), {
      ...quick,
      warn: (l) => warnings.push(l),
    });
    q4.push('{}');
    assert.deepEqual(await q4.close(), {
      output: 'webhook',
      target: refusing.url,
      sent: 0,
      failed: 1,
      dropped: 0,
    });
    assert.equal(refusing.bodies.length, 1);
    assert.match(warnings[0]!, /HTTP 400 Bad Request; refused an alert$/);
    const q5 = new DeliveryQueue('webhook', webhookTransport(new URL(failing.url)), {
      ...quick,
      attempts: 4,
    });
    q5.push('{"a":1}');
    q5.push('{"a":2}');
    assert.deepEqual(await q5.close(), {
      output: 'webhook',
      target: failing.url,
      sent: 0,
      failed: 2,
      dropped: 0,
    });
    assert.equal(failing.bodies.length, 8);
  } finally {
    await Promise.all([refusing.close(), failing.close()]);
  }
});

test('close gives up after the drain time: what is left counts as failed, nothing is left running', async () => {
  const port = await closedPort();
  const url = `http://127.0.0.1:${port}/`;
  const q = new DeliveryQueue('webhook', webhookTransport(new URL(url)), {
    firstRetryMs: 50,
    attempts: 1000,
  });
  for (let i = 0; i < 5; i++) q.push('{}');
  assert.deepEqual(await q.close(200), { output: 'webhook', target: url, sent: 0, failed: 5, dropped: 0 });
  q.push('{}'); // after close: ignored
  assert.equal(q.stats.failed, 5);
});
