/**
 * Property tests (fast-check) for the application parsers: how a stream is cut into TCP segments never
 * changes the records; any bytes are survived; DNS names read back as they were written.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { be16, cat } from '../decode/frame-builder.js';
import { AppHarness, ascii } from './app-harness.js';
import { DnsMessage, parseDnsMessage } from './dns/parser.js';

const u24 = (n: number): number[] => [(n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];

/** Conversations, as one byte stream per side: client first, then the server's answers. */
const CONVERSATIONS = {
  http: {
    port: 80,
    client: ascii(
      'GET /a HTTP/1.1\r\nHost: x.example\r\nUser-Agent: t\r\n\r\n' +
        'POST /b HTTP/1.1\r\nHost: x.example\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n' +
        'GET /c HTTP/1.1\r\nHost: y.example\r\n\r\n',
    ),
    server: ascii(
      'HTTP/1.1 200 OK\r\nContent-Length: 4\r\nContent-Type: a/b\r\n\r\nabcd' +
        'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n0\r\n\r\n' +
        'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n',
    ),
  },
  dns: {
    port: 53,
    client: cat(
      be16(29),
      [0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 7, ...ascii('example'), 3, ...ascii('com'), 0, 0, 1, 0, 1],
      be16(17),
      [0, 2, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 28, 0, 1],
    ),
    server: cat(be16(17), [0, 2, 0x81, 0x83, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 28, 0, 1]),
  },
  tls: {
    port: 443,
    client: (() => {
      const host = ascii('cut.example');
      const sni = cat(be16(0), be16(host.length + 5), be16(host.length + 3), [0], be16(host.length), host);
      const body = cat(
        be16(0x0303),
        new Array<number>(32).fill(1),
        [0],
        be16(4),
        be16(0x1301),
        be16(0xc02f),
        [1, 0],
        be16(sni.length),
        sni,
      );
      const msg = cat([1], u24(body.length), body);
      // The handshake message spread over two records.
      return cat(
        [22, 3, 1],
        be16(20),
        msg.subarray(0, 20),
        [22, 3, 3],
        be16(msg.length - 20),
        msg.subarray(20),
      );
    })(),
    server: (() => {
      const body = cat(be16(0x0303), new Array<number>(32).fill(2), [0], be16(0xc02f), [0]);
      const msg = cat([2], u24(body.length), body);
      return cat([22, 3, 3], be16(msg.length), msg, [20, 3, 3, 0, 1, 1]);
    })(),
  },
} as const;

type Records = unknown[];

/**
 * Sends each side's stream cut at `cuts`; `swaps[i]` sends a pair of adjacent segments in reverse order (an
 * early segment the dispatcher must hold back); `resend[i]` sends segment i twice (a retransmission).
 */
function run(
  name: keyof typeof CONVERSATIONS,
  clientCuts: number[],
  serverCuts: number[],
  swaps: boolean[] = [],
  resend: boolean[] = [],
): Records {
  const c = CONVERSATIONS[name];
  const h = new AppHarness(c.port);
  h.handshake();
  for (const [fromClient, bytes, cuts] of [
    [true, c.client, clientCuts],
    [false, c.server, serverCuts],
  ] as const) {
    const points = [...new Set([0, ...cuts.map((x) => x % bytes.length), bytes.length])].sort(
      (a, b) => a - b,
    );
    const base = fromClient ? h.clientSeq : h.serverSeq;
    const segments = points.slice(1).map((e, i) => [points[i]!, e] as const);
    const order = segments.map((_, i) => i);
    // Either side may be reordered from its first segment on: the probe sees the stream's first bytes.
    for (let i = 0; i + 1 < order.length; i += 2)
      if (swaps[i / 2] === true) [order[i], order[i + 1]] = [order[i + 1]!, order[i]!];
    for (const [k, i] of order.entries()) {
      const [from, to] = segments[i]!;
      for (let n = resend[k] === true ? 2 : 1; n > 0; n--)
        h.tcp(fromClient, bytes.subarray(from, to), base + from);
    }
  }
  h.end();
  // Times and uids aside (the segments' times differ), the records must be the same.
  return [...h.dns, ...h.tls, ...h.http].map((r) => ({ ...r, ts: 0, uid: '', rtt: null }));
}

describe('app parsers (properties)', () => {
  for (const name of ['http', 'dns', 'tls'] as const) {
    it(`${name}: the records do not depend on segmentation, adjacent swaps or retransmissions`, () => {
      const whole = run(name, [], []);
      assert.ok(whole.length > 0);
      const cuts = fc.array(fc.nat(10_000), { maxLength: 12 });
      const flags = fc.array(fc.boolean(), { maxLength: 12 });
      fc.assert(
        fc.property(cuts, cuts, flags, flags, (a, b, swaps, resend) => {
          assert.deepEqual(run(name, a, b, swaps, resend), whole);
        }),
        { numRuns: 200 },
      );
    });
  }

  it('any bytes, in any segments, to any parser: no throw', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(53, 80, 443, 5353),
        fc.array(fc.tuple(fc.boolean(), fc.uint8Array({ maxLength: 300 })), { maxLength: 12 }),
        fc.boolean(),
        (port, segments, overUdp) => {
          const h = new AppHarness(port);
          if (!overUdp) h.handshake();
          for (const [fromClient, bytes] of segments) {
            if (bytes.length === 0) continue;
            if (overUdp) h.udp(fromClient, bytes);
            else h.tcp(fromClient, bytes);
          }
          h.end();
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a DNS question name reads back as written, in any letters', () => {
    const label = fc.string({ unit: fc.constantFrom(...'abcXYZ019-_'), minLength: 1, maxLength: 63 });
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 3 }), fc.nat(0xffff), (labels, id) => {
        const name = labels.flatMap((l) => [l.length, ...ascii(l)]);
        const msg = cat(be16(id), [1, 0, 0, 1, 0, 0, 0, 0, 0, 0], name, [0, 0, 1, 0, 1]);
        const m = new DnsMessage();
        assert.equal(parseDnsMessage(msg, 0, msg.length, m), true);
        assert.equal(m.qname, labels.join('.'));
        assert.equal(m.id, id);
      }),
    );
  });
});
