import { fstatSync } from 'node:fs';

/** ANSI controls the redraw uses (ECMA-48): cursor to the start of the line n up, erase to the end of screen. */
const cursorUpLines = (n: number): string => `\x1b[${n}F`;
const ERASE_DOWN = '\x1b[J';
/** Redraws per second: enough to look live, few enough to cost nothing. */
export const STATUS_INTERVAL_MS = 250;

/**
 * A block of lines at the bottom of a terminal, redrawn in place a few times a second from `render`. Each
 * redraw is one write: move up over the previous block, erase it, write the new one.
 */
export class StatusArea {
  readonly #stream: NodeJS.WriteStream;
  readonly #render: (width: number) => string[];
  #lines = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(stream: NodeJS.WriteStream, render: (width: number) => string[]) {
    this.#stream = stream;
    this.#render = render;
  }

  start(): void {
    this.draw();
    this.#timer = setInterval(() => this.draw(), STATUS_INTERVAL_MS);
    this.#timer.unref();
  }

  draw(): void {
    // A terminal that does not say its size (columns 0) gets the classic 80.
    const lines = this.#render(this.#stream.columns > 0 ? this.#stream.columns : 80);
    this.#stream.write(this.#erase() + lines.join('\n') + '\n');
    this.#lines = lines.length;
  }

  /** Writes `text` (whole lines) above the block, which is then drawn again below it. */
  printAbove(text: string): void {
    this.#stream.write(this.#erase() + text);
    this.#lines = 0;
    if (this.#timer !== undefined) this.draw();
  }

  /** Stops redrawing and removes the block, so what is written next (the summary) starts where it was. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#lines > 0) this.#stream.write(this.#erase());
    this.#lines = 0;
  }

  #erase(): string {
    return this.#lines > 0 ? cursorUpLines(this.#lines) + ERASE_DOWN : '';
  }
}

/**
 * Whether to show the live status on stderr: only on a terminal that understands cursor movement, and never
 * where per-packet lines go to the same terminal (they would scroll the block away line by line); so on a
 * terminal it comes with -q, or when the packet lines are piped or redirected elsewhere.
 */
export function wantStatusArea(packetLines: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  if (process.stderr.isTTY !== true || env['TERM'] === 'dumb') return false;
  if (!packetLines) return true;
  return !(process.stdout.isTTY === true && sameDevice(1, 2));
}

function sameDevice(a: number, b: number): boolean {
  try {
    const sa = fstatSync(a);
    const sb = fstatSync(b);
    return sa.rdev === sb.rdev && sa.ino === sb.ino;
  } catch {
    return true;
  }
}
