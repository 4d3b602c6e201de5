/**
 * The `quic` log: one record per QUIC connection whose Initial packets could be decrypted with the
 * well-known Initial keys, Zeek's quic.log names where Zeek has them. See src/app/quic/.
 */
import type { Field, RecordOf } from './log-schema.js';

export const quicLog = {
  ts: { type: 'time', doc: 'Time of the first Initial packet' },
  uid: { type: 'string', doc: 'Flow uid; joins with flows' },
  orig_h: { type: 'addr', doc: 'Client address' },
  orig_p: { type: 'port', doc: 'Client port' },
  resp_h: { type: 'addr', doc: 'Server address' },
  resp_p: { type: 'port', doc: 'Server port' },
  version: { type: 'string', doc: 'QUIC version of the Initial packets: 1 or draft-29' },
  client_initial_dcid: {
    type: 'string',
    doc: "Hex of the client's first Destination Connection ID (the key source)",
  },
  server_name: { type: 'string', optional: true, doc: 'SNI host name from the ClientHello' },
  client_protocol: { type: 'string', optional: true, doc: "First protocol of the client's ALPN list" },
  client_alpn: { type: 'strings', optional: true, doc: 'ALPN protocols the client offered' },
  ja4: { type: 'string', optional: true, doc: "JA4 client fingerprint, 'q' for QUIC (FoxIO spec)" },
  cipher: { type: 'string', optional: true, doc: 'Cipher suite of the ServerHello (IANA name, else 0x….)' },
} as const satisfies Record<string, Field>;

export type QuicLog = RecordOf<typeof quicLog>;
