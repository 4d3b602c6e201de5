import { NtaError } from '../../core/errors.js';

const TIME_ARG =
  /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Reads a `--from`/`--to` time: `YYYY-MM-DD[ HH:MM[:SS[.ffffff]]]` or ISO 8601 (`T` separator). Without a
 * zone it is local time, as the chart axes are; `Z` or `±HH:MM` say otherwise. Returns the time as the
 * database writes it (UTC `YYYY-MM-DD HH:MM:SS.ffffff`), so it compares directly with `traffic.timestamp`.
 */
export function parseTimeArg(text: string, flag: string): string {
  const m = TIME_ARG.exec(text.trim());
  const bad = (): NtaError =>
    new NtaError(
      'NTA_ERR_USAGE',
      `${flag} '${text}': expected a time as YYYY-MM-DD HH:MM[:SS] (local time) or ISO 8601 (e.g. 2024-05-01T12:00:00Z)`,
    );
  if (m === null) throw bad();
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((v) => Number(v ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const micros = (m[7] ?? '').padEnd(6, '0').slice(0, 6);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) throw bad();
  let ms: number;
  const zone = m[8];
  if (zone === undefined) {
    const local = new Date(y, mo - 1, d, h, mi, s);
    if (local.getDate() !== d) throw bad(); // 31 February and friends roll over
    ms = local.getTime();
  } else {
    const check = new Date(Date.UTC(y, mo - 1, d));
    if (check.getUTCDate() !== d) throw bad();
    let offsetMin = 0;
    if (zone.toUpperCase() !== 'Z') {
      const digits = zone.replace(':', '');
      offsetMin =
        (zone.startsWith('-') ? -1 : 1) * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3)));
    }
    ms = Date.UTC(y, mo - 1, d, h, mi, s) - offsetMin * 60_000;
  }
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}.${micros}`;
}
