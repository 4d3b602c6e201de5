/**
 * Standard output with backpressure and a quiet end when the reader goes away (`nta read f | head`):
 * `write` returns a promise while the pipe is full, and `closed` turns true on EPIPE.
 */
export interface StdoutWriter {
  readonly write: (text: string) => boolean | Promise<void>;
  readonly closed: boolean;
}

export function stdoutWriter(): StdoutWriter {
  const state = { closed: false };
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    // A reader that went away (EPIPE) is normal; anything else is said once. Either way reading stops
    // cleanly, so what was stored is committed.
    if (err.code !== 'EPIPE' && !state.closed) process.stderr.write(`nta: standard output: ${err.message}\n`);
    state.closed = true;
  });
  const write = (text: string): boolean | Promise<void> => {
    if (state.closed) return true;
    if (process.stdout.write(text)) return true;
    return new Promise((resolve) => {
      const done = (): void => {
        process.stdout.off('drain', done);
        process.stdout.off('error', done);
        resolve();
      };
      process.stdout.once('drain', done);
      process.stdout.once('error', done);
    });
  };
  return {
    write,
    get closed() {
      return state.closed;
    },
  };
}
