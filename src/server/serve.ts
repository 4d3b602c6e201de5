import { NtaError } from '../core/errors.js';
import { buildApp, type AppOptions } from './app.js';
import { generateToken, isTokenFree } from './auth.js';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (loopback). */
export function parseListen(text: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  const port = Number(m?.[3]);
  if (m === null || port > 65535)
    throw new NtaError(
      'NTA_ERR_USAGE',
      `--listen '${text}': expected HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080`,
    );
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' ? '127.0.0.1' : host, port };
}

export interface RunningServer {
  readonly url: string;
  /** The token clients must send; null when listening on loopback without one. */
  readonly token: string | null;
  /** True when the token was made up here (the caller prints it). */
  readonly tokenGenerated: boolean;
  close(): Promise<void>;
}

/**
 * Starts the API and dashboard. 127.0.0.1 and ::1 need no token unless one is given; any other address
 * always needs one, generated when not given.
 */
export async function startServer(
  options: Omit<AppOptions, 'token'> & { readonly listen: string; readonly token?: string | undefined },
): Promise<RunningServer> {
  const { host, port } = parseListen(options.listen);
  let token = options.token ?? null;
  const tokenGenerated = token === null && !isTokenFree(host);
  if (tokenGenerated) token = generateToken();
  if (token !== null && token.length < 8)
    throw new NtaError('NTA_ERR_USAGE', '--token: use at least 8 characters (or leave it out to get one)');
  const { app } = await buildApp({ ...options, token });
  try {
    await app.listen({ host, port });
  } catch (err) {
    await app.close();
    throw new NtaError('NTA_ERR_IO', `--listen ${options.listen}: ${(err as Error).message}`, { cause: err });
  }
  const addr = app.server.address();
  const bound = typeof addr === 'object' && addr !== null ? addr.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return { url: `http://${shownHost}:${bound}/`, token, tokenGenerated, close: () => app.close() };
}
