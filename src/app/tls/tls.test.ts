import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { be16, cat, type Bytes } from '../../decode/frame-builder.js';
import { AppHarness, ascii } from '../app-harness.js';
import { ja3, ja4 } from './fingerprint.js';
import { ClientHello, parseClientHello } from './parser.js';
import { CertificateInfo, parseCertificate } from './x509.js';

const sha12 = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 12);
const u24 = (n: number): number[] => [(n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const ext = (type: number, data: Bytes): Uint8Array => cat(be16(type), be16(data.length), data);
const list16 = (xs: number[]): number[] => [...be16(xs.length * 2), ...xs.flatMap(be16)];
const sni = (host: string): Uint8Array => {
  const h = ascii(host);
  return ext(0, cat(be16(h.length + 3), [0], be16(h.length), h));
};
const alpn = (...protos: string[]): Uint8Array => {
  const body = cat(...protos.map((p) => cat([p.length], ascii(p))));
  return ext(16, cat(be16(body.length), body));
};

/** A TLS 1.3-style ClientHello body: GREASE cipher and extension, SNI, ALPN h2, sig algs, versions. */
function clientHelloBody(host = 'www.example.org'): Uint8Array {
  const exts = cat(
    ext(0x0a0a, []),
    sni(host),
    ext(0x000a, list16([0x1a1a, 0x001d, 0x0017])),
    ext(0x000b, [1, 0]),
    ext(0x000d, list16([0x0403, 0x0804, 0x0401])),
    alpn('h2', 'http/1.1'),
    ext(0x002b, [6, 0x2a, 0x2a, 0x03, 0x04, 0x03, 0x03]),
  );
  return cat(
    be16(0x0303),
    new Array<number>(32).fill(7),
    [0],
    list16([0x2a2a, 0x1301, 0x1302, 0xc02b]),
    [1, 0],
    be16(exts.length),
    exts,
  );
}
const handshake = (type: number, body: Uint8Array): Uint8Array => cat([type], u24(body.length), body);
const record = (fragment: Bytes): Uint8Array => cat([22, 3, 1], be16(fragment.length), fragment);
const SERVER_HELLO = handshake(
  2,
  cat(
    be16(0x0303),
    new Array<number>(32).fill(9),
    [0],
    be16(0x1301),
    [0],
    be16(6),
    ext(0x002b, be16(0x0304)),
  ),
);

test('ClientHello fields and fingerprints; GREASE is left out of both', () => {
  const h = new ClientHello();
  const body = clientHelloBody();
  assert.equal(parseClientHello(body, 0, body.length, h), true);
  assert.equal(h.sni, 'www.example.org');
  assert.deepEqual(h.alpn, ['h2', 'http/1.1']);
  assert.deepEqual(h.versions, [0x2a2a, 0x0304, 0x0303]);
  // JA4 as the FoxIO spec defines it: t, TLS 1.3 from supported_versions, SNI present, 3 ciphers and 6
  // extensions (GREASE not counted), first and last letter of the first ALPN; then the truncated SHA-256
  // of the sorted ciphers, and of the sorted extensions without SNI/ALPN + the signature algorithms in order.
  assert.equal(
    ja4(h),
    `t13d0306h2_${sha12('1301,1302,c02b')}_${sha12('000a,000b,000d,002b_0403,0804,0401')}`,
  );
  // JA3: version, ciphers, extensions, groups, point formats in decimal, GREASE removed.
  assert.equal(
    ja3(h),
    createHash('md5').update('771,4865-4866-49195,0-10-11-13-16-43,29-23,0').digest('hex'),
  );
  // Without SNI, ALPN and extensions: 'i', '00' and an all-zero extension hash.
  const bare = cat(be16(0x0301), new Array<number>(32).fill(7), [0], list16([0x002f]), [1, 0]);
  assert.equal(parseClientHello(bare, 0, bare.length, h), true);
  assert.equal(ja4(h), `t10i010000_${sha12('002f')}_000000000000`);
});

test('a hello split over TCP segments and TLS records gives the same record as an unsplit one', () => {
  const body = clientHelloBody('split.example');
  const msg = handshake(1, body);
  const whole = new AppHarness(443);
  whole.handshake();
  whole.tcp(true, record(msg));
  whole.tcp(false, record(SERVER_HELLO));
  whole.end();
  assert.equal(whole.tls.length, 1);
  const expected = whole.tls[0]!;
  assert.equal(expected.server_name, 'split.example');
  assert.equal(expected.version, 'TLSv13');
  assert.equal(expected.cipher, 'TLS_AES_128_GCM_SHA256');
  assert.equal(expected.client_version, 'TLSv13');
  assert.deepEqual(expected.client_alpn, ['h2', 'http/1.1']);
  assert.deepEqual(whole.services, ['ssl']);

  // Two records (the handshake message cut at byte 50), sent in 7-byte segments.
  const stream = cat(record(msg.subarray(0, 50)), record(msg.subarray(50)));
  const split = new AppHarness(443);
  split.handshake();
  for (let o = 0; o < stream.length; o += 7) split.tcp(true, stream.subarray(o, o + 7));
  split.tcp(false, record(SERVER_HELLO));
  split.end();
  assert.equal(split.tls.length, 1);
  assert.deepEqual({ ...split.tls[0]!, ts: 0, uid: '' }, { ...expected, ts: 0, uid: '' });

  // The same segments in reverse order: the first one, which the probe needs, comes last.
  const reversed = new AppHarness(443);
  reversed.handshake();
  const base = reversed.clientSeq;
  for (let o = Math.floor((stream.length - 1) / 7) * 7; o >= 0; o -= 7)
    reversed.tcp(true, stream.subarray(o, o + 7), base + o);
  reversed.tcp(false, record(SERVER_HELLO));
  reversed.end();
  assert.equal(reversed.tls.length, 1);
  assert.deepEqual({ ...reversed.tls[0]!, ts: 0, uid: '' }, { ...expected, ts: 0, uid: '' });
  assert.deepEqual(reversed.services, ['ssl']);
});

test('truncated and mutated hellos never throw', () => {
  const h = new ClientHello();
  const body = clientHelloBody();
  for (let n = 0; n <= body.length; n++) parseClientHello(body, 0, n, h);
  let seed = 3;
  const rand = (): number => ((seed = Math.imul(seed, 48271) % 0x7fffffff) & 0xffff) / 0x10000;
  for (let i = 0; i < 5000; i++) {
    const b = new Uint8Array(record(handshake(1, body)));
    for (let k = 0; k < 3; k++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
    const harness = new AppHarness(443);
    harness.tcp(true, b.subarray(0, 100));
    harness.tcp(true, b.subarray(100));
    harness.end();
    assert.ok(harness.tls.length <= 1);
  }
});

test('a hello that never completes is bounded: the direction is given up with an anomaly', () => {
  const h = new AppHarness(443);
  h.handshake();
  // A handshake header announcing 16 MiB.
  h.tcp(true, cat([22, 3, 1], be16(0x4000), [1], u24(0xffffff), new Array<number>(1000).fill(0)));
  for (let i = 0; i < 40; i++) h.tcp(true, new Uint8Array(1400));
  h.end();
  assert.equal(h.tls.length, 0);
  assert.ok(
    (h.app.anomalies()['tls.bad_handshake_length'] ?? 0) + (h.app.anomalies()['tls.hello_too_long'] ?? 0) >=
      1,
  );
});

/** A DER TLV (lengths up to 64 KiB). */
const der = (tag: number, ...parts: Bytes[]): Uint8Array => {
  const v = cat(...parts);
  const len = v.length < 0x80 ? [v.length] : v.length < 0x100 ? [0x81, v.length] : [0x82, ...be16(v.length)];
  return cat([tag], len, v);
};
const OID_CN = [0x55, 0x04, 0x03];
const OID_O = [0x55, 0x04, 0x0a];
const OID_C = [0x55, 0x04, 0x06];
const rdn = (oid: number[], tag: number, value: string): Uint8Array =>
  der(0x31, der(0x30, der(0x06, oid), der(tag, ascii(value))));

/** A certificate with the fields the walk reads; signature and key are filler (nothing verifies them). */
function certificate(cn: string, padding = 0): Uint8Array {
  const issuer = der(
    0x30,
    rdn(OID_C, 0x13, 'US'),
    rdn(OID_O, 0x13, 'Test CA, Inc.'),
    rdn(OID_CN, 0x0c, 'Test CA'),
  );
  const subject = der(0x30, rdn(OID_C, 0x13, 'DE'), rdn(OID_CN, 0x0c, cn));
  const validity = der(0x30, der(0x17, ascii('240131235959Z')), der(0x18, ascii('20500101000000Z')));
  const tbs = der(
    0x30,
    der(0xa0, der(0x02, [2])),
    der(0x02, [1, 2, 3]),
    der(0x30, der(0x06, [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b])),
    issuer,
    validity,
    subject,
    der(0x30, new Array<number>(padding).fill(0x5a)),
  );
  return der(0x30, tbs, der(0x30, der(0x06, [0x2a])), der(0x03, [0, 1, 2, 3]));
}

test('the certificate walk: subject and issuer as Zeek prints them, validity, and a never-throwing walk', () => {
  const c = new CertificateInfo();
  const bytes = certificate('www.example.org');
  assert.equal(parseCertificate(bytes, 0, bytes.length, c), true);
  assert.equal(c.subject, 'CN=www.example.org,C=DE');
  assert.equal(c.issuer, 'CN=Test CA,O=Test CA\\, Inc.,C=US');
  assert.equal(c.notBefore, Date.UTC(2024, 0, 31, 23, 59, 59) * 1000);
  assert.equal(c.notAfter, Date.UTC(2050, 0, 1) * 1000);
  for (let n = 0; n < bytes.length; n++) assert.equal(parseCertificate(bytes, 0, n, c), false);
  let seed = 11;
  const rand = (): number => ((seed = Math.imul(seed, 48271) % 0x7fffffff) & 0xffff) / 0x10000;
  for (let i = 0; i < 5000; i++) {
    const b = new Uint8Array(bytes);
    for (let k = 0; k < 4; k++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
    parseCertificate(b, 0, b.length, c);
  }
});

test('a TLS 1.2 server flight split over segments: certificate chain, curve, resumption and establishment', () => {
  const leaf = certificate('split.example', 3000);
  const ca = certificate('Test CA');
  const chain = cat(u24(leaf.length), leaf, u24(ca.length), ca);
  const sessionId = new Array<number>(32).fill(0x42);
  const serverHello = handshake(
    2,
    cat(be16(0x0303), new Array<number>(32).fill(9), [32], sessionId, be16(0xc02f), [0], be16(0)),
  );
  // ECDHE ServerKeyExchange: named_curve (3), secp384r1 (24), then the point and signature (filler).
  const flight = cat(
    serverHello,
    handshake(11, cat(u24(chain.length), chain)),
    handshake(12, cat([3], be16(24), [4, 1, 2, 3, 4], be16(0x0401), be16(2), [0, 0])),
    handshake(14, new Uint8Array(0)),
  );
  // The client offers the same session id, so the echo is a resumption (as Zeek decides it).
  const body = clientHelloBody();
  const hello = new Uint8Array(body);
  hello[34] = 32;
  const clientHello = cat(hello.subarray(0, 35), sessionId, hello.subarray(35));
  const h = new AppHarness(443);
  h.handshake();
  h.tcp(true, record(handshake(1, clientHello)));
  const stream = cat(record(flight.subarray(0, 1000)), record(flight.subarray(1000)));
  for (let o = 0; o < stream.length; o += 1400) h.tcp(false, stream.subarray(o, o + 1400));
  h.tcp(true, cat([20, 3, 3], be16(1), [1]));
  assert.equal(h.tls.length, 0, 'not logged before the server is encrypted too');
  h.tcp(false, cat([20, 3, 3], be16(1), [1], [22, 3, 3], be16(4), [0, 0, 0, 0]));
  assert.equal(h.tls.length, 1, 'logged as soon as both sides are encrypted');
  h.end();
  const r = h.tls[0]!;
  assert.equal(r.version, 'TLSv12');
  assert.equal(r.curve, 'secp384r1');
  assert.equal(r.resumed, true);
  assert.equal(r.established, true);
  assert.equal(r.subject, 'CN=split.example,C=DE');
  assert.equal(r.issuer, 'CN=Test CA,O=Test CA\\, Inc.,C=US');
  assert.deepEqual(r.cert_chain_fps, [
    createHash('sha256').update(leaf).digest('hex'),
    createHash('sha256').update(ca).digest('hex'),
  ]);
});

test('a TLS 1.3 ServerHello: key_share group, an accepted PSK is a resumption, the session id echo is not', () => {
  const sessionId = new Array<number>(32).fill(0x17);
  const exts = cat(
    ext(0x002b, be16(0x0304)),
    ext(0x0033, cat(be16(29), be16(32), new Array<number>(32).fill(1))),
  );
  const hello = (psk: boolean): Uint8Array => {
    const e = psk ? cat(exts, ext(0x0029, be16(0))) : exts;
    return handshake(
      2,
      cat(be16(0x0303), new Array<number>(32).fill(9), [32], sessionId, be16(0x1301), [0], be16(e.length), e),
    );
  };
  const body = clientHelloBody();
  const client = cat(body.subarray(0, 34), [32], sessionId, body.subarray(35));
  for (const psk of [false, true]) {
    const h = new AppHarness(443);
    h.handshake();
    h.tcp(true, record(handshake(1, client)));
    h.tcp(false, cat(record(hello(psk)), [23, 3, 3], be16(2), [0, 0]));
    h.end();
    assert.equal(h.tls[0]!.curve, 'x25519');
    assert.equal(h.tls[0]!.resumed, psk);
    assert.equal(h.tls[0]!.established, false, 'the client never switched');
  }
});
