/** The only place an HTTP log record is shaped (STYLE.md E8). */
import type { EndpointText } from '../../flow/record.js';
import type { FlowState } from '../../flow/table.js';
import type { HttpLog } from '../../schema/http.js';
import type { HttpHead } from './parser.js';

/** One request/response pair being filled in. */
export class HttpTx {
  tsUs: number;
  readonly depth: number;
  method: string | null = null;
  host: string | null = null;
  uri: string | null = null;
  version: string | null = null;
  userAgent: string | null = null;
  requestBodyLen = 0;
  responseBodyLen = 0;
  status: number | null = null;
  reason: string | null = null;
  contentType: string | null = null;
  contentLength: number | null = null;

  constructor(tsUs: number, depth: number) {
    this.tsUs = tsUs;
    this.depth = depth;
  }

  request(h: HttpHead): void {
    this.method = h.method;
    this.host = h.host;
    this.uri = h.uri;
    this.version = h.version;
    this.userAgent = h.userAgent;
  }

  response(h: HttpHead): void {
    this.status = h.status;
    this.reason = h.reason;
    this.contentType = h.contentType;
    this.contentLength = h.contentLength >= 0 ? h.contentLength : null;
    this.version ??= h.version;
  }
}

export const toHttpLog = (flow: FlowState, text: EndpointText, tx: HttpTx): HttpLog => ({
  ts: tx.tsUs,
  uid: flow.uid,
  orig_h: text.orig(flow),
  orig_p: flow.origPort,
  resp_h: text.resp(flow),
  resp_p: flow.respPort,
  trans_depth: tx.depth,
  method: tx.method,
  host: tx.host,
  uri: tx.uri,
  version: tx.version,
  user_agent: tx.userAgent,
  request_body_len: tx.requestBodyLen,
  response_body_len: tx.responseBodyLen,
  status_code: tx.status,
  status_msg: tx.reason,
  content_type: tx.contentType,
  content_length: tx.contentLength,
});
