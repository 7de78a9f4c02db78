/**
 * Beyond Redis: `sentinel state-file <path>`. With it, what the sentinel writes
 * for itself (its id, epochs, votes, the replicas and sentinels it found, and
 * SENTINEL SET / MONITOR / REMOVE / CONFIG SET changes) goes to a file of its
 * own and sentinel.conf is never written, so it may be read-only.
 *
 * The model: sentinel.conf's `sentinel` lines seed the state until the state
 * file exists; from then on the state file IS the sentinel state (the masters
 * monitored, their settings, epochs and known nodes, and the sentinel-wide
 * settings SENTINEL CONFIG SET changes). A master the file lacks is not
 * monitored, even when sentinel.conf still names it: that is how a SENTINEL
 * REMOVE outlives a restart. Only what cannot be changed at run time stays
 * sentinel.conf's: `deny-scripts-reconfig` (a safety switch the operator owns)
 * and `state-file` itself. The state file holds `sentinel` lines only, in
 * sentinel.conf syntax; a file that is missing or holds no line at all counts
 * as not there yet.
 */
import { readFileSync } from 'node:fs';
import { asReadByFgets } from './config-files.js';
import type { SentinelConfig } from './model.js';
import type { QueuedSentinelLine } from './sentinel-directives.js';
import { decodeBytes, splitArgs } from './split-args.js';
import { strerror } from './strerror.js';

/** Files written by the sentinel alone: nobody else needs to read the auth-pass it holds. */
export const STATE_FILE_MODE = 0o600;

/** A line of the state file the loader refuses, with Redis-style text. */
export interface StateLineError {
  line: number;
  text: string;
  message: string;
}

/** Settings that stay sentinel.conf's even once the state file exists. */
const ADMIN_ONLY = new Set(['deny-scripts-reconfig', 'state-file']);

/**
 * The state file's `sentinel` lines, queued for applySentinelLines; null when
 * the file holds no line (only blanks and comments). Lines are trimmed as
 * Redis trims config lines.
 */
export function stateFileLines(text: string): QueuedSentinelLine[] | null | StateLineError {
  const queued: QueuedSentinelLine[] = [];
  const lines = text === '' ? [] : text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
    if (line === '' || line.startsWith('#')) continue;
    const argv = splitArgs(line);
    if (argv === null) return { line: i + 1, text: line, message: 'Unbalanced quotes in configuration line' };
    if (argv.length < 2 || argv[0]!.toLowerCase() !== 'sentinel') {
      return { line: i + 1, text: line, message: 'Only sentinel lines belong in the state file.' };
    }
    if (ADMIN_ONLY.has(argv[1]!.toLowerCase())) {
      return { line: i + 1, text: line, message: `The ${argv[1]!.toLowerCase()} option belongs in the config file, not in the state file.` };
    }
    queued.push({ args: argv.slice(1), line: i + 1, text: line });
  }
  return queued.length > 0 ? queued : null;
}

/** The sentinel state to run with: the state file's, but with the settings only sentinel.conf may change. */
export function withStateFile(fromConfig: SentinelConfig, fromState: SentinelConfig): SentinelConfig {
  return { ...fromState, denyScriptsReconfig: fromConfig.denyScriptsReconfig };
}

/** The state file's text; null when it does not exist yet. Throws the strerror text when it cannot be read. */
export function readStateFile(path: string): string | null {
  try {
    return decodeBytes(asReadByFgets(readFileSync(path)));
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return null;
    throw new StateFileReadError(strerror(err));
  }
}

export class StateFileReadError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'StateFileReadError';
  }
}
