/**
 * Packet time is kept as whole seconds plus nanoseconds, never as one float: a float loses the nanoseconds of
 * current epoch times. Text output follows the seed tool's `traffic.timestamp`: UTC `YYYY-MM-DD HH:MM:SS.ffffff`.
 */

const TWO_POW_16 = 65536;

/**
 * Splits a 64-bit pcapng timestamp (`hi`, `lo` as unsigned 32-bit halves) counted in units of 1/`unitsPerSec`
 * into seconds and the remaining units, exactly. Plain `hi * 2**32 + lo` exceeds 2**53 for nanosecond times.
 * Exact for unitsPerSec up to about 1e11; finer resolutions fall back to BigInt (rare: no capture tool
 * writes them).
 */
export function splitTimestamp(
  hi: number,
  lo: number,
  unitsPerSec: number,
  out: { sec: number; frac: number },
): void {
  if (unitsPerSec <= 1e11) {
    const t = hi * TWO_POW_16;
    const q1 = Math.floor(t / unitsPerSec);
    const r1 = t - q1 * unitsPerSec;
    const rest = r1 * TWO_POW_16 + lo;
    const q2 = Math.floor(rest / unitsPerSec);
    out.sec = q1 * TWO_POW_16 + q2;
    out.frac = rest - q2 * unitsPerSec;
    return;
  }
  const v = (BigInt(hi) << 32n) | BigInt(lo);
  const r = BigInt(unitsPerSec);
  out.sec = Number(v / r);
  out.frac = Number(v % r);
}

/** Converts a fraction of a second counted in 1/unitsPerSec units to nanoseconds (truncating). */
export function fracToNanos(frac: number, unitsPerSec: number): number {
  if (unitsPerSec === 1e9) return frac;
  if (unitsPerSec === 1e6) return frac * 1000;
  return Math.floor((frac * 1e9) / unitsPerSec);
}

const pad2 = (n: number): string => (n < 10 ? '0' : '') + n;
/** '000'…'999': microseconds become two table loads instead of a number-to-string and a pad. */
const DIGITS3: readonly string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/**
 * Formats packet times as `YYYY-MM-DD HH:MM:SS.ffffff` (UTC, microseconds truncated as tcpdump does).
 * Consecutive packets share their second, so the date part is built once per second and reused.
 */
export class TimestampFormatter {
  #cachedSec = Number.NaN;
  #cachedPrefix = '';

  format(sec: number, nsec: number): string {
    if (sec !== this.#cachedSec) {
      this.#cachedSec = sec;
      this.#cachedPrefix = formatSecond(sec);
    }
    const micros = Math.floor(nsec / 1000);
    const millis = Math.floor(micros / 1000);
    return this.#cachedPrefix + '.' + DIGITS3[millis]! + DIGITS3[micros - millis * 1000]!;
  }
}

function formatSecond(sec: number): string {
  const d = new Date(sec * 1000);
  const year = d.getUTCFullYear();
  const y = year >= 0 && year < 10000 ? String(year).padStart(4, '0') : String(year);
  return `${y}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(
    d.getUTCMinutes(),
  )}:${pad2(d.getUTCSeconds())}`;
}
