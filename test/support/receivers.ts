/**
 * Alert receivers on 127.0.0.1 for the webhook and syslog outputs, started by the tests themselves, and an
 * RFC 5424 parser that checks what they got. Also runs nta as a child without blocking the event loop
 * (spawnSync would stop these receivers from answering).
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer as createHttpServer, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { NTA } from './cli.js';

export interface HttpReceiver {
  readonly port: number;
  readonly url: string;
  /** Request bodies, in the order they arrived. */
  readonly bodies: string[];
  /** Answers the requests held so far (later ones wait for the next call). */
  release(): void;
  close(): Promise<void>;
}

/** An HTTP server taking POSTs, answering `status` (200); with `hold`, each answer waits for release(). */
export async function httpReceiver(
  opts: { port?: number; hold?: boolean; status?: number } = {},
): Promise<HttpReceiver> {
  const bodies: string[] = [];
  const held: ServerResponse[] = [];
  const holding = opts.hold === true;
  const server = createHttpServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      bodies.push(body);
      res.statusCode = opts.status ?? 200;
      if (holding) held.push(res);
      else res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `http://127.0.0.1:${port}/alerts`,
    bodies,
    release() {
      for (const res of held.splice(0)) if (!res.destroyed) res.end('ok');
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface SyslogReceiver {
  readonly port: number;
  readonly messages: string[];
  close(): Promise<void>;
}

export async function udpSyslogReceiver(): Promise<SyslogReceiver> {
  const messages: string[] = [];
  const socket = createSocket('udp4');
  socket.on('message', (m) => messages.push(m.toString('utf8')));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: socket.address().port,
    messages,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

/** A TCP syslog receiver that splits RFC 6587 octet-counted frames (`LENGTH SP MSG`). */
export async function tcpSyslogReceiver(port = 0): Promise<SyslogReceiver> {
  const messages: string[] = [];
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const sp = buf.indexOf(0x20);
        if (sp < 0) return;
        const len = Number(buf.subarray(0, sp).toString('ascii'));
        if (!Number.isInteger(len) || len <= 0) throw new Error(`bad octet count ${buf.subarray(0, sp)}`);
        if (buf.length < sp + 1 + len) return;
        messages.push(buf.subarray(sp + 1, sp + 1 + len).toString('utf8'));
        buf = buf.subarray(sp + 1 + len);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    messages,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then closed again). */
export async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface Syslog5424 {
  readonly pri: number;
  readonly version: number;
  readonly timestamp: string;
  readonly hostname: string;
  readonly appName: string;
  readonly procId: string;
  readonly msgId: string;
  readonly sd: Record<string, Record<string, string>>;
  readonly msg: string;
}

/** Parses one RFC 5424 message strictly (§6 ABNF, structured data with escapes); throws on anything else. */
export function parseSyslog5424(text: string): Syslog5424 {
  const head =
    /^<([0-9]{1,3})>([1-9][0-9]{0,2}) (\S+) ([!-~]{1,255}) ([!-~]{1,48}) ([!-~]{1,128}) ([!-~]{1,32}) /.exec(
      text,
    );
  if (head === null) throw new Error(`not an RFC 5424 header: ${text}`);
  const timestamp = head[3]!;
  if (timestamp !== '-' && !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)$/.test(timestamp))
    throw new Error(`bad TIMESTAMP ${timestamp}`);
  let i = head[0].length;
  const sd: Record<string, Record<string, string>> = {};
  if (text[i] === '-') {
    i++;
  } else {
    while (text[i] === '[') {
      const id = /^\[([!#-<>-Z^-~]{1,32})/.exec(text.slice(i));
      if (id === null) throw new Error(`bad SD-ID at ${i}: ${text}`);
      i += id[0].length;
      const params: Record<string, string> = {};
      while (text[i] === ' ') {
        const name = /^ ([!#-<>-Z^-~]{1,32})="/.exec(text.slice(i));
        if (name === null) throw new Error(`bad SD-PARAM at ${i}: ${text}`);
        i += name[0].length;
        let value = '';
        for (; i < text.length && text[i] !== '"'; i++) {
          if (text[i] === '\\' && ['"', '\\', ']'].includes(text[i + 1]!)) i++;
          else if (text[i] === ']') throw new Error(`unescaped ] in SD value: ${text}`);
          value += text[i];
        }
        if (text[i] !== '"') throw new Error(`unterminated SD value: ${text}`);
        i++;
        params[name[1]!] = value;
      }
      if (text[i] !== ']') throw new Error(`unterminated SD-ELEMENT at ${i}: ${text}`);
      i++;
      sd[id[1]!] = params;
    }
  }
  if (i < text.length && text[i] !== ' ') throw new Error(`no space before MSG at ${i}: ${text}`);
  return {
    pri: Number(head[1]),
    version: Number(head[2]),
    timestamp,
    hostname: head[4]!,
    appName: head[5]!,
    procId: head[6]!,
    msgId: head[7]!,
    sd,
    msg: text.slice(i + 1),
  };
}

export interface NtaRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs nta as a child process; `onStderr`/`onStdout` see the text so far as it arrives. */
export function runNta(
  args: readonly string[],
  watch: { onStderr?: (text: string) => void; onStdout?: (text: string) => void } = {},
): Promise<NtaRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', [NTA, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      stdout += d;
      watch.onStdout?.(stdout);
    });
    child.stderr.on('data', (d: string) => {
      stderr += d;
      watch.onStderr?.(stderr);
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
