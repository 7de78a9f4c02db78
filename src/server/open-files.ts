import { readFileSync } from 'node:fs';

/** Descriptors Redis keeps for itself beyond maxclients (CONFIG_MIN_RESERVED_FDS). */
const RESERVED_FDS = 32;

export interface OpenFilesLimit {
  soft: number;
  hard: number;
}

/** RLIMIT_NOFILE as /proc/self/limits shows it; null where there is no such file or it is unlimited. */
export function readOpenFilesLimit(path = '/proc/self/limits'): OpenFilesLimit | null {
  try {
    const m = /^Max open files\s+(\d+)\s+(\d+)/m.exec(readFileSync(path, 'utf8'));
    return m ? { soft: Number(m[1]), hard: Number(m[2]) } : null;
  } catch {
    return null;
  }
}

export interface ClientsWithinLimit {
  maxclients: number;
  /** Warnings to log at start-up, as Redis words them. */
  warnings: string[];
  /** Set when too few descriptors are left for any client: logged, then the daemon exits. */
  fatal: string | null;
}

/**
 * What Redis's adjustOpenFilesLimit decides for `maxclients`. Node has already raised the soft
 * limit to the hard one before any of our code runs, and cannot raise the hard one, so the
 * only case left is a hard limit too low: maxclients is reduced to fit, with Redis's warnings
 * (as an unprivileged redis-sentinel would log them: setrlimit refused with EPERM).
 */
export function clientsWithinOpenFiles(maxclients: number, limit: OpenFilesLimit | null): ClientsWithinLimit {
  const wanted = maxclients + RESERVED_FDS;
  if (limit === null || limit.soft >= wanted) return { maxclients, warnings: [], fatal: null };
  const best = Math.max(limit.soft, limit.hard >= wanted ? wanted : limit.hard);
  if (best <= RESERVED_FDS) {
    return {
      maxclients,
      warnings: [],
      fatal: `Your current 'ulimit -n' of ${limit.soft} is not enough for the server to start. Please increase your open file limit to at least ${wanted}. Exiting.`,
    };
  }
  const reduced = best - RESERVED_FDS;
  return {
    maxclients: reduced,
    warnings: [
      `You requested maxclients of ${maxclients} requiring at least ${wanted} max file descriptors.`,
      `Server can't set maximum open files to ${wanted} because of OS error: Operation not permitted.`,
      `Current maximum open files is ${best}. maxclients has been reduced to ${reduced} to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.`,
    ],
    fatal: null,
  };
}
