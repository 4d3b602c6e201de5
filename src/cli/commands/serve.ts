import { hostname } from 'node:os';
import type { Command } from 'commander';
import { NtaError } from '../../core/errors.js';
import { writeAlertEvidence } from '../../pipeline.js';
import { formatSummary } from '../../present/summary.js';
import type { LivePipeline } from '../../server/app.js';
import type { RunningServer } from '../../server/serve.js';
import { DEFAULT_LISTEN } from '../../server/defaults.js';
import { isPostgresUrl, redactUrl } from '../../store/postgres/url.js';
import { addDetectionOptions, addReaderOptions, retentionOption, type ReaderFlags } from '../args.js';
import { addLiveCaptureOptions, type LiveCaptureFlags } from '../live-options.js';
import { formatAlertCounts } from '../run-pipeline.js';
import { NTA_VERSION } from '../version.js';

interface ServeFlags
  extends
    Omit<LiveCaptureFlags, 'db' | 'sensor' | 'chart' | 'flows' | 'packets' | 'status' | 'ringBuffer'>,
    ReaderFlags {
  listen: string;
  token?: string;
  capture?: boolean;
}

/** Options that only mean something while capturing. */
const CAPTURE_ONLY = [
  'interface',
  'filter',
  'snaplen',
  'bufferSize',
  'promisc',
  'immediate',
  'detect',
  'homeNet',
  'blocklist',
  'config',
  'eve',
  'retention',
] as const;

export function registerServe(program: Command): void {
  const cmd = program
    .command('serve')
    .description(
      'serve the web dashboard, a JSON HTTP API (OpenAPI at /api/openapi.json) and Prometheus /metrics ' +
        'from the database; with --capture, capture into it at the same time',
    );
  addReaderOptions(
    cmd,
    'to serve (and, with --capture, to log into)',
    "PostgreSQL: only this sensor's rows (default: every sensor's; with --capture, the sensor written as, " +
      'default the host name)',
  )
    .option(
      '--listen <host:port>',
      'address to listen on; any address but loopback requires a token',
      DEFAULT_LISTEN,
    )
    .option('--token <token>', 'bearer token clients must send (default on non-loopback: a generated one)')
    .option('--capture', 'capture live (as nta capture does) in the same process, into --db')
    .addOption(retentionOption());
  addDetectionOptions(addLiveCaptureOptions(cmd)).action(async (flags: ServeFlags) => {
    process.exitCode = flags.capture === true ? await serveCapturing(flags) : await serveOnly(flags, cmd);
  });
}

async function serveOnly(flags: ServeFlags, cmd: Command): Promise<number> {
  const given = CAPTURE_ONLY.find((name) => cmd.getOptionValueSource(name) === 'cli');
  if (given !== undefined) {
    const option = cmd.options.find((o) => o.attributeName() === given)!;
    throw new NtaError('NTA_ERR_USAGE', `${option.long ?? option.flags} is for capturing: add --capture`);
  }
  const server = await listen(flags);
  await nextSignal();
  await server.close();
  return 0;
}

/**
 * Capture and serve in one process: the capture runs as `nta capture -q --no-chart` does (same code, same
 * database rows), and the server's live feed and /metrics read the pipeline's own counters. Ctrl-C or SIGTERM
 * stops the capture first (its batches flushed, its captures row finalized), then the server. A capture that
 * ends on an error leaves the server running on what was stored (nta_capture_up says 0) until a signal.
 */
async function serveCapturing(given: ServeFlags): Promise<number> {
  // PostgreSQL: the capture writes as this sensor (the host name unless named) and the server shows its
  // rows only, so the counts of the API and of the database's /metrics are this capture's, as in SQLite.
  const flags = isPostgresUrl(given.db) ? { ...given, sensor: given.sensor ?? hostname() } : given;
  // Loaded on use: plain `nta serve` needs neither.
  const [{ captureLive }, { PipelineMeter }] = await Promise.all([
    import('../live-capture.js'),
    import('../../present/pipeline-meter.js'),
  ]);
  const meter = new PipelineMeter();
  let server: RunningServer | undefined;
  const captured = captureLive(
    { ...flags, quiet: true, chart: false, flows: true, packets: true, status: false, ringBuffer: [] },
    {
      observer: meter,
      onAlert: (alert, isNew) => meter.alert(alert, isNew),
      // The database exists once the store has opened it: only then can the server read it.
      opened: async ({ source, store }) => {
        meter.capturing(source, store);
        server = await listen(flags, { totals: () => meter.totals(), metrics: () => meter.metrics() });
      },
    },
  );
  let status = 0;
  try {
    const { run } = await captured;
    meter.stopped();
    const { summary } = run;
    process.stderr.write(formatSummary(summary, flags.db) + formatAlertCounts(run.alerts));
    const result = summary.sources[0];
    if (!summary.interrupted) {
      status = result?.status === 'error' ? 1 : 0;
      const why = result?.error === null || result?.error === undefined ? '' : `: ${result.error}`;
      process.stderr.write(`nta: the capture ended${why}; still serving ${flags.db} until Ctrl-C\n`);
      await nextSignal();
    }
  } finally {
    meter.stopped();
    await server?.close();
  }
  return status;
}

async function listen(flags: ServeFlags, pipeline?: LivePipeline): Promise<RunningServer> {
  // The web server loads on use, not at every start of nta.
  const { startServer } = await import('../../server/serve.js');
  const server = await startServer({
    dbPath: flags.db,
    sensor: flags.sensor,
    listen: flags.listen,
    token: flags.token,
    version: NTA_VERSION,
    pipeline,
    writeEvidence: (db, id, out) => writeAlertEvidence(db, id, out, { application: `nta ${NTA_VERSION}` }),
  });
  process.stderr.write(`nta: serving ${redactUrl(flags.db)} on ${server.url}\n`);
  if (server.tokenGenerated) process.stderr.write(`nta: token: ${server.token}\n`);
  return server;
}

function nextSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
