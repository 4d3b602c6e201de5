import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

const PG_LIB = '/usr/lib/postgresql';

/** The newest installed server's bin folder (Debian's layout); an error naming the fix when there is none. */
function serverBin(): string {
  const versions = existsSync(PG_LIB) ? readdirSync(PG_LIB).sort((a, b) => Number(a) - Number(b)) : [];
  const bin = versions.length === 0 ? '' : join(PG_LIB, versions.at(-1)!, 'bin');
  if (bin === '' || !existsSync(join(bin, 'pg_ctl')))
    throw new Error(`no PostgreSQL server under ${PG_LIB} (apt-get install postgresql, see .ci/postgres.sh)`);
  return bin;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Runs a server program as the postgres user (initdb and postgres refuse to run as root). */
function asPostgres(program: string, args: string[]): void {
  const r = spawnSync('runuser', ['-u', 'postgres', '--', program, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${program} ${args.join(' ')}: ${(r.stderr || r.stdout).trim()}`);
}

/**
 * A PostgreSQL server of the test's own (initdb in a temporary folder, loopback only, trust
 * authentication), which the test may stop and start as it likes without disturbing the shared server the
 * other tests use. Needs root (it runs the server as the postgres user). Removed when the test file ends.
 */
export class PgInstance {
  readonly url: string;
  readonly #bin: string;
  readonly #dir: string;
  readonly #port: number;

  private constructor(bin: string, dir: string, port: number) {
    this.#bin = bin;
    this.#dir = dir;
    this.#port = port;
    this.url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  }

  static async create(): Promise<PgInstance> {
    const bin = serverBin();
    const dir = mkdtempSync(join(tmpdir(), 'nta-pg-instance-'));
    const { uid, gid } = postgresIds();
    chownSync(dir, uid, gid);
    const instance = new PgInstance(bin, dir, await freePort());
    after(() => {
      instance.stop('immediate');
      rmSync(dir, { recursive: true, force: true });
    });
    asPostgres(join(bin, 'initdb'), ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync']);
    instance.start();
    return instance;
  }

  /** Starts the server and waits until it accepts connections. */
  start(): void {
    const options = `-p ${this.#port} -k ${this.#dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    asPostgres(join(this.#bin, 'pg_ctl'), [
      '-D',
      join(this.#dir, 'data'),
      '-l',
      join(this.#dir, 'server.log'),
      '-o',
      options,
      '-w',
      'start',
    ]);
  }

  /**
   * Stops the server: `immediate` as a crash does (no checkpoint, connections cut; the next start
   * recovers from the WAL), `fast` as an administrator does. Does nothing when it is not running.
   */
  stop(mode: 'immediate' | 'fast' = 'immediate'): void {
    const pgCtl = join(this.#bin, 'pg_ctl');
    const data = join(this.#dir, 'data');
    if (spawnSync('runuser', ['-u', 'postgres', '--', pgCtl, '-D', data, 'status']).status !== 0) return;
    asPostgres(pgCtl, ['-D', data, '-m', mode, '-w', 'stop']);
  }
}

function postgresIds(): { uid: number; gid: number } {
  const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) throw new Error('no postgres user (apt-get install postgresql)');
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}
