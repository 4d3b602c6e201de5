/**
 * The `tls` log: one record per TLS handshake seen (ClientHello and/or ServerHello), Zeek's ssl.log names
 * where Zeek has them. See src/app/tls/.
 */
import type { Field, RecordOf } from './log-schema.js';

export const tlsLog = {
  ts: { type: 'time', doc: 'Time of the first handshake message seen' },
  uid: { type: 'string', doc: 'Flow uid; joins with flows' },
  orig_h: { type: 'addr', doc: 'Client address' },
  orig_p: { type: 'port', doc: 'Client port' },
  resp_h: { type: 'addr', doc: 'Server address' },
  resp_p: { type: 'port', doc: 'Server port' },
  version: {
    type: 'string',
    optional: true,
    doc: 'Negotiated version (TLSv10…TLSv13, SSLv3): the ServerHello supported_versions, else its version',
  },
  cipher: { type: 'string', optional: true, doc: 'Cipher suite the server chose (IANA name, else 0x….)' },
  server_name: { type: 'string', optional: true, doc: 'SNI host name from the ClientHello' },
  next_protocol: { type: 'string', optional: true, doc: 'ALPN protocol the server chose' },
  client_alpn: { type: 'strings', optional: true, doc: 'ALPN protocols the client offered' },
  client_version: {
    type: 'string',
    optional: true,
    doc: 'Highest version the client offered (supported_versions, else the ClientHello version)',
  },
  ja4: { type: 'string', optional: true, doc: 'JA4 client fingerprint (FoxIO spec, TLS over TCP)' },
  ja3: { type: 'string', optional: true, doc: 'JA3 client fingerprint (MD5 hex)' },
  curve: {
    type: 'string',
    optional: true,
    doc: 'Group of the key exchange: the ServerHello key_share (TLS 1.3), else the ECDHE ServerKeyExchange curve',
  },
  resumed: {
    type: 'bool',
    doc: 'Session resumed: the server echoed the client session id (below TLS 1.3) or accepted a PSK (TLS 1.3)',
  },
  established: {
    type: 'bool',
    doc: 'Handshake finished: both sides switched to encrypted records (ChangeCipherSpec or application data)',
  },
  cert_chain_fps: {
    type: 'strings',
    optional: true,
    doc: "SHA-256 fingerprints (hex) of the server's certificates in the order sent (TLS ≤ 1.2)",
  },
  subject: {
    type: 'string',
    optional: true,
    doc: "Subject of the server's certificate, RFC 2253 text as Zeek prints it (TLS ≤ 1.2)",
  },
  issuer: {
    type: 'string',
    optional: true,
    doc: "Issuer of the server's certificate, as subject (TLS ≤ 1.2)",
  },
  not_valid_before: {
    type: 'time',
    optional: true,
    doc: "Start of the server certificate's validity (Zeek x509.log certificate.not_valid_before)",
  },
  not_valid_after: {
    type: 'time',
    optional: true,
    doc: "End of the server certificate's validity (Zeek x509.log certificate.not_valid_after)",
  },
} as const satisfies Record<string, Field>;

export type TlsLog = RecordOf<typeof tlsLog>;
