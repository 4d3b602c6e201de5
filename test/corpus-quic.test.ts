/**
 * QUIC Initials of the corpus, decrypted with the Initial keys, against tshark (which decrypts them too).
 * Expected values were made on this machine with tshark 4.0.17 and are checked in (CI needs no tshark):
 *   tshark -r F -Y 'quic && tls.handshake.type' -T fields -e quic.version -e quic.dcid -e tls.handshake.type \
 *     -e tls.handshake.extensions_server_name -e tls.handshake.extensions_alpn_str -e tls.handshake.ciphersuite
 * truncated-snaplen256-null-quic cuts the client's Initial at 256 bytes: its DCID still gives the keys, so only
 * the server's Initial (ServerHello, cipher 0x1301) decrypts, as in tshark. JA4's first part follows from
 * tshark's counts (3 cipher suites, 10 extensions with SNI, ALPN h3, TLS 1.3); the hashes are nta's.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { dbRows, workDir } from './support/cli.js';
import { readCorpusInto } from './support/corpus-db.js';

const CHROME_JA4 = 'q13d0310h3_55b375c5d22e_cd85d2d88918';
const EXPECTED: Record<string, unknown[]> = {
  'tls-and-quic-ipv6.pcap': [
    ['1', '203f9e9f68698274', 'cloudflare-quic.com', 'h3', CHROME_JA4, 'TLS_AES_128_GCM_SHA256', 'quic'],
  ],
  'quic-ipv6-chromium-google.pcap': [
    ['1', '5a37463b0eb7cc5d', 'www.google.de', 'h3', CHROME_JA4, 'TLS_AES_128_GCM_SHA256', 'quic'],
  ],
  'truncated-snaplen256-null-quic.pcap': [
    ['1', 'f71ae16671baa8b7', null, null, null, 'TLS_AES_128_GCM_SHA256', 'quic'],
  ],
};

const dir = workDir('nta-corpus-quic-');
const db = join(dir, 'quic.db');
let captureIds = new Map<string, number>();

before(async () => {
  captureIds = await readCorpusInto(db, Object.keys(EXPECTED));
});

for (const [name, want] of Object.entries(EXPECTED)) {
  test(`quic: ${name} has the version, DCID, SNI, ALPN and cipher tshark decrypts`, () => {
    const rows = dbRows<Record<string, unknown>>(
      db,
      `SELECT q.version, q.client_initial_dcid, q.server_name, q.client_protocol, q.ja4, q.cipher, f.service
       FROM quic q JOIN flows f ON f.uid = q.uid WHERE q.capture_id = ${captureIds.get(name)!}`,
    );
    assert.deepEqual(
      rows.map((r) => Object.values(r)),
      want,
    );
  });
}
