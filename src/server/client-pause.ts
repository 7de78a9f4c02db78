import type { CommandSpec } from './command-catalog.js';

export type PauseMode = 'write' | 'all';

/**
 * CLIENT PAUSE: while it lasts, commands from every client wait (ALL), or only
 * the commands that could replicate (WRITE; in a sentinel that is PUBLISH).
 * A new pause never shortens the current one nor weakens its mode.
 */
export class ClientPause {
  private mode: PauseMode | null = null;
  private until = 0;
  private timer: NodeJS.Timeout | undefined;

  /** `onEnd` runs when a pause ends, by timeout or CLIENT UNPAUSE. */
  constructor(
    private readonly onEnd: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  pause(durationMs: number, mode: PauseMode): void {
    if (this.mode === null || mode === 'all') this.mode = mode;
    this.until = Math.max(this.until, this.now() + durationMs);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.end(), Math.max(0, this.until - this.now()));
    this.timer.unref();
  }

  unpause(): void {
    if (this.mode !== null) this.end();
  }

  /** Whether this command has to wait now. */
  holds(spec: CommandSpec): boolean {
    // An expired pause is ended by its timer, never from inside a command.
    if (this.mode === null || this.now() >= this.until) return false;
    return this.mode === 'all' || spec.name === 'publish';
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.mode = null;
  }

  private end(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.mode = null;
    this.until = 0;
    this.onEnd();
  }
}
