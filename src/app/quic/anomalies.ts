/** QUIC anomalies; names never change once shipped (STYLE.md E6). Ids index QUIC_ANOMALY_NAMES. */
export const QuicAnomaly = {
  DecryptFailed: 0,
  BadFrame: 1,
  CryptoTooLong: 2,
  MalformedClientHello: 3,
  MalformedServerHello: 4,
} as const;
export type QuicAnomaly = (typeof QuicAnomaly)[keyof typeof QuicAnomaly];

export const QUIC_ANOMALY_NAMES: readonly string[] = [
  'quic.decrypt_failed',
  'quic.bad_frame',
  'quic.crypto_too_long',
  'quic.malformed_client_hello',
  'quic.malformed_server_hello',
];
