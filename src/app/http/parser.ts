/**
 * HTTP/1.x message heads (RFC 9112 §2–§6): the request or status line and the header fields the log needs.
 * Pure and synchronous; never throws; works on a complete head [off, end) that the stream state found.
 */
import { bytesText } from '../text.js';

export const CR = 0x0d;
export const LF = 0x0a;
const SP = 0x20;
const COLON = 0x3a;

/** One parsed head; reused for every message (STYLE.md E1). Strings are copies. */
export class HttpHead {
  method: string | null = null;
  uri: string | null = null;
  version: string | null = null;
  status = -1;
  reason: string | null = null;
  host: string | null = null;
  userAgent: string | null = null;
  contentType: string | null = null;
  /** -1 when absent; -2 when present but not a number. */
  contentLength = -1;
  chunked = false;

  reset(): void {
    this.method = this.uri = this.version = this.reason = null;
    this.host = this.userAgent = this.contentType = null;
    this.status = this.contentLength = -1;
    this.chunked = false;
  }
}

/**
 * Where the head starting at `off` ends (the index after its blank line), or -1 if it does not end before
 * `end`. Bare LF line ends are accepted, as every real server does. `from` resumes a search.
 */
export function headEnd(b: Uint8Array, off: number, end: number, from = off): number {
  for (let i = Math.max(from, off + 1); i < end; i++) {
    if (b[i] !== LF) continue;
    if (b[i - 1] === LF) return i + 1;
    if (b[i - 1] === CR && i - 2 >= off && b[i - 2] === LF) return i + 1;
  }
  return -1;
}

const isUpper = (c: number): boolean => c >= 0x41 && c <= 0x5a;

/** A request line's start: an upper-case method token of 3–16 letters and a space (probing, resync). */
export function looksLikeRequest(b: Uint8Array, off: number, end: number): boolean {
  let i = off;
  while (i < end && i - off < 17 && (isUpper(b[i]!) || b[i] === 0x2d)) i++;
  return i - off >= 3 && i < end && b[i] === SP;
}

/** Methods taken on their own when the request line does not end in the first segment. */
const METHODS = new Set([
  'GET',
  'POST',
  'HEAD',
  'PUT',
  'DELETE',
  'OPTIONS',
  'CONNECT',
  'TRACE',
  'PATCH',
  'PROPFIND',
  'PROPPATCH',
  'MKCOL',
  'COPY',
  'MOVE',
  'LOCK',
  'UNLOCK',
  'SEARCH',
  'REPORT',
]);

/**
 * Whether a flow's payload may start an HTTP request (protocol probing, once per payload packet until
 * decided): a first line `TOKEN target HTTP/1.x`, or a known method when the line goes on in a later
 * segment, or a segment too short to tell (1–16 upper-case letters: the start of a method). Text lines of
 * other protocols (`EHLO x`, `USER x`) do not match.
 */
export function mayStartRequest(b: Uint8Array, off: number, end: number): boolean {
  let i = off;
  while (i < end && i - off < 17 && (isUpper(b[i]!) || b[i] === 0x2d)) i++;
  if (i === end) return i > off && i - off <= 16;
  if (i - off < 3 || b[i] !== SP) return false;
  const eol = lineEnd(b, i, end);
  if (eol === end) return METHODS.has(String.fromCharCode(...b.subarray(off, i)));
  const stop = b[eol - 1] === CR ? eol - 1 : eol;
  return stop - i >= 10 && looksLikeResponse(b, stop - 8, stop);
}

/** Whether a payload may start a status line: `HTTP/1.`, or a segment shorter than that which begins so. */
export function mayStartResponse(b: Uint8Array, off: number, end: number): boolean {
  const n = Math.min(end - off, HTTP1.length);
  for (let i = 0; i < n; i++) if (b[off + i] !== HTTP1[i]) return false;
  return n > 0;
}

const HTTP1 = [0x48, 0x54, 0x54, 0x50, 0x2f, 0x31, 0x2e];

/** A status line's start: `HTTP/1.`. */
export function looksLikeResponse(b: Uint8Array, off: number, end: number): boolean {
  return (
    end - off >= 7 &&
    b[off] === 0x48 &&
    b[off + 1] === 0x54 &&
    b[off + 2] === 0x54 &&
    b[off + 3] === 0x50 &&
    b[off + 4] === 0x2f &&
    b[off + 5] === 0x31 &&
    b[off + 6] === 0x2e
  );
}

