/** Counts and sizes as the console, reports and charts show them. */

let intlFormat: Intl.NumberFormat | undefined;

/**
 * A count with thousands separators, `1,234,567`, as Intl's en-US format writes it. Whole numbers are
 * grouped here: the first Intl.NumberFormat costs 16–29 ms of ICU set-up, paid by every `nta read` for its
 * summary line; other numbers still go through Intl.
 */
export function formatCount(n: number): string {
  if (!Number.isSafeInteger(n)) return (intlFormat ??= new Intl.NumberFormat('en-US')).format(n);
  const digits = String(n < 0 ? -n : n);
  let out = n < 0 ? '-' : '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ',';
    out += digits[i]!;
  }
  return out;
}

/** Bytes with decimal (SI) prefixes and three significant digits: 6.11 MB. */
export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = n;
  let u = 0;
  while (v >= 999.5 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toPrecision(3)} ${units[u]!}`;
}
