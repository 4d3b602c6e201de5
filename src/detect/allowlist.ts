/**
 * Allowlist entries silence alerts that are known and accepted: each names what it matches (alert type,
 * source and destination address or CIDR, port, domain) and why (comment). Checked once per notice, never
 * per packet.
 */
import type { AlertType } from '../schema/alert.js';
import { CidrSet, parseCidr } from './cidr.js';
import type { Notice } from './detector.js';

export interface AllowEntry {
  readonly type?: AlertType | undefined;
  readonly src?: string | undefined;
  readonly dst?: string | undefined;
  readonly port?: number | undefined;
  readonly domain?: string | undefined;
  readonly comment: string;
}

interface Compiled {
  readonly entry: AllowEntry;
  readonly src: CidrSet | null;
  readonly dst: CidrSet | null;
}

const setOf = (text: string | undefined): CidrSet | null => {
  if (text === undefined) return null;
  const c = parseCidr(text);
  return c === null ? null : new CidrSet([c]);
};

export class Allowlist {
  readonly #entries: Compiled[] = [];

  constructor(entries: readonly AllowEntry[] = []) {
    for (const e of entries) this.add(e);
  }

  add(entry: AllowEntry): void {
    this.#entries.push({ entry, src: setOf(entry.src), dst: setOf(entry.dst) });
  }

  get size(): number {
    return this.#entries.length;
  }

  /** The entry that silences `n`, or undefined. */
  match(n: Notice): AllowEntry | undefined {
    for (const c of this.#entries) {
      const e = c.entry;
      if (e.type !== undefined && e.type !== n.type) continue;
      if (c.src !== null && !c.src.hasText(n.src)) continue;
      if (c.dst !== null && (n.dst === undefined || !c.dst.hasText(n.dst))) continue;
      if (e.port !== undefined && e.port !== n.dstPort) continue;
      if (e.domain !== undefined && !underDomain(n.domain, e.domain)) continue;
      return e;
    }
    return undefined;
  }
}

const underDomain = (name: string | undefined, domain: string): boolean =>
  name !== undefined && (name === domain || name.endsWith(`.${domain}`));
