import { execFileSync } from 'node:child_process';
import { NtaError } from '../../core/errors.js';

export interface UserIds {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  /** Every group of the user, the primary one included. */
  readonly groups: readonly number[];
}

/**
 * Looks `name` up before anything is opened, so a misspelt user fails at once. `id` does the lookup, so
 * NSS sources (LDAP, systemd-userdb) work as they do for tcpdump.
 */
export function lookupUser(name: string): UserIds {
  if (process.setuid === undefined || process.setgid === undefined || process.setgroups === undefined) {
    throw new NtaError(
      'NTA_ERR_USAGE',
      `--user ${name}: dropping privileges is not supported on this system`,
    );
  }
  const [uid] = idOf(name, '-u');
  const [gid] = idOf(name, '-g');
  return { name, uid: uid!, gid: gid!, groups: idOf(name, '-G') };
}

/**
 * Gives up root once the capture device, the database and the output file are open, as `tcpdump -Z` and
 * dumpcap do: the packet parsers then run with the user's uid, primary group and supplementary groups, not
 * root's. Does nothing when not running as root.
 */
export function dropPrivileges(user: UserIds): void {
  if (process.getuid?.() !== 0) return;
  try {
    process.setgroups!(user.groups);
    process.setgid!(user.gid);
    process.setuid!(user.uid);
  } catch (err) {
    throw new NtaError(
      'NTA_ERR_USAGE',
      `--user ${user.name}: cannot switch to it: ${(err as Error).message}`,
    );
  }
}

function idOf(user: string, flag: '-u' | '-g' | '-G'): number[] {
  let out: string;
  try {
    out = execFileSync('id', [flag, '--', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    throw new NtaError('NTA_ERR_USAGE', `--user ${user}: no such user`);
  }
  return out.trim().split(/\s+/).map(Number);
}
