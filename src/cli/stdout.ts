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
    if (err.code === 'EPIPE') state.closed = true;
    else throw err;
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
