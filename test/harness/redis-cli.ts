import { execFile } from 'node:child_process';
import { LOOPBACK } from './redis-server.js';

export const REDIS_CLI_BIN = process.env.REDIS_CLI_BIN ?? 'redis-cli';

export interface CliResult {
  stdout: string;
  stderr: string;
  /** Exit status; null if killed by the timeout. */
  code: number | null;
}

/**
 * `redis-cli -h 127.0.0.1 -p <port> <args...>` as an operator would type it;
 * stdout is not a terminal, so replies come in redis-cli's raw format.
 */
export function redisCli(port: number, args: string[], opts: { timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      REDIS_CLI_BIN,
      ['-h', LOOPBACK, '-p', String(port), ...args],
      { timeout: opts.timeoutMs ?? 5000, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ stdout, stderr, code });
      },
    );
  });
}
