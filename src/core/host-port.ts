/** `HOST:PORT` endpoints of collectors and receivers (IPFIX, syslog). */
import { isIP } from 'node:net';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** `HOST:PORT`, `[IPv6]:PORT`; null when the text is not one. */
export function parseHostPort(text: string): HostPort | null {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s/]+)):([0-9]{1,5})$/.exec(text);
  if (m === null) return null;
  const host = m[1] ?? m[2]!;
  const port = Number(m[3]);
  if (port < 1 || port > 65535 || (m[1] !== undefined && isIP(host) !== 6)) return null;
  return { host, port };
}

export const formatHostPort = (t: HostPort): string =>
  isIP(t.host) === 6 ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;
