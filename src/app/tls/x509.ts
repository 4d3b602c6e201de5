/**
 * A minimal DER walk over an X.509 certificate (RFC 5280 §4.1): the subject and issuer names and the
 * validity period of tbsCertificate, nothing else. Pure and synchronous; never throws; every length is
 * checked against its enclosing one and nesting is fixed by the structure walked, so it always ends.
 */
/** Attribute values kept per name and characters per value: real names have a handful of short ones. */
const MAX_NAME_ATTRIBUTES = 32;
const MAX_VALUE_BYTES = 1024;

const Tag = {
  Integer: 0x02,
  Oid: 0x06,
  Utf8String: 0x0c,
  PrintableString: 0x13,
  TeletexString: 0x14,
  Ia5String: 0x16,
  UtcTime: 0x17,
  GeneralizedTime: 0x18,
  UniversalString: 0x1c,
  BmpString: 0x1e,
  Sequence: 0x30,
  Set: 0x31,
  Version: 0xa0,
} as const;

/** Short names OpenSSL prints for the attribute types (its `SN_*`), which Zeek's subject and issuer use. */
const ATTRIBUTE_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.15': 'businessCategory',
  '2.5.4.17': 'postalCode',
  '2.5.4.42': 'GN',
  '2.5.4.43': 'initials',
  '2.5.4.46': 'dnQualifier',
  '2.5.4.65': 'pseudonym',
  '2.5.4.97': 'organizationIdentifier',
  '2.5.29.17': 'subjectAltName', // misplaced in a name by some self-made certificates
  '1.2.840.113549.1.9.1': 'emailAddress',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.3.6.1.4.1.311.60.2.1.1': 'jurisdictionL',
  '1.3.6.1.4.1.311.60.2.1.2': 'jurisdictionST',
  '1.3.6.1.4.1.311.60.2.1.3': 'jurisdictionC',
};

export class CertificateInfo {
  subject: string | null = null;
  issuer: string | null = null;
  /** Validity bounds in microseconds since the epoch; null when absent or not a valid time. */
  notBefore: number | null = null;
  notAfter: number | null = null;

  reset(): void {
    this.subject = this.issuer = null;
    this.notBefore = this.notAfter = null;
  }
}

/** One TLV read by `tlv`: its tag and value bounds. Reused: one walk at a time. */
const t = { tag: 0, val: 0, end: 0 };

/** The tag `tlv` read last (a call, so TypeScript does not keep a narrowing across reads). */
const tagIs = (tag: number): boolean => t.tag === tag;

/** Reads the TLV at `p` (within `end`) into `t`; the offset after it, or -1 when it overruns or is not DER. */
function tlv(b: Uint8Array, p: number, end: number): number {
  if (p + 2 > end) return -1;
  t.tag = b[p]!;
  if ((t.tag & 0x1f) === 0x1f) return -1; // multi-byte tags: none in the fields walked
  let len = b[p + 1]!;
  let q = p + 2;
  if (len >= 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3 || q + n > end) return -1; // indefinite, or ≥ 16 MiB: not a certificate field
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[q + i]!;
    q += n;
  }
  if (q + len > end) return -1;
  t.val = q;
  t.end = q + len;
  return t.end;
}

/** Dotted text of the OID value [off, end); null when malformed or too long for an attribute type. */
function oidText(b: Uint8Array, off: number, end: number): string | null {
  if (off >= end || end - off > 32) return null;
  const parts: number[] = [];
  let v = 0;
  for (let p = off; p < end; p++) {
    v = v * 128 + (b[p]! & 0x7f);
    if ((b[p]! & 0x80) !== 0) continue;
    if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
    else parts.push(v);
    v = 0;
  }
  return (b[end - 1]! & 0x80) === 0 ? parts.join('.') : null;
}

const hex2 = (v: number): string => (v < 16 ? '0' : '') + v.toString(16).toUpperCase();

/** RFC 2253 §2.4 escaping, as OpenSSL's XN_FLAG_RFC2253 prints it: specials with '\', bytes ≥ 0x80 and
 * control characters as \XX of their UTF-8 encoding. */
function escapeValue(bytes: readonly number[]): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c < 0x20 || c >= 0x7f) s += '\\' + hex2(c);
    else if (
      c === 0x2c ||
      c === 0x2b ||
      c === 0x22 ||
      c === 0x5c ||
      c === 0x3c ||
      c === 0x3e ||
      c === 0x3b ||
      ((c === 0x23 || c === 0x20) && i === 0) ||
      (c === 0x20 && i === bytes.length - 1)
    )
      s += '\\' + String.fromCharCode(c);
    else s += String.fromCharCode(c);
  }
  return s;
}

/** Pushes the UTF-8 bytes of code point `cp` onto `out`. */
function utf8(cp: number, out: number[]): void {
  if (cp < 0x80) out.push(cp);
  else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
  else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
}

