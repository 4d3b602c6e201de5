import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppHarness, ascii } from '../app-harness.js';
import { HttpHead, parseHttpHead } from './parser.js';

const pick = (h: AppHarness): unknown[] =>
  h.http.map((l) => [l.trans_depth, l.method, l.host, l.uri, l.status_code, l.response_body_len]);

test('a request head: method, target, version and the logged headers, case-insensitive', () => {
  const head = ascii(
    'GET /a%20b?x=1 HTTP/1.1\r\nhOsT: example.com:8080\r\nUser-Agent:  curl/8.0 \r\nX-Other: 1\r\n\r\n',
  );
  const h = new HttpHead();
  assert.equal(parseHttpHead(head, 0, head.length, true, h), true);
  assert.deepEqual(
    [h.method, h.uri, h.version, h.host, h.userAgent],
    ['GET', '/a%20b?x=1', '1.1', 'example.com:8080', 'curl/8.0'],
  );
  const res = ascii('HTTP/1.0 404 Not Found\nContent-Type: text/html\nContent-Length: 12\n\n');
  assert.equal(parseHttpHead(res, 0, res.length, false, h), true);
  assert.deepEqual([h.status, h.reason, h.contentType, h.contentLength], [404, 'Not Found', 'text/html', 12]);
  for (const bad of ['GET /\r\n\r\n', 'HTTP/1.1 2000 OK\r\n\r\n', '\x00\x01\x02 x y\r\n\r\n'])
    assert.equal(parseHttpHead(ascii(bad), 0, bad.length, bad.startsWith('HTTP'), h), false, bad);
});

test('pipelined requests are matched to responses in order (length, chunked across segments, 304)', () => {
  const h = new AppHarness(80);
  h.handshake();
  h.tcp(
    true,
    ascii(
      'GET /1 HTTP/1.1\r\nHost: a.example\r\n\r\n' +
        'POST /2 HTTP/1.1\r\nHost: a.example\r\nContent-Length: 5\r\n\r\nhello' +
        'GET /3 HTTP/1.1\r\nHost: a.example\r\n\r\n',
    ),
  );
  h.tcp(false, ascii('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nabc'));
  const chunked =
    'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nwiki\r\n5\r\npedia\r\n0\r\nX-T: 1\r\n\r\n';
  for (let o = 0; o < chunked.length; o += 5) h.tcp(false, ascii(chunked.slice(o, o + 5)));
  h.tcp(false, ascii('HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n'));
  h.end();
  assert.deepEqual(pick(h), [
    [1, 'GET', 'a.example', '/1', 200, 3],
    [2, 'POST', 'a.example', '/2', 201, 9],
    [3, 'GET', 'a.example', '/3', 304, 0],
  ]);
  assert.equal(h.http[0]!.content_type, 'text/plain');
  assert.equal(h.http[1]!.request_body_len, 5);
  assert.deepEqual(h.services, ['http']);
  assert.deepEqual(h.app.anomalies(), {});
});

test('HEAD responses have no body; 100 Continue is interim; a body until close counts to the end', () => {
  const h = new AppHarness(8080);
  h.handshake();
  h.tcp(
    true,
    ascii('HEAD / HTTP/1.1\r\nHost: b\r\n\r\nPUT /u HTTP/1.1\r\nHost: b\r\nContent-Length: 2\r\n\r\n'),
  );
  h.tcp(false, ascii('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n'));
  h.tcp(true, ascii('ok'));
  h.tcp(false, ascii('HTTP/1.0 200 OK\r\n\r\n0123456789'));
  h.tcp(false, ascii('0123456789'));
  h.end();
  assert.deepEqual(pick(h), [
    [1, 'HEAD', 'b', '/', 200, 0],
    [2, 'PUT', 'b', '/u', 200, 20],
  ]);
});

