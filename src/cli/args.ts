import { NtaError } from '../core/errors.js';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { RingOptions } from '../capture/ring-writer.js';
import { parseHostPort, type HostPort } from '../core/host-port.js';
import {
  parseSyslogUrl,
  parseWebhookUrl,
  SYSLOG_FACILITIES,
  type SyslogFacility,
  type SyslogTarget,
} from '../core/output-targets.js';
import type { ChartFilter } from '../present/charts/query.js';
import { parseTimeArg } from '../present/charts/time-arg.js';
import { DEFAULT_DB_PATH } from '../store/sqlite/sqlite-store.js';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number (0 or more)');
  return n;
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

/** --eve rotation defaults: a new file every 100 MB, ten old ones kept. */
const DEFAULT_EVE_MAX_MB = 100;
const DEFAULT_EVE_FILES = 10;

/** The flags every packet-reading command shares. */
export interface OutputFlags {
  db: string | false;
  quiet?: boolean;
  count?: number | undefined;
  json?: boolean;
  chart: boolean;
  open?: boolean;
  flows: boolean;
  packets: boolean;
  sensor?: string;
  retention?: number;
  status: boolean;
  detect: boolean;
  homeNet: string[];
  blocklist: string[];
  config?: string;
  eve?: string;
  eveMaxSize: number;
  eveFiles: number;
  webhook: URL[];
  syslog: SyslogTarget[];
  syslogFacility?: SyslogFacility;
  ipfix?: HostPort;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Refuses output flags that contradict each other, before anything is opened or created. */
export function checkOutputFlags(flags: OutputFlags): void {
  if (!flags.packets && !flags.flows && flags.db !== false) {
    throw new NtaError(
      'NTA_ERR_USAGE',
      '--no-packets with --no-flows leaves nothing to store; use --no-db to decode only',
    );
  }
  if (!flags.detect && (flags.webhook.length > 0 || flags.syslog.length > 0))
    throw new NtaError(
      'NTA_ERR_USAGE',
      '--webhook and --syslog send alerts: they cannot be used with --no-detect',
    );
}

export function addOutputOptions(cmd: Command): Command {
  cmd
    .option('--db <path>', 'SQLite database file, or postgres://user@host/db, to log into', DEFAULT_DB_PATH)
    .option('--no-db', 'decode only; store nothing')
    .option('-q, --quiet', 'no line per packet')
    .addOption(new Option('-c, --count <n>', 'stop after n packets').argParser(positiveInt))
    .option('--json', 'print the end summary as one JSON object on stdout (implies -q)')
    .option('--no-flows', 'log packets only: no flow tracking, no flows, dns, tls or http rows')
    .option('--no-packets', 'log flows and metadata only: no row per packet in the traffic table')
    .option('--no-status', 'no live status area on the terminal (shown with -q, or when stdout is not it)')
    .option('--no-chart', 'do not write the protocol chart beside the database at the end')
    .option('--open', "open the chart with the desktop's image viewer");
  return addDetectionOptions(cmd)
    .addOption(
      new Option(
        '--ipfix <host:port>',
        'export every finished flow as IPFIX over UDP to this collector',
      ).argParser(ipfixTarget),
    )
    .option('--sensor <name>', 'PostgreSQL: the sensor name stored with every row (default: the host name)')
    .addOption(retentionOption());
}

/** Detection settings: shared by the packet-reading commands and `serve --capture`. */
export function addDetectionOptions(cmd: Command): Command {
  return cmd
    .option('--no-detect', 'no detection: no alerts')
    .addOption(
      new Option('--home-net <cidr>', 'home network (repeatable; default RFC 1918, ULA, link-local, CGNAT)')
        .argParser(collect)
        .default([]),
    )
    .addOption(
      new Option('--blocklist <file>', 'address/CIDR/domain blocklist file (repeatable)')
        .argParser(collect)
        .default([]),
    )
    .option('--config <file>', 'detection settings (YAML): home networks, thresholds, allowlist, blocklists')
    .option('--eve <file>', 'also write flows, dns, tls, http and alerts to this EVE JSON lines file')
    .addOption(
      new Option('--eve-max-size <MB>', 'with --eve: rotate the file before it grows past this size')
        .argParser(positiveNumber)
        .default(DEFAULT_EVE_MAX_MB),
    )
    .addOption(
      new Option('--eve-files <n>', 'with --eve: rotated files kept (FILE.1 … FILE.n)')
        .argParser(nonNegativeInt)
        .default(DEFAULT_EVE_FILES),
    )
    .addOption(
      new Option('--webhook <url>', 'also POST each alert as EVE JSON to this URL (repeatable)')
        .argParser(collectWebhook)
        .default([]),
    )
    .addOption(
      new Option(
        '--syslog <url>',
        'also send alerts as RFC 5424 syslog to udp://HOST:PORT or tcp://HOST:PORT (repeatable)',
      )
        .argParser(collectSyslog)
        .default([]),
    )
    .addOption(
      new Option('--syslog-facility <name>', 'syslog facility (default local5)').choices(SYSLOG_FACILITIES),
    );
}

/** `--retention`: of read, capture and serve --capture. */
export function retentionOption(): Option {
  return new Option(
    '--retention <days>',
    'keep this many days, e.g. 30d: older rows are deleted at start and each new UTC day (PostgreSQL: daily partitions dropped)',
  ).argParser(retentionDays);
}

/** `30d` (or `30`): days to keep. */
export function retentionDays(value: string): number {
  const m = /^([0-9]+)d?$/.exec(value.trim());
  const n = m === null ? NaN : Number(m[1]);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a number of days, e.g. 30d');
  return n;
}

function collectWebhook(value: string, previous: URL[]): URL[] {
  const url = parseWebhookUrl(value);
  if (url === null) throw new InvalidArgumentError('expected an http:// or https:// URL');
  return [...previous, url];
}

function collectSyslog(value: string, previous: SyslogTarget[]): SyslogTarget[] {
  const target = parseSyslogUrl(value);
  if (target === null) throw new InvalidArgumentError('expected udp://HOST:PORT or tcp://HOST:PORT');
  return [...previous, target];
}

function ipfixTarget(value: string): HostPort {
  const target = parseHostPort(value);
  if (target === null)
    throw new InvalidArgumentError('expected HOST:PORT, such as 127.0.0.1:4739 or [::1]:4739');
  return target;
}

/** `-w FILE` and dumpcap's ring buffer conditions, shared by `read` and `capture`. */
export interface WriteFlags {
  write?: string;
  ringBuffer: RingCondition[];
}

export type RingCondition =
  | { readonly kind: 'filesize'; readonly bytes: number }
  | { readonly kind: 'files'; readonly n: number }
  | { readonly kind: 'duration'; readonly seconds: number };

export function addWriteOptions(cmd: Command): Command {
  return cmd
    .option('-w, --write <file>', 'also write the packets (after -f) to this pcapng file')
    .addOption(
      new Option(
        '-b, --ring-buffer <cond>',
        'with -w: filesize:MB (new file at that size), duration:SECONDS, files:N (keep the newest N); repeatable',
      )
        .argParser(collectRing)
        .default([]),
    );
}

/** The ring options of `-b` conditions, or null for a single file. */
export function ringOptions(conds: readonly RingCondition[]): RingOptions | null {
  if (conds.length === 0) return null;
  let fileBytes: number | undefined;
  let files: number | undefined;
  let durationSeconds: number | undefined;
  for (const c of conds) {
    if (c.kind === 'filesize') fileBytes = c.bytes;
    else if (c.kind === 'files') files = c.n;
    else durationSeconds = c.seconds;
  }
  return { fileBytes, files, durationSeconds };
}

function collectRing(value: string, previous: RingCondition[]): RingCondition[] {
  const m = /^(filesize|files|duration):([0-9]+(?:\.[0-9]+)?)$/.exec(value);
  if (m === null) throw new InvalidArgumentError('expected filesize:MB, files:N or duration:SECONDS');
  const n = Number(m[2]);
  if (!(n > 0)) throw new InvalidArgumentError('expected a positive number');
  if (m[1] === 'files') {
    if (!Number.isInteger(n)) throw new InvalidArgumentError('expected a whole number of files');
    return [...previous, { kind: 'files', n }];
  }
  if (m[1] === 'filesize') return [...previous, { kind: 'filesize', bytes: Math.round(n * 1_000_000) }];
  return [...previous, { kind: 'duration', seconds: n }];
}

/** `--db` and `--sensor` of the commands that read a database: chart, report, alerts, serve. */
export interface ReaderFlags {
  db: string;
  sensor?: string;
}

export function addReaderOptions(
  cmd: Command,
  what = 'to read',
  sensor = "PostgreSQL: only this sensor's rows (default: every sensor's)",
): Command {
  return cmd
    .option('--db <path>', `SQLite database file, or postgres://user@host/db, ${what}`, DEFAULT_DB_PATH)
    .option('--sensor <name>', sensor);
}

/** The database and what part of it to show: shared by `chart` and `report`. */
export interface RangeFlags extends ReaderFlags {
  capture?: number[];
  from?: string;
  to?: string;
}

export function addRangeOptions(cmd: Command): Command {
  return addReaderOptions(cmd)
    .addOption(
      new Option('--capture <id>', 'only these captures (repeat or comma-separate)').argParser(captureIds),
    )
    .option('--from <time>', "packets at or after this time: 'YYYY-MM-DD HH:MM[:SS]' (local) or ISO 8601")
    .option('--to <time>', "packets at or before this time: 'YYYY-MM-DD HH:MM[:SS]' (local) or ISO 8601");
}

export function rangeFilter(flags: RangeFlags): ChartFilter {
  return {
    captureIds: flags.capture,
    from: flags.from === undefined ? undefined : parseTimeArg(flags.from, '--from'),
    to: flags.to === undefined ? undefined : parseTimeArg(flags.to, '--to'),
  };
}

/** `--capture 3 --capture 4` and `--capture 3,4` both collect [3, 4]. */
function captureIds(value: string, previous: number[] | undefined): number[] {
  const ids = value.split(',').map((v) => {
    const n = Number(v.trim());
    if (!Number.isInteger(n) || n <= 0)
      throw new InvalidArgumentError('expected capture ids such as 3 or 3,4');
    return n;
  });
  return [...(previous ?? []), ...ids];
}
