/**
 * TCP reassembly end to end: a capture built with src/decode/frame-builder.ts whose HTTP requests (two,
 * pipelined), TLS ClientHello and DNS-over-TCP queries are cut into segments sent out of order (each
 * stream's first segment after its second, a duplicate, an overlap), read by the real binary into SQLite.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { be16, cat, eth, ipv4, le16, le32, tcp, IP_A, IP_B } from '../src/decode/frame-builder.js';
import { NTA, dbRows, workDir } from './support/cli.js';

const work = workDir('nta-reasm-');

const SYN = 0x002;
const ACK = 0x010;
const SYN_ACK = 0x012;
const PSH_ACK = 0x018;
const FIN_ACK = 0x011;
const CLIENT_ISN = 0xfffffff0; // the client's sequence numbers wrap around 2^32 within its stream
const SERVER_ISN = 5000;

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const u24 = (n: number): number[] => [(n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];

/**
 * One connection: handshake, the client's `request` cut at `cuts` and sent in `order` (segment indexes;
 * a repeated index is a retransmission), the server's ack and `response`, both FINs.
 */
function connection(
  sport: number,
  dport: number,
  request: Uint8Array,
  cuts: number[],
  order: number[],
  response: Uint8Array,
): Uint8Array[] {
  const frame = (
    fromClient: boolean,
    flags: number,
    seq: number,
    ack: number,
    payload: Uint8Array = new Uint8Array(0),
  ): Uint8Array =>
    eth(
      0x0800,
      ipv4({
        proto: 6,
        src: fromClient ? IP_A : IP_B,
        dst: fromClient ? IP_B : IP_A,
        payload: fromClient
          ? tcp({ sport, dport, flags, seq: seq >>> 0, ack: ack >>> 0, payload })
          : tcp({ sport: dport, dport: sport, flags, seq: seq >>> 0, ack: ack >>> 0, payload }),
      }),
    );
  const c = CLIENT_ISN + 1;
  const s = SERVER_ISN + 1;
  const points = [0, ...cuts, request.length];
  const frames = [
    frame(true, SYN, CLIENT_ISN, 0),
    frame(false, SYN_ACK, SERVER_ISN, c),
    frame(true, ACK, c, s),
  ];
  for (const i of order)
    frames.push(frame(true, PSH_ACK, c + points[i]!, s, request.subarray(points[i]!, points[i + 1]!)));
  const cEnd = c + request.length;
  frames.push(frame(false, ACK, s, cEnd));
  if (response.length > 0)
    frames.push(frame(false, PSH_ACK, s, cEnd, response), frame(true, ACK, cEnd, s + response.length));
  const sEnd = s + response.length;
  frames.push(
    frame(true, FIN_ACK, cEnd, sEnd),
    frame(false, FIN_ACK, sEnd, cEnd + 1),
    frame(true, ACK, cEnd + 1, sEnd + 1),
  );
  return frames;
}

function clientHello(sni: string): Uint8Array {
  const host = ascii(sni);
  const serverName = cat(be16(host.length + 3), [0], be16(host.length), host);
  const extensions = cat(be16(0), be16(serverName.length), serverName);
  const body = cat(
    be16(0x0303),
    new Array<number>(32).fill(9),
    [0],
    be16(2),
    be16(0x1301),
    [1, 0],
    be16(extensions.length),
    extensions,
  );
  const handshake = cat([1], u24(body.length), body);
  return cat([22, 3, 1], be16(handshake.length), handshake);
}

function dnsQueries(...names: string[]): Uint8Array {
  return cat(
    ...names.map((name, i) => {
      const qname = cat(...name.split('.').map((l) => cat([l.length], ascii(l))), [0]);
      const msg = cat(
        be16(0x4200 + i),
        be16(0x0100),
        be16(1),
        be16(0),
        be16(0),
        be16(0),
        qname,
        be16(1),
        be16(1),
      );
      return cat(be16(msg.length), msg);
    }),
  );
}

function writePcap(path: string, frames: Uint8Array[]): void {
  const header = cat(le32(0xa1b2c3d4), le16(2), le16(4), le32(0), le32(0), le32(65535), le32(1));
  const t0 = 1_700_000_000;
  const records = frames.map((f, k) =>
    cat(le32(t0 + Math.floor(k / 100)), le32((k % 100) * 1000), le32(f.length), le32(f.length), f),
  );
  writeFileSync(path, cat(header, ...records));
}

test('requests, a ClientHello and DNS queries sent out of order are logged as if sent in order', () => {
  const pipelined = ascii(
    'GET /first HTTP/1.1\r\nHost: reorder.example\r\n\r\nGET /second HTTP/1.1\r\nHost: reorder.example\r\nUser-Agent: t\r\n\r\n',
  );
  const responses = ascii(
    'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n',
  );
  const hello = clientHello('split.example');
  const queries = dnsQueries('one.example', 'two.example');
  const frames = [
    // The second segment first, a retransmission of the first at the end.
    ...connection(41000, 80, pipelined, [10, 30, 60], [1, 3, 0, 2, 0], responses),
    ...connection(41001, 443, hello, [7, 40, 60], [2, 0, 3, 1, 1], new Uint8Array(0)),
    // Every segment of the stream in reverse order.
    ...connection(41002, 53, queries, [5, 20, 33], [3, 2, 1, 0], new Uint8Array(0)),
  ];
  const file = join(work, 'reordered.pcap');
  writePcap(file, frames);
  const db = join(work, 'reordered.db');
  const r = spawnSync('node', [NTA, 'read', '-q', '--no-packets', '--db', db, file], {
    cwd: work,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(
    dbRows(
      db,
      'SELECT trans_depth, method, host, uri, user_agent, status_code FROM http ORDER BY trans_depth',
    ),
    [
      {
        trans_depth: 1,
        method: 'GET',
        host: 'reorder.example',
        uri: '/first',
        user_agent: null,
        status_code: 200,
      },
      {
        trans_depth: 2,
        method: 'GET',
        host: 'reorder.example',
        uri: '/second',
        user_agent: 't',
        status_code: 404,
      },
    ],
  );
  assert.deepEqual(dbRows(db, 'SELECT server_name FROM tls'), [{ server_name: 'split.example' }]);
  assert.deepEqual(dbRows(db, 'SELECT query FROM dns ORDER BY query'), [
    { query: 'one.example' },
    { query: 'two.example' },
  ]);
  assert.deepEqual(dbRows(db, 'SELECT resp_p, service FROM flows ORDER BY resp_p'), [
    { resp_p: 53, service: 'dns' },
    { resp_p: 80, service: 'http' },
    { resp_p: 443, service: 'ssl' },
  ]);
});
