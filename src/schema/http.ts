/**
 * The `http` log: one record per HTTP/1.x request/response pair, Zeek's http.log names where Zeek has them.
 * Pipelined requests are matched to responses in order. See src/app/http/.
 */
import type { Field, RecordOf } from './log-schema.js';

export const httpLog = {
  ts: { type: 'time', doc: 'Time of the request (of the response when no request was seen)' },
  uid: { type: 'string', doc: 'Flow uid; joins with flows' },
  orig_h: { type: 'addr', doc: 'Client address' },
  orig_p: { type: 'port', doc: 'Client port' },
  resp_h: { type: 'addr', doc: 'Server address' },
  resp_p: { type: 'port', doc: 'Server port' },
  trans_depth: { type: 'count', doc: 'Position of the transaction in the connection, from 1' },
  method: { type: 'string', optional: true, doc: 'Request method' },
  host: { type: 'string', optional: true, doc: 'Host header value' },
  uri: { type: 'string', optional: true, doc: 'Request target as sent' },
  version: { type: 'string', optional: true, doc: 'HTTP version of the request (of the response if none)' },
  user_agent: { type: 'string', optional: true, doc: 'User-Agent header value' },
  request_body_len: { type: 'count', doc: 'Request body bytes seen (after de-chunking)' },
  response_body_len: { type: 'count', doc: 'Response body bytes seen (after de-chunking)' },
  status_code: { type: 'count', optional: true, doc: 'Response status code' },
  status_msg: { type: 'string', optional: true, doc: 'Response reason phrase' },
  content_type: {
    type: 'string',
    optional: true,
    doc: "Response Content-Type header (Zeek's resp_mime_types comes from content sniffing instead)",
  },
  content_length: { type: 'count', optional: true, doc: 'Response Content-Length header' },
} as const satisfies Record<string, Field>;

export type HttpLog = RecordOf<typeof httpLog>;
