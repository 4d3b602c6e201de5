/**
 * Where alerts go besides the database: a console line per new alert of severity low or above (stderr, so
 * stdout stays the packet lines or JSON), the EVE file of `--eve` (event_type "alert"), webhooks (each EVE
 * alert record POSTed) and syslog receivers (RFC 5424). The file, the webhooks and syslog get one message
 * when an alert is raised, and one more at the end for each alert that merged duplicates since. Webhooks and
 * syslog go through delivery queues: raising an alert never waits.
 */
import { TimestampFormatter } from '../core/time.js';
import type { Alert } from '../detect/suppress.js';
import type { AlertLog } from '../schema/alert.js';
import type { AllowlistRow } from '../schema/allowlist.js';
import type { AlertRow } from '../store/query/alerts.js';
import type { SyslogTarget } from '../core/output-targets.js';
import { DeliveryQueue, type DeliveryQueueOptions, type DeliveryStats } from './delivery-queue.js';
import { syslogMessage, type SyslogHeader } from './syslog-message.js';
import { syslogTransport } from './syslog-transport.js';
import { webhookTransport } from './webhook-transport.js';

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

export interface AlertOutputOptions {
  readonly console: boolean;
  /** detect's toAlertLog, handed in so that this module loads no detection code at start-up. */
  readonly toLog: (a: Alert) => AlertLog;
  /** The EVE alert record as JSON text (webhook bodies); handed in for the same reason. */
  readonly eveJson?: ((log: AlertLog) => string) | undefined;
  readonly webhooks?: readonly URL[];
  readonly syslog?: readonly SyslogTarget[];
  readonly syslogHeader?: SyslogHeader;
  /** Queue settings (tests shorten them); `warn` receives delivery trouble as one line. */
  readonly delivery?: DeliveryQueueOptions;
}

interface Delivery {
  readonly queue: DeliveryQueue;
  readonly format: (a: Alert) => string;
}

export class AlertOutputs {
  readonly #console: boolean;
  readonly #toLog: (a: Alert) => AlertLog;
  readonly #deliveries: Delivery[] = [];
  readonly #written = new Map<string, number>();
  readonly #latest = new Map<string, Alert>();

  constructor(opts: AlertOutputOptions) {
    this.#console = opts.console;
    this.#toLog = opts.toLog;
    const queueOpts: DeliveryQueueOptions = {
      warn: (line) => this.consoleWrite(`nta: warning: ${line}\n`),
      ...opts.delivery,
    };
    const eveJson = opts.eveJson ?? ((log: AlertLog) => JSON.stringify(log));
    for (const url of opts.webhooks ?? [])
      this.#deliveries.push({
        queue: new DeliveryQueue('webhook', webhookTransport(url), queueOpts),
        format: (a) => eveJson(this.#toLog(a)),
      });
    const header = opts.syslogHeader ?? { facility: 'local5', appName: 'nta' };
    for (const target of opts.syslog ?? [])
      this.#deliveries.push({
        queue: new DeliveryQueue('syslog', syslogTransport(target), queueOpts),
        format: (a) => syslogMessage(a, header),
      });
  }

  /** Where console lines go: stderr, or above the live status area when there is one. */
  consoleWrite: (text: string) => void = (text) => {
    process.stderr.write(text);
  };

  /** The EVE file's alert sink (--eve), set before the run. */
  eve: ((log: AlertLog) => void) | undefined = undefined;

  get #keepsUpdates(): boolean {
    return this.eve !== undefined || this.#deliveries.length > 0;
  }

  alert(a: Alert, isNew: boolean): void {
    // Informational alerts (every outside address, every new device) would drown the console: they go
    // to the table, the EVE file, webhooks and syslog only.
    if (isNew && this.#console && a.severity !== 'info') this.consoleWrite(formatAlertLine(a) + '\n');
    if (!this.#keepsUpdates) return;
    if (isNew) {
      this.#emit(a);
      this.#written.set(a.id, a.count);
    } else {
      this.#latest.set(a.id, a);
    }
  }

  #emit(a: Alert): void {
    this.eve?.(this.#toLog(a));
    for (const d of this.#deliveries) d.queue.push(d.format(a));
  }

  /**
   * Hands on the final state of alerts merged since they were raised, then waits (up to `drainMs`) for the
   * webhooks and syslog receivers to take what is queued; returns what each one delivered. A second call
   * sends nothing more.
   */
  async close(drainMs?: number): Promise<DeliveryStats[]> {
    for (const a of this.#latest.values()) if (this.#written.get(a.id) !== a.count) this.#emit(a);
    this.#latest.clear();
    this.eve = undefined;
    return Promise.all(this.#deliveries.map((d) => d.queue.close(drainMs)));
  }
}

/** The end-of-run summary lines of webhooks and syslog receivers. */
export function formatDeliveryStats(stats: readonly DeliveryStats[]): string {
  return stats
    .map(
      (s) => `Alerts to ${s.output} ${s.target}: ${s.sent} sent, ${s.failed} failed, ${s.dropped} dropped\n`,
    )
    .join('');
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

export function formatAllowRow(r: AllowlistRow): string {
  const parts = [
    r.type === null ? null : `type=${r.type}`,
    r.src === null ? null : `src=${r.src}`,
    r.dst === null ? null : `dst=${r.dst}`,
    r.port === null ? null : `port=${r.port}`,
    r.domain === null ? null : `domain=${r.domain}`,
  ].filter((p) => p !== null);
  return `#${r.id} ${parts.join(' ')} "${r.comment}"${r.alert_id === null ? '' : ` (from ${r.alert_id})`}`;
}
