/** HTTP anomalies; names never change once shipped (STYLE.md E6). Ids index HTTP_ANOMALY_NAMES. */
export const HttpAnomaly = {
  HeaderTooLong: 0,
  BadRequestLine: 1,
  BadStatusLine: 2,
  BadChunkSize: 3,
  TooManyPending: 4,
  BadContentLength: 5,
  StreamGap: 6,
  IncompleteHead: 7,
} as const;
export type HttpAnomaly = (typeof HttpAnomaly)[keyof typeof HttpAnomaly];

export const HTTP_ANOMALY_NAMES: readonly string[] = [
  'http.header_too_long',
  'http.bad_request_line',
  'http.bad_status_line',
  'http.bad_chunk_size',
  'http.too_many_pending',
  'http.bad_content_length',
  'http.stream_gap',
  'http.incomplete_head',
];
