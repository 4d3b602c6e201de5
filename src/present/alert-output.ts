/**
 * Where alerts go besides the database: a console line per new alert of severity low or above (stderr, so
 * stdout stays the packet lines or JSON), and the EVE file of `--eve` (event_type "alert"): one record when
 * an alert is raised, and one more at the end for each alert that merged duplicates since.
 */
import { TimestampFormatter } from '../core/time.js';
import type { Alert } from '../detect/suppress.js';
import type { AlertLog } from '../schema/alert.js';
import type { AlertRow, AllowRow } from '../store/sqlite/alerts-query.js';

const time = new TimestampFormatter();

/** Packet time (seconds) as `traffic.timestamp` text. */
export function alertTime(sec: number): string {
  const s = Math.floor(sec);
  return time.format(s, Math.round((sec - s) * 1e6) * 1000);
}

export function formatAlertLine(a: Alert): string {
  const target = a.dst === null ? '' : ` -> ${a.dst}${a.dstPort === null ? '' : `:${a.dstPort}`}`;
  const kind = a.variant === null ? a.type : `${a.type}/${a.variant}`;
  return `${alertTime(a.first)} ALERT [${a.severity}] ${kind} ${a.src}${target}: ${a.message} (${a.id})`;
}

export class AlertOutputs {
  readonly #console: boolean;
  readonly #toLog: (a: Alert) => AlertLog;
  readonly #written = new Map<string, number>();
  readonly #latest = new Map<string, Alert>();

  /** `toLog` is detect's toAlertLog, handed in so that this module loads no detection code at start-up. */
  constructor(opts: { console: boolean; toLog: (a: Alert) => AlertLog }) {
    this.#console = opts.console;
    this.#toLog = opts.toLog;
  }

  /** Where console lines go: stderr, or above the live status area when there is one. */
  consoleWrite: (text: string) => void = (text) => {
    process.stderr.write(text);
  };

  /** The EVE file's alert sink (--eve), set before the run. */
  eve: ((log: AlertLog) => void) | undefined = undefined;

  alert(a: Alert, isNew: boolean): void {
    // Informational alerts (every outside address, every new device) would drown the console: they go
    // to the table and the EVE file only.
    if (isNew && this.#console && a.severity !== 'info') this.consoleWrite(formatAlertLine(a) + '\n');
    if (this.eve === undefined) return;
    if (isNew) {
      this.eve(this.#toLog(a));
      this.#written.set(a.id, a.count);
    } else {
      this.#latest.set(a.id, a);
    }
  }

  /** Hands the EVE file the last state of alerts merged since they were raised; a second call does nothing. */
  close(): void {
    const eve = this.eve;
    if (eve !== undefined)
      for (const a of this.#latest.values()) if (this.#written.get(a.id) !== a.count) eve(this.#toLog(a));
    this.#latest.clear();
    this.eve = undefined;
  }
}

/** The end-of-run summary line about alerts: how many of each type were raised (none with --no-detect). */
export function formatAlertCounts(alerts: Record<string, number> | null): string {
  if (alerts === null) return '';
  const entries = Object.entries(alerts);
  const total = entries.reduce((n, [, c]) => n + c, 0);
  if (total === 0) return 'Alerts: none\n';
  return `Alerts: ${total} (${entries.map(([t, c]) => `${t} ${c}`).join(', ')})\n`;
}

/** One stored alert as a console line (`nta alerts`). */
export function formatAlertRow(r: AlertRow): string {
  const target = r.dst_ip === null ? '' : ` -> ${r.dst_ip}${r.dst_port === null ? '' : `:${r.dst_port}`}`;
  const kind = r.variant === null ? r.type : `${r.type}/${r.variant}`;
  const times = r.first_seen === r.last_seen ? r.first_seen : `${r.first_seen} .. ${r.last_seen}`;
  return `${r.id} ${times} [${r.severity}] ${kind} ${r.src_ip}${target} x${r.count}: ${r.message}`;
}

export function formatAllowRow(r: AllowRow): string {
  const parts = [
    r.type === null ? null : `type=${r.type}`,
    r.src === null ? null : `src=${r.src}`,
    r.dst === null ? null : `dst=${r.dst}`,
    r.port === null ? null : `port=${r.port}`,
    r.domain === null ? null : `domain=${r.domain}`,
  ].filter((p) => p !== null);
  return `#${r.id} ${parts.join(' ')} "${r.comment}"${r.alert_id === null ? '' : ` (from ${r.alert_id})`}`;
}
