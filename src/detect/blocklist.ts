/**
 * Blocklists of addresses, networks and domains, read from files in the formats people download: plain
 * lists (one address, CIDR or domain per line, `#`/`;` comments, hosts-file lines), Spamhaus DROP (text
 * `CIDR ; SBLnnn` or its JSON lines) and abuse.ch CSV exports (Feodo Tracker, URLhaus, ThreatFox: any field
 * holding an address, `address:port` or a URL).
 */
import { readFileSync } from 'node:fs';
import { NtaError } from '../core/errors.js';
import { parseCidr, CidrSet } from './cidr.js';

const DOMAIN = /^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/;
const SINKHOLES = new Set(['0.0.0.0', '127.0.0.1', '::', '::1']);

export class Blocklist {
  readonly addresses = new CidrSet();
  readonly domains = new Set<string>();

  get empty(): boolean {
    return this.addresses.size === 0 && this.domains.size === 0;
  }

  addEntry(token: string): boolean {
    const t = token.trim().toLowerCase();
    if (t === '') return false;
    const c = parseCidr(t);
    if (c !== null) {
      this.addresses.add(c);
      return true;
    }
    const host = hostOf(t);
    if (host !== null) return this.addEntry(host);
    const d = t.replace(/^\*\./, '').replace(/\.$/, '');
    if (DOMAIN.test(d)) {
      this.domains.add(d);
      return true;
    }
    return false;
  }

  /** Adds the entries of one file's text; returns how many were taken. */
  addText(text: string): number {
    let n = 0;
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#') || line.startsWith(';') || line.startsWith('//')) continue;
      if (line.startsWith('{')) {
        n += this.#jsonLine(line);
      } else if (line.includes('"') || line.includes(',')) {
        for (const field of line.split(',')) {
          const f = field.trim().replace(/^"|"$/g, '');
          if (parseCidr(f) !== null || hostOf(f) !== null || /^[0-9.]+:[0-9]+$/.test(f)) {
            if (this.addEntry(f.replace(/:[0-9]+$/, ''))) n++;
          }
        }
      } else {
        const tokens = line.split(/[\s;]+/).filter((t) => t !== '');
        const first = tokens[0]!;
        // hosts-file style: "0.0.0.0 bad.example"
        const entry = SINKHOLES.has(first) && tokens.length > 1 ? tokens[1]! : first;
        if (this.addEntry(entry)) n++;
      }
    }
    return n;
  }

  #jsonLine(line: string): number {
    try {
      const o = JSON.parse(line) as Record<string, unknown>;
      const v = o['cidr'] ?? o['ip'] ?? o['domain'];
      return typeof v === 'string' && this.addEntry(v) ? 1 : 0;
    } catch {
      return 0;
    }
  }

  /** The listed domain `name` is or is under, or null. */
  matchDomain(name: string): string | null {
    if (this.domains.size === 0) return null;
    let d = name;
    for (;;) {
      if (this.domains.has(d)) return d;
      const dot = d.indexOf('.');
      if (dot < 0) return null;
      d = d.slice(dot + 1);
    }
  }
}

function hostOf(text: string): string | null {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(\[[^\]]+\]|[^/:?#]+)/i.exec(text);
  if (m === null) return null;
  return m[1]!.replace(/^\[|\]$/g, '').toLowerCase();
}

export function loadBlocklists(paths: readonly string[], into = new Blocklist()): Blocklist {
  for (const path of paths) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new NtaError('NTA_ERR_CONFIG', `blocklist ${path}: ${(err as Error).message}`, { cause: err });
    }
    into.addText(text);
  }
  return into;
}
