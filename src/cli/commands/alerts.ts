import { type Command, InvalidArgumentError, Option } from 'commander';
import { NtaError } from '../../core/errors.js';
import { writeAlertEvidence } from '../../pipeline.js';
import { formatAlertRow, formatAllowRow } from '../../present/alert-output.js';
import { ALERT_TYPES } from '../../schema/alert.js';
import { listAlerts, listAllowlist, muteAlert, removeAllowEntry } from '../../store/query/alerts.js';
import { openQueryDb, type QueryDb } from '../../store/query/query-db.js';
import { addReaderOptions, positiveInt, type ReaderFlags } from '../args.js';
import { stdoutWriter } from '../stdout.js';
import { NTA_VERSION } from '../version.js';

interface AlertsFlags extends ReaderFlags {
  type?: string;
  json?: boolean;
  pcap?: string;
  write?: string;
}

/**
 * Runs `work` on the database of `--db`/`--sensor`, which subcommands take from `nta alerts` (given before
 * or after the subcommand).
 */
async function withDb<T>(cmd: Command, writable: boolean, work: (db: QueryDb) => Promise<T>): Promise<T> {
  const flags = cmd.optsWithGlobals() as ReaderFlags;
  const db = await openQueryDb(flags.db, { sensor: flags.sensor, writable });
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

export function registerAlerts(program: Command): void {
  const alerts = program
    .command('alerts')
    .description('list the alerts in a database; mute one, list and remove allowlist entries');
  addReaderOptions(alerts)
    .addOption(new Option('-t, --type <type>', 'only alerts of this type').choices(ALERT_TYPES))
    .option('--json', 'one JSON object per alert (JSON lines)')
    .option('--pcap <id>', "write this alert's evidence packets to the -w file instead of listing")
    .option('-w, --write <file>', 'pcapng file for --pcap (Wireshark, tshark and tcpdump open it)')
    .action(async (flags: AlertsFlags, cmd: Command) => {
      if (flags.pcap !== undefined || flags.write !== undefined) {
        const { pcap, write } = flags;
        if (pcap === undefined || write === undefined)
          throw new NtaError('NTA_ERR_USAGE', '--pcap ID and -w FILE go together');
        const r = await withDb(cmd, false, (db) =>
          writeAlertEvidence(db, pcap, write, { application: `nta ${NTA_VERSION}` }),
        );
        process.stderr.write(
          `${r.frames} frame${r.frames === 1 ? '' : 's'} of alert ${pcap} written to ${write} (from ${r.files.join(', ')})\n`,
        );
        return;
      }
      const out = stdoutWriter();
      const rows = await withDb(cmd, false, (db) => listAlerts(db, { type: flags.type }));
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
    .action(async (id: string, flags: { comment: string }, cmd: Command) => {
      const entry = await withDb(cmd, true, (db) => muteAlert(db, id, flags.comment));
      process.stdout.write(`muted: ${formatAllowRow(entry)}\n`);
    });
  alerts
    .command('allowlist')
    .description('list the allowlist entries kept in the database')
    .action(async (_flags: unknown, cmd: Command) => {
      for (const r of await withDb(cmd, false, listAllowlist)) process.stdout.write(formatAllowRow(r) + '\n');
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
    .action(async (entry: number, _flags: unknown, cmd: Command) => {
      await withDb(cmd, true, (db) => removeAllowEntry(db, entry));
      process.stdout.write(`removed allowlist entry ${entry}\n`);
    });
}
