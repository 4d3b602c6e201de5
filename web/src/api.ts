import type { ApiError, LiveTick } from '../../src/server/api-types.js';

const TOKEN_KEY = 'nta-token';

/** The token typed once into the UI, kept for this tab only. */
export function savedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function saveToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export class Unauthorized extends Error {}

function headers(): HeadersInit {
  const token = savedToken();
  return token === null ? {} : { authorization: `Bearer ${token}` };
}

export async function api<T>(
  path: string,
  params: Record<string, string | number | boolean | undefined> = {},
  method = 'GET',
  body?: unknown,
): Promise<T> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const qs = q.toString();
  const init: RequestInit =
    body === undefined
      ? { method, headers: headers() }
      : {
          method,
          headers: { ...headers(), 'content-type': 'application/json' },
          body: JSON.stringify(body),
        };
  const res = await checked(await fetch(`/api/${path}${qs === '' ? '' : `?${qs}`}`, init));
  return (await res.json()) as T;
}

async function checked(res: Response): Promise<Response> {
  if (res.status === 401) throw new Unauthorized('a token is required');
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as ApiError | null;
    throw new Error(body?.message ?? `${res.status} ${res.statusText}`);
  }
  return res;
}

/**
 * Saves an API response as a file. A plain link cannot send the token, so the file is fetched with it and
 * handed to the browser's download from an object URL, named as the server's Content-Disposition says.
 */
export async function download(path: string, fallbackName: string): Promise<void> {
  const res = await checked(await fetch(`/api/${path}`, { headers: headers() }));
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * Reads the Server-Sent Events stream with fetch (EventSource cannot send the Authorization header).
 * Returns a function that stops it; reconnects after a pause when the stream ends.
 */
export function liveTicks(onTick: (t: LiveTick) => void, onState: (connected: boolean) => void): () => void {
  const ctrl = new AbortController();
  let stopped = false;
  const run = async (): Promise<void> => {
    while (!stopped) {
      try {
        const res = await fetch('/api/live', { headers: headers(), signal: ctrl.signal });
        if (!res.ok || res.body === null) throw new Error(String(res.status));
        onState(true);
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let end: number;
          while ((end = buf.indexOf('\n\n')) >= 0) {
            const event = buf.slice(0, end);
            buf = buf.slice(end + 2);
            const data = event
              .split('\n')
              .filter((l) => l.startsWith('data: '))
              .map((l) => l.slice(6))
              .join('\n');
            if (event.includes('event: tick') && data !== '') onTick(JSON.parse(data) as LiveTick);
          }
        }
      } catch {
        if (stopped) return;
      }
      onState(false);
      await new Promise((r) => setTimeout(r, 3000));
    }
  };
  void run();
  return () => {
    stopped = true;
    ctrl.abort();
  };
}