test('a head cut by the end of the capture is still logged; after a gap the next request resynchronises', () => {
  const h = new AppHarness(80);
  h.handshake();
  h.tcp(true, ascii('GET /big HTTP/1.1\r\nHost: c.example\r\nCookie: '));
  h.tcp(true, ascii('x'.repeat(100)), h.clientSeq + 5000); // a hole before this segment
  h.tcp(true, ascii('GET /next HTTP/1.1\r\nHost: d.example\r\n\r\n'));
  h.tcp(false, ascii('HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n'));
  h.tcp(false, ascii('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
  h.end();
  assert.deepEqual(pick(h), [
    [1, 'GET', 'c.example', '/big', 500, 0],
    [2, 'GET', 'd.example', '/next', 200, 0],
  ]);
  assert.deepEqual(h.app.anomalies(), { 'http.stream_gap': 1, 'http.incomplete_head': 1 });
});

test('oversized heads are bounded; garbage after the first probe never throws', () => {
  const h = new AppHarness(80);
  h.handshake();
  h.tcp(true, ascii('GET / HTTP/1.1\r\n'));
  for (let i = 0; i < 20; i++) h.tcp(true, ascii(`X-${i}: ${'y'.repeat(1400)}\r\n`));
  h.end();
  assert.equal(h.app.anomalies()['http.header_too_long'], 1);
  let seed = 5;
  const rand = (): number => ((seed = Math.imul(seed, 48271) % 0x7fffffff) & 0xffff) / 0x10000;
  const base = ascii(
    'POST /x HTTP/1.1\r\nHost: e\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
  );
  for (let i = 0; i < 3000; i++) {
    const b = new Uint8Array(base);
    for (let k = 0; k < 3; k++) b[4 + Math.floor(rand() * (b.length - 4))] = Math.floor(rand() * 256);
    const g = new AppHarness(80);
    g.tcp(true, b.subarray(0, 30));
    g.tcp(true, b.subarray(30));
    g.tcp(false, b);
    g.end();
  }
});

test('after CONNECT 200 or 101 Switching Protocols the connection is no longer parsed as HTTP', () => {
  const h = new AppHarness(3128);
  h.handshake();
  h.tcp(true, ascii('CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n'));
  h.tcp(false, ascii('HTTP/1.1 200 Connection established\r\n\r\n'));
  h.tcp(true, new Uint8Array([22, 3, 1, 0, 5, 1, 0, 0, 1, 0]));
  h.tcp(false, ascii('HTTP/1.1 200 OK\r\n\r\n')); // tunnelled bytes, whatever they look like
  h.end();
  assert.deepEqual(pick(h), [[1, 'CONNECT', 'a.example:443', 'a.example:443', 200, 0]]);
  assert.deepEqual(h.app.anomalies(), {});
});

test('text protocols are not taken for HTTP; a request cut after its first byte still is', () => {
  const smtp = new AppHarness(25);
  smtp.handshake();
  smtp.tcp(false, ascii('220 mail.example ESMTP\r\n'));
  smtp.tcp(true, ascii('EHLO client.example\r\n'));
  smtp.tcp(true, ascii('MAIL FROM:<a@b>\r\n'));
  smtp.end();
  assert.deepEqual([smtp.http.length, smtp.services, smtp.app.anomalies()], [0, [null], {}]);
  const cut = new AppHarness(80);
  cut.handshake();
  cut.tcp(true, ascii('G'));
  cut.tcp(true, ascii('ET / HTTP/1.1\r\nHost: f\r\n\r\n'));
  cut.end();
  assert.deepEqual(pick(cut), [[1, 'GET', 'f', '/', null, 0]]);
});

test('a request head cut by the snaplen is paired with the response that follows it', () => {
  const h = new AppHarness(80);
  h.handshake();
  h.tcp(true, ascii('GET /index.html HTTP/1.1\r\nHost: g.example\r\nAcc'));
  h.tcp(false, ascii('HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nabc'));
  h.end();
  assert.deepEqual(pick(h), [[1, 'GET', 'g.example', '/index.html', 200, 3]]);
});

test('a pipelined request still arriving when an earlier response comes is not cut short', () => {
  const h = new AppHarness(80);
  h.handshake();
  h.tcp(true, ascii('GET /1 HTTP/1.1\r\nHost: h.example\r\n\r\nGET /2 HTTP/1.1\r\n'));
  h.tcp(false, ascii('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
  h.tcp(true, ascii('Host: i.example\r\n\r\n'));
  h.tcp(false, ascii('HTTP/1.1 204 No Content\r\n\r\n'));
  h.end();
  assert.deepEqual(pick(h), [
    [1, 'GET', 'h.example', '/1', 200, 0],
    [2, 'GET', 'i.example', '/2', 204, 0],
  ]);
  assert.deepEqual(h.app.anomalies(), {});
});

test('a capture that began mid-connection starts each side at its first bytes; a later hole still waits', () => {
  const h = new AppHarness(80);
  // No handshake: the first segment seen starts the client's stream.
  const request = ascii('GET /mid HTTP/1.1\r\nHost: m.example\r\nUser-Agent: t\r\n\r\n');
  const base = h.clientSeq;
  h.tcp(true, request.subarray(0, 12), base);
  h.tcp(true, request.subarray(30), base + 30); // early: held until the bytes before it come
  h.tcp(true, request.subarray(12, 30), base + 12);
  h.tcp(false, ascii('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
  h.end();
  assert.deepEqual(pick(h), [[1, 'GET', 'm.example', '/mid', 200, 0]]);
  assert.deepEqual(h.app.anomalies(), {});
});

test('overlapping segments with different bytes: the bytes seen first are parsed, the mismatch counted', () => {
  const h = new AppHarness(80);
  h.handshake();
  const request = ascii('GET /one HTTP/1.1\r\nHost: first.example\r\n\r\n');
  const base = h.clientSeq;
  h.tcp(true, request.subarray(10), base + 10);
  h.tcp(true, ascii('XXXXXXXXXX'), base + 20); // contradicts held bytes: they stay
  h.tcp(true, request.subarray(0, 12), base);
  h.tcp(false, ascii('HTTP/1.1 204 No Content\r\n\r\n'));
  h.end();
  assert.deepEqual(pick(h), [[1, 'GET', 'first.example', '/one', 204, 0]]);
  assert.deepEqual(h.app.anomalies(), { 'tcp.overlap_mismatch': 1 });
});
