import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after } from 'node:test';
import type { LiveTick } from '../../src/server/api-types.js';
import { NTA } from './cli.js';

export interface ServeProcess {
  readonly url: string;
  readonly token: string | null;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts `nta serve` as users do and waits for the line naming its address (and the token line, when one
 * was generated). Stopped with SIGTERM after the test file ends at the latest.
 */
export async function startServe(args: string[]): Promise<ServeProcess> {
  const child = spawn('node', [NTA, 'serve', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const exited = once(child, 'exit');
  const ready = new Promise<{ url: string; token: string | null }>((resolve, reject) => {
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
      const url = /serving .* on (http:\/\/\S+)/.exec(stderr)?.[1];
      const needsToken = !/ on http:\/\/127\.0\.0\.1:/.test(stderr) && !args.includes('--token');
      const token = /token: (\S+)/.exec(stderr)?.[1] ?? null;
      if (url !== undefined && (!needsToken || token !== null)) resolve({ url, token });
    });
    void exited.then(([code]) => reject(new Error(`nta serve exited with ${String(code)}: ${stderr}`)));
  });
  const { url, token } = await ready;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await exited;
  };
  after(stop);
  return { url, token, child, stop };
}

export interface LiveStream {
  /** The next `tick` event of the stream. */
  next(): Promise<LiveTick>;
  close(): Promise<void>;
}

/** Opens `/api/live` of a running server and reads its Server-Sent Events one tick at a time. */
export async function openLiveStream(serverUrl: string): Promise<LiveStream> {
  const res = await fetch(new URL('api/live', serverUrl));
  assert.equal(res.status, 200);
  assert.match(String(res.headers.get('content-type')), /^text\/event-stream/);
  assert.match(String(res.headers.get('content-security-policy')), /default-src 'none'/);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  const next = async (): Promise<LiveTick> => {
    for (;;) {
      const i = buf.indexOf('\n\n');
      if (i >= 0) {
        const event = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = /^data: (.*)$/m.exec(event)?.[1];
        if (event.includes('event: tick') && data !== undefined) return JSON.parse(data) as LiveTick;
        continue;
      }
      const { value, done } = await reader.read();
      assert.ok(!done, 'the stream stays open');
      buf += value;
    }
  };
  return { next, close: () => reader.cancel() };
}
