import { inspect } from 'node:util';

export interface WaitOptions<T> {
  timeoutMs: number;
  /** Pause between two probes; 50 ms unless told. */
  intervalMs?: number;
  /** What is being waited for, in words; it leads the timeout error. */
  description: string;
  /** When the probe's value counts as success; truthiness unless told. */
  until?: (value: T) => boolean;
}

export class WaitTimeoutError extends Error {
  constructor(
    message: string,
    readonly lastValue: unknown,
  ) {
    super(message);
  }
}

/**
 * Polls `probe` until it yields an accepted value and returns that value. A
 * probe that throws counts as "not yet". After `timeoutMs` it throws with the
 * description and the last value (or error) the probe produced.
 */
export async function waitFor<T>(probe: () => T | Promise<T>, opts: WaitOptions<T>): Promise<T> {
  const interval = opts.intervalMs ?? 50;
  const accept = opts.until ?? ((v: T) => Boolean(v));
  const started = Date.now();
  const deadline = started + opts.timeoutMs;
  let last: { value?: T; error?: unknown; seen: boolean } = { seen: false };
  for (;;) {
    try {
      const value = await boundedProbe(probe, Math.max(deadline - Date.now(), interval));
      if (accept(value)) return value;
      last = { value, seen: true };
    } catch (error) {
      last = { error, seen: true };
    }
    const left = deadline - Date.now();
    if (left <= 0) break;
    await new Promise((resolve) => setTimeout(resolve, Math.min(interval, left)));
  }
  const observed = !last.seen
    ? 'nothing (the probe never completed)'
    : last.error !== undefined
      ? `error: ${last.error instanceof Error ? last.error.message : inspect(last.error)}`
      : inspect(last.value, { depth: 6, breakLength: 120 });
  throw new WaitTimeoutError(
    `Timed out after ${Date.now() - started} ms waiting for ${opts.description}; last observed: ${observed}`,
    last.error ?? last.value,
  );
}

const PROBE_STILL_RUNNING = 'the probe was still running at the deadline';

/** A probe that hangs must not make the wait unbounded. */
async function boundedProbe<T>(probe: () => T | Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const overdue = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(PROBE_STILL_RUNNING)), ms);
  });
  try {
    return await Promise.race([Promise.resolve().then(probe), overdue]);
  } finally {
    clearTimeout(timer);
  }
}
