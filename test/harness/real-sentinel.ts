import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The real redis-sentinel the comparisons run against: REDIS_SENTINEL_BIN if set, else the
 * first `redis-sentinel` on PATH. null when there is none; the comparing tests then say so
 * loudly instead of passing without comparing anything (`npm test` installs it as root).
 */
export function realSentinelBinary(): string | null {
  const named = process.env.REDIS_SENTINEL_BIN;
  if (named) return existsSync(named) ? named : null;
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir !== '' && existsSync(join(dir, 'redis-sentinel'))) return join(dir, 'redis-sentinel');
  }
  return null;
}

/** For describe.skipIf: true (skip) when no real redis-sentinel is found, with a warning naming the suite. */
export function withoutRealSentinel(suite: string): boolean {
  if (realSentinelBinary() !== null) return false;
  process.stderr.write(`\n*** SKIPPED: "${suite}" compares with the real redis-sentinel, and none was found (PATH, REDIS_SENTINEL_BIN). Install Debian's redis-sentinel. ***\n\n`);
  return true;
}
