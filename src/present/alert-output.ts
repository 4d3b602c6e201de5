/**
 * Where alerts go besides the database: a console line per new alert of severity low or above (stderr, so
 * stdout stays the packet lines or JSON), and an EVE-style JSON lines file (Suricata's eve.json shape,
 * event_type "alert"): one line when an alert is raised, and one more at the end for each alert that merged
 * duplicates since.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { NtaError } from '../core/errors.js';
import { TimestampFormatter } from '../core/time.js';
import type { Alert } from '../detect/suppress.js';
import type { AlertRow, AllowRow } from '../store/query/alerts.js';

const time = new TimestampFormatter();

/** Packet time (seconds) as `traffic.timestamp` text. */
export function alertTime(sec: number): string {
  const s = Math.floor(sec);
  return time.format(s, Math.round((sec - s) * 1e6) * 1000);
}

/** ISO 8601 with microseconds and +0000, as Suricata writes EVE timestamps. */
const eveTime = (sec: number): string => `${alertTime(sec).replace(' ', 'T')}+0000`;

/** Suricata's severities: 1 is the most severe. */
const EVE_SEVERITY: Record<string, number> = { high: 1, medium: 2, low: 3, info: 4 };

export function formatAlertLine(a: Alert): string {
  const target = a.dst === null ? '' : ` -> ${a.dst}${a.dstPort === null ? '' : `:${a.dstPort}`}`;
  const kind = a.variant === null ? a.type : `${a.type}/${a.variant}`;
  return `${alertTime(a.first)} ALERT [${a.severity}] ${kind} ${a.src}${target}: ${a.message} (${a.id})`;
}

export function eveRecord(a: Alert): Record<string, unknown> {
  return {
    timestamp: eveTime(a.last),
    event_type: 'alert',
    src_ip: a.src,
    ...(a.dst === null ? {} : { dest_ip: a.dst }),
    ...(a.dstPort === null ? {} : { dest_port: a.dstPort }),
    alert: {
      action: 'allowed',
      signature: a.message,
      category: a.type,
      severity: EVE_SEVERITY[a.severity] ?? 3,
      ...(a.mitre === null ? {} : { metadata: { mitre_technique_id: [a.mitre] } }),
    },
    nta: {
      id: a.id,
      type: a.type,
      variant: a.variant,
      severity: a.severity,
      first_seen: eveTime(a.first),
      last_seen: eveTime(a.last),
      count: a.count,
      evidence: a.evidence,
    },
  };
}

export class AlertOutputs {
  readonly #console: boolean;
  readonly #eveFd: number | null;
  readonly #written = new Map<string, number>();
  readonly #latest = new Map<string, Alert>();

  constructor(opts: { console: boolean; evePath?: string | undefined }) {
    this.#console = opts.console;
    if (opts.evePath === undefined) {
      this.#eveFd = null;
    } else {
      try {
        this.#eveFd = openSync(opts.evePath, 'a');
      } catch (err) {
        throw new NtaError('NTA_ERR_IO', `--eve ${opts.evePath}: ${(err as Error).message}`, { cause: err });
      }
    }
  }

  /** Where console lines go: stderr, or above the live status area when there is one. */
  consoleWrite: (text: string) => void = (text) => {
    process.stderr.write(text);
  };

  alert(a: Alert, isNew: boolean): void {
    // Informational alerts (every outside address, every new device) would drown the console: they go
    // to the table and the EVE file only.
    if (isNew && this.#console && a.severity !== 'info') this.consoleWrite(formatAlertLine(a) + '\n');
    if (this.#eveFd === null) return;
    if (isNew) {
      writeSync(this.#eveFd, JSON.stringify(eveRecord(a)) + '\n');
      this.#written.set(a.id, a.count);
    } else {
      this.#latest.set(a.id, a);
    }
  }

  close(): void {
    if (this.#eveFd === null) return;
    for (const a of this.#latest.values())
      if (this.#written.get(a.id) !== a.count) writeSync(this.#eveFd, JSON.stringify(eveRecord(a)) + '\n');
    this.#latest.clear();
    closeSync(this.#eveFd);
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
