import type { Command } from 'commander';
import { writeAlertEvidence } from '../../pipeline.js';
import { DEFAULT_LISTEN } from '../../server/defaults.js';
import { DEFAULT_DB_PATH } from '../../store/sqlite/sqlite-store.js';
import { NTA_VERSION } from '../version.js';

interface ServeFlags {
  db: string;
  listen: string;
  token?: string;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'serve the web dashboard and a JSON HTTP API (OpenAPI at /api/openapi.json) from the database',
    )
    .option('--db <path>', 'SQLite database to serve', DEFAULT_DB_PATH)
    .option(
      '--listen <host:port>',
      'address to listen on; any address but loopback requires a token',
      DEFAULT_LISTEN,
    )
    .option('--token <token>', 'bearer token clients must send (default on non-loopback: a generated one)')
    .action(async (flags: ServeFlags) => {
      // The web server loads on use, not at every start of nta.
      const { startServer } = await import('../../server/serve.js');
      const server = await startServer({
        dbPath: flags.db,
        listen: flags.listen,
        token: flags.token,
        version: NTA_VERSION,
        writeEvidence: (db, id, out) =>
          writeAlertEvidence(db, id, out, { application: `nta ${NTA_VERSION}` }),
      });
      process.stderr.write(`nta: serving ${flags.db} on ${server.url}\n`);
      if (server.tokenGenerated) process.stderr.write(`nta: token: ${server.token}\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await server.close();
    });
}
