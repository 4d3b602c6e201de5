import { type Command, InvalidArgumentError, Option } from 'commander';
import { NtaError } from '../../core/errors.js';
import { writeAlertEvidence } from '../../pipeline.js';
import { formatAlertRow, formatAllowRow } from '../../present/alert-output.js';
import { ALERT_TYPES } from '../../schema/alert.js';
import { listAlerts, listAllowlist, muteAlert, removeAllowEntry } from '../../store/sqlite/alerts-query.js';
import { DEFAULT_DB_PATH } from '../../store/sqlite/sqlite-store.js';
import { positiveInt } from '../args.js';
import { stdoutWriter } from '../stdout.js';
import { NTA_VERSION } from '../version.js';

interface AlertsFlags {
  db: string;
  type?: string;
  json?: boolean;
  pcap?: string;
  write?: string;
}

/** Subcommands take `--db` from `nta alerts` (given before or after the subcommand). */
const dbOf = (cmd: Command): string => (cmd.optsWithGlobals() as { db: string }).db;

export function registerAlerts(program: Command): void {
  const alerts = program
    .command('alerts')
    .description('list the alerts in a database; mute one, list and remove allowlist entries')
    .option('--db <path>', 'SQLite database to read', DEFAULT_DB_PATH)
    .addOption(new Option('-t, --type <type>', 'only alerts of this type').choices(ALERT_TYPES))
    .option('--json', 'one JSON object per alert (JSON lines)')
    .option('--pcap <id>', "write this alert's evidence packets to the -w file instead of listing")
    .option('-w, --write <file>', 'pcapng file for --pcap (Wireshark, tshark and tcpdump open it)')
    .action(async (flags: AlertsFlags) => {
      if (flags.pcap !== undefined || flags.write !== undefined) {
        if (flags.pcap === undefined || flags.write === undefined)
          throw new NtaError('NTA_ERR_USAGE', '--pcap ID and -w FILE go together');
        const r = await writeAlertEvidence(flags.db, flags.pcap, flags.write, {
          application: `nta ${NTA_VERSION}`,
        });
        process.stderr.write(
          `${r.frames} frame${r.frames === 1 ? '' : 's'} of alert ${flags.pcap} written to ${flags.write} (from ${r.files.join(', ')})\n`,
        );
        return;
      }
      const out = stdoutWriter();
      const rows = listAlerts(flags.db, { type: flags.type });
      const text =
        flags.json === true
          ? rows.map((r) => JSON.stringify({ ...r, evidence: JSON.parse(r.evidence) as unknown })).join('\n')
          : rows.map(formatAlertRow).join('\n');
      if (text !== '') await out.write(text + '\n');
      if (flags.json !== true) process.stderr.write(`${rows.length} alert${rows.length === 1 ? '' : 's'}\n`);
    });
  alerts
    .command('mute')
    .description('turn an alert into an allowlist entry (its type, source, destination and port)')
    .argument('<id>', 'alert id, as listed by `nta alerts`')
    .requiredOption('--comment <text>', 'why this is accepted (kept with the entry)')
    .action((id: string, flags: { comment: string }, cmd: Command) => {
      const entry = muteAlert(dbOf(cmd), id, flags.comment);
      process.stdout.write(`muted: ${formatAllowRow(entry)}\n`);
    });
  alerts
    .command('allowlist')
    .description('list the allowlist entries kept in the database')
    .action((_flags: unknown, cmd: Command) => {
      for (const r of listAllowlist(dbOf(cmd))) process.stdout.write(formatAllowRow(r) + '\n');
    });
  alerts
    .command('unmute')
    .description('remove an allowlist entry')
    .argument('<entry>', 'allowlist entry number, as listed by `nta alerts allowlist`', (v: string) => {
      try {
        return positiveInt(v);
      } catch {
        throw new InvalidArgumentError('expected an allowlist entry number');
      }
    })
    .action((entry: number, _flags: unknown, cmd: Command) => {
      removeAllowEntry(dbOf(cmd), entry);
      process.stdout.write(`removed allowlist entry ${entry}\n`);
    });
}
