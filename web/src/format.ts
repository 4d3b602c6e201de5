/** Numbers and times as the dashboard shows them; times in the browser's own time zone. */
const count = new Intl.NumberFormat();

export function fmtCount(n: number): string {
  return count.format(n);
}

export function fmtBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}

export function fmtRate(n: number, unit: string): string {
  const prefixes = ['', 'k', 'M', 'G'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < prefixes.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v >= 100 || i === 0 ? 0 : 1)} ${prefixes[i]}${unit}`;
}

const dateTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

export function fmtTime(ms: number | null): string {
  return ms === null ? '–' : dateTime.format(new Date(ms));
}

export function fmtDuration(seconds: number): string {
  if (seconds < 1) return `${(seconds * 1000).toFixed(1)} ms`;
  if (seconds < 60) return `${seconds.toFixed(2)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

export const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;
