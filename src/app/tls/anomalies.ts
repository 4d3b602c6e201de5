/** TLS anomalies; names never change once shipped (STYLE.md E6). Ids index TLS_ANOMALY_NAMES. */
export const TlsAnomaly = {
  BadRecordVersion: 0,
  BadHandshakeLength: 1,
  MalformedClientHello: 2,
  MalformedServerHello: 3,
  HelloTooLong: 4,
  UnexpectedHandshakeType: 5,
  MalformedCertificate: 6,
} as const;
export type TlsAnomaly = (typeof TlsAnomaly)[keyof typeof TlsAnomaly];

export const TLS_ANOMALY_NAMES: readonly string[] = [
  'tls.bad_record_version',
  'tls.bad_handshake_length',
  'tls.malformed_client_hello',
  'tls.malformed_server_hello',
  'tls.hello_too_long',
  'tls.unexpected_handshake_type',
  'tls.malformed_certificate',
];
