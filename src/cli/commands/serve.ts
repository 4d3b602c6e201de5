import type { Command } from 'commander';
import { DEFAULT_LISTEN } from '../../server/defaults.js';
import { redactUrl } from '../../store/postgres/url.js';
import { addReaderOptions, type ReaderFlags } from '../args.js';
import { NTA_VERSION } from '../version.js';

interface ServeFlags extends ReaderFlags {
  listen: string;
  token?: string;
}

export function registerServe(program: Command): void {
  const cmd = program
    .command('serve')
    .description(
      'serve the web dashboard and a JSON HTTP API (OpenAPI at /api/openapi.json) from the database',
    );
  addReaderOptions(cmd, 'to serve')
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
        sensor: flags.sensor,
        listen: flags.listen,
        token: flags.token,
        version: NTA_VERSION,
      });
      process.stderr.write(`nta: serving ${redactUrl(flags.db)} on ${server.url}\n`);
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