/** Case-insensitive compare of b[off, off + name.length) with a lower-case ASCII name. */
function nameIs(b: Uint8Array, off: number, len: number, name: string): boolean {
  if (len !== name.length) return false;
  for (let i = 0; i < len; i++) if ((b[off + i]! | 0x20) !== name.charCodeAt(i)) return false;
  return true;
}

const lineEnd = (b: Uint8Array, off: number, end: number): number => {
  let i = off;
  while (i < end && b[i] !== LF) i++;
  return i;
};

/** Parses a head; false when its first line is not a request (or status) line. */
export function parseHttpHead(
  b: Uint8Array,
  off: number,
  end: number,
  isRequest: boolean,
  out: HttpHead,
): boolean {
  out.reset();
  const eol = lineEnd(b, off, end);
  let lineStop = eol > off && b[eol - 1] === CR ? eol - 1 : eol;
  let sp1 = off;
  while (sp1 < lineStop && b[sp1] !== SP) sp1++;
  if (sp1 === off || sp1 >= lineStop) return false;
  let sp2 = sp1 + 1;
  while (sp2 < lineStop && b[sp2] !== SP) sp2++;
  if (isRequest) {
    // method SP request-target SP HTTP-version; the target may hold spaces in broken clients: the version
    // is the last word.
    let last = lineStop;
    while (last > sp1 + 1 && b[last - 1] !== SP) last--;
    if (last <= sp1 + 1 || !looksLikeResponse(b, last, lineStop)) return false;
    out.method = bytesText(b, off, sp1);
    out.uri = bytesText(b, sp1 + 1, last - 1);
    out.version = bytesText(b, last + 5, lineStop);
  } else {
    if (!looksLikeResponse(b, off, sp1) || sp2 - sp1 !== 4) return false;
    let code = 0;
    for (let i = sp1 + 1; i < sp2; i++) {
      const d = b[i]! - 0x30;
      if (d < 0 || d > 9) return false;
      code = code * 10 + d;
    }
    out.version = bytesText(b, off + 5, sp1);
    out.status = code;
    out.reason = sp2 < lineStop ? bytesText(b, sp2 + 1, lineStop) : '';
  }
  let p = eol + 1;
  while (p < end) {
    const e = lineEnd(b, p, end);
    lineStop = e > p && b[e - 1] === CR ? e - 1 : e;
    if (lineStop === p) break; // the blank line
    let colon = p;
    while (colon < lineStop && b[colon] !== COLON) colon++;
    if (colon < lineStop) {
      let v = colon + 1;
      while (v < lineStop && (b[v] === SP || b[v] === 0x09)) v++;
      let ve = lineStop;
      while (ve > v && (b[ve - 1] === SP || b[ve - 1] === 0x09)) ve--;
      header(b, p, colon - p, v, ve, out);
    }
    p = e + 1;
  }
  return true;
}

function header(b: Uint8Array, n: number, nLen: number, v: number, ve: number, out: HttpHead): void {
  switch (nLen) {
    case 4:
      if (out.host === null && nameIs(b, n, nLen, 'host')) out.host = bytesText(b, v, ve);
      return;
    case 10:
      if (out.userAgent === null && nameIs(b, n, nLen, 'user-agent')) out.userAgent = bytesText(b, v, ve);
      return;
    case 12:
      if (out.contentType === null && nameIs(b, n, nLen, 'content-type'))
        out.contentType = bytesText(b, v, ve);
      return;
    case 14:
      if (nameIs(b, n, nLen, 'content-length')) {
        let len = 0;
        for (let i = v; i < ve; i++) {
          const d = b[i]! - 0x30;
          if (d < 0 || d > 9 || len > 1e15) {
            out.contentLength = -2;
            return;
          }
          len = len * 10 + d;
        }
        out.contentLength = ve > v ? len : -2;
      }
      return;
    case 17:
      if (nameIs(b, n, nLen, 'transfer-encoding')) {
        // chunked is the last coding when present (RFC 9112 §6.1)
        out.chunked = ve - v >= 7 && nameIs(b, ve - 7, 7, 'chunked');
      }
      return;
  }
}
