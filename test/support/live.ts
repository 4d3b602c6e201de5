import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { NTA } from './cli.js';

/** How an `nta capture` run ended, with what it printed. */
export interface CaptureRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Starts `nta capture ARGS`, waits for it to say it is capturing, runs `during`, and waits for the exit
 * (it must stop by itself: -c, -a, or what `during` does to it). Rejects if it exits before capturing.
 */
export async function capture(
  args: string[],
  during: (child: ReturnType<typeof spawn>) => Promise<void>,
  options: { cwd?: string } = {},
): Promise<CaptureRun> {
  const child = spawn('node', [NTA, 'capture', ...args], { cwd: options.cwd });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const started = new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('capturing on')) resolve();
    });
    child.on('exit', () => reject(new Error(`nta capture exited before capturing: ${stderr}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await started;
  await during(child);
  const code = await exited;
  return { code, stdout, stderr };
}

/** `count` UDP datagrams of `size` bytes to `port` on a loopback address, one after another. */
export async function sendUdp(port: number, count: number, size = 32, host = '127.0.0.1'): Promise<void> {
  const s = createSocket('udp4');
  for (let i = 0; i < count; i++) await new Promise((r) => s.send(Buffer.alloc(size, i), port, host, r));
  s.close();
}
