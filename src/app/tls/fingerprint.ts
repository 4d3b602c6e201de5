/**
 * Client fingerprints of a ClientHello: JA4 (FoxIO's specification, BSD-licensed; JA4 only, not JA4S/JA4H
 * or the rest of JA4+) and JA3 (Salesforce's, for compatibility with older tooling). Computed once per
 * handshake, never per packet.
 */
import { createHash } from 'node:crypto';
import { isGrease, TlsExtension, type ClientHello } from './parser.js';

const JA4_VERSION: Record<number, string> = {
  0x0304: '13',
  0x0303: '12',
  0x0302: '11',
  0x0301: '10',
  0x0300: 's3',
  0x0002: 's2',
  0xfeff: 'd1',
  0xfefd: 'd2',
  0xfefc: 'd3',
};

const hex4 = (v: number): string => v.toString(16).padStart(4, '0');
const count2 = (n: number): string => String(Math.min(n, 99)).padStart(2, '0');
const sha12 = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 12);
const isAlnum = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

/** The highest non-GREASE supported_versions entry, else the legacy version. */
export function offeredVersion(h: ClientHello): number {
  let v = 0;
  for (const x of h.versions) if (!isGrease(x) && x > v && x < 0x7f00) v = x;
  return v !== 0 ? v : h.version;
}

/** JA4 for a ClientHello seen over TCP: `t<ver><d|i><ciphers><exts><alpn>_<hash>_<hash>`. */
export function ja4(h: ClientHello): string {
  const ciphers = h.ciphers.filter((c) => !isGrease(c));
  const exts = h.extensions.filter((e) => !isGrease(e));
  let alpn = '00';
  const first = h.alpnFirst;
  if (first !== null && first.length > 0) {
    const a = first[0]!;
    const z = first[first.length - 1]!;
    if (isAlnum(a) && isAlnum(z)) alpn = String.fromCharCode(a, z);
    else alpn = a.toString(16).padStart(2, '0')[0]! + z.toString(16).padStart(2, '0')[1]!;
  }
  const head =
    't' +
    (JA4_VERSION[offeredVersion(h)] ?? '00') +
    (h.hasSni ? 'd' : 'i') +
    count2(ciphers.length) +
    count2(exts.length) +
    alpn;
  const b = ciphers.length === 0 ? '000000000000' : sha12(ciphers.map(hex4).sort().join(','));
  const hashed = exts.filter((e) => e !== TlsExtension.ServerName && e !== TlsExtension.Alpn);
  const sigs = h.sigAlgs.filter((s) => !isGrease(s));
  let c = '000000000000';
  if (hashed.length > 0) {
    let text = hashed.map(hex4).sort().join(',');
    if (sigs.length > 0) text += '_' + sigs.map(hex4).join(',');
    c = sha12(text);
  }
  return `${head}_${b}_${c}`;
}

/** JA3: MD5 of `version,ciphers,extensions,groups,point formats` (decimal, '-'-joined, GREASE removed). */
export function ja3(h: ClientHello): string {
  const list = (xs: readonly number[]): string => xs.filter((x) => !isGrease(x)).join('-');
  const text = `${h.version},${list(h.ciphers)},${list(h.extensions)},${list(h.groups)},${h.pointFormats.join('-')}`;
  return createHash('md5').update(text).digest('hex');
}