/** An attribute value as printed text; null for a type that is not a string (printed as #hex by the caller). */
function valueText(b: Uint8Array, tag: number, off: number, end: number): string | null {
  const bytes: number[] = [];
  const stop = Math.min(end, off + MAX_VALUE_BYTES);
  switch (tag) {
    case Tag.Utf8String:
    case Tag.PrintableString:
    case Tag.Ia5String:
      for (let p = off; p < stop; p++) bytes.push(b[p]!);
      break;
    case Tag.TeletexString: // Latin-1, as OpenSSL converts it
      for (let p = off; p < stop; p++) utf8(b[p]!, bytes);
      break;
    case Tag.BmpString:
      for (let p = off; p + 1 < stop; p += 2) utf8((b[p]! << 8) | b[p + 1]!, bytes);
      break;
    case Tag.UniversalString:
      for (let p = off; p + 3 < stop; p += 4)
        utf8((((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0) % 0x110000, bytes);
      break;
    default:
      return null;
  }
  return escapeValue(bytes);
}

/**
 * A Name (SEQUENCE OF RDN, each a SET OF type-and-value) as Zeek logs it through OpenSSL's
 * XN_FLAG_RFC2253: last RDN first, RDNs joined with ',', the values of one RDN with '+'. Unknown types
 * print as their dotted OID, non-string values as '#' and the hex of their DER. Null when malformed.
 */
function nameText(b: Uint8Array, off: number, end: number): string | null {
  const rdns: string[] = [];
  let attributes = 0;
  for (let p = off; p < end;) {
    const next = tlv(b, p, end);
    if (next < 0 || !tagIs(Tag.Set)) return null;
    const setEnd = t.end;
    const values: string[] = [];
    for (let q = t.val; q < setEnd;) {
      const after = tlv(b, q, setEnd);
      if (after < 0 || !tagIs(Tag.Sequence)) return null;
      const seqEnd = t.end;
      const valueAt = tlv(b, t.val, seqEnd);
      if (valueAt < 0 || !tagIs(Tag.Oid)) return null;
      const oid = oidText(b, t.val, t.end);
      if (oid === null || tlv(b, valueAt, seqEnd) < 0) return null;
      if (++attributes <= MAX_NAME_ATTRIBUTES) {
        const text = valueText(b, t.tag, t.val, t.end);
        let hex = '#';
        if (text === null) for (let i = valueAt; i < t.end; i++) hex += hex2(b[i]!);
        values.push(`${ATTRIBUTE_NAMES[oid] ?? oid}=${text ?? hex}`);
      }
      q = after;
    }
    if (values.length > 0) rdns.push(values.join('+'));
    p = next;
  }
  return rdns.reverse().join(',');
}

/** Digits [p, p + n) as a number; -1 when one is not a digit. */
function digits(b: Uint8Array, p: number, n: number): number {
  let v = 0;
  for (let i = p; i < p + n; i++) {
    const d = b[i]! - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** UTCTime (YYMMDDHHMMSSZ, years 50–99 being 19xx) or GeneralizedTime (YYYYMMDDHHMMSSZ) in µs; null if not. */
function timeMicros(b: Uint8Array, tag: number, off: number, end: number): number | null {
  const yearDigits = tag === Tag.UtcTime ? 2 : tag === Tag.GeneralizedTime ? 4 : 0;
  if (yearDigits === 0 || end - off < yearDigits + 10 || b[end - 1] !== 0x5a) return null; // 'Z'
  let year = digits(b, off, yearDigits);
  if (yearDigits === 2 && year >= 0) year += year >= 50 ? 1900 : 2000;
  const p = off + yearDigits;
  const month = digits(b, p, 2);
  const day = digits(b, p + 2, 2);
  const hour = digits(b, p + 4, 2);
  const minute = digits(b, p + 6, 2);
  const second = digits(b, p + 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    return null;
  if (hour < 0 || minute < 0 || second < 0) return null;
  return Date.UTC(year, month - 1, day, hour, minute, second) * 1000;
}

/** Walks the certificate [off, end) into `out`; false when its structure is not a certificate's. */
export function parseCertificate(b: Uint8Array, off: number, end: number, out: CertificateInfo): boolean {
  out.reset();
  if (tlv(b, off, end) < 0 || !tagIs(Tag.Sequence)) return false;
  const certEnd = t.end;
  if (tlv(b, t.val, certEnd) < 0 || !tagIs(Tag.Sequence)) return false;
  const tbsEnd = t.end;
  let next = tlv(b, t.val, tbsEnd);
  if (next >= 0 && tagIs(Tag.Version)) next = tlv(b, next, tbsEnd);
  if (next < 0 || !tagIs(Tag.Integer)) return false; // serialNumber
  next = tlv(b, next, tbsEnd);
  if (next < 0 || !tagIs(Tag.Sequence)) return false; // signature algorithm
  next = tlv(b, next, tbsEnd);
  if (next < 0 || !tagIs(Tag.Sequence)) return false;
  out.issuer = nameText(b, t.val, t.end);
  next = tlv(b, next, tbsEnd);
  if (next < 0 || !tagIs(Tag.Sequence)) return false;
  const validityEnd = t.end;
  const afterAt = tlv(b, t.val, validityEnd);
  if (afterAt < 0) return false;
  out.notBefore = timeMicros(b, t.tag, t.val, t.end);
  if (tlv(b, afterAt, validityEnd) < 0) return false;
  out.notAfter = timeMicros(b, t.tag, t.val, t.end);
  if (tlv(b, next, tbsEnd) < 0 || !tagIs(Tag.Sequence)) return false;
  out.subject = nameText(b, t.val, t.end);
  return out.subject !== null && out.issuer !== null;
}
