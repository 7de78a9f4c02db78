import { appendFileSync, writeSync } from 'node:fs';
import { Writable } from 'node:stream';
import winston from 'winston';
import { encodeBytes } from '../resp/byte-text.js';
import type { LogLevel } from '../core/events.js';

export type { LogLevel };

export interface Logger {
  log(level: LogLevel, message: string): void;
  /**
   * The line Redis's signal handler writes: `<pid>:signal-handler (<unix seconds>) <message>`,
   * without the usual time and level (a warning in JSON mode).
   */
  signalHandler(message: string): void;
  setLevel(level: LogLevel): void;
  level(): LogLevel;
  close(): Promise<void>;
}

export interface LoggerOptions {
  level: LogLevel;
  /** Path of the log file, opened in append mode; null or '' writes to stdout. */
  file: string | null;
  /** One JSON object per line instead of Redis's line format. */
  json: boolean;
  pid?: number;
  clock?: () => Date;
}

/** winston's convention: a smaller number is more severe, and a level shows everything at or above it. */
const SEVERITY: Record<LogLevel, number> = { warning: 0, notice: 1, verbose: 2, debug: 3 };
const LEVEL_MARK: Record<LogLevel, string> = { debug: '.', verbose: '-', notice: '*', warning: '#' };
/** Redis formats a log message into a 1024-byte buffer, so longer messages lose their tail. */
const MAX_MESSAGE_BYTES = 1023;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Log lines as redis-sentinel writes them:
 * `9182:X 21 Nov 2026 22:14:57.196 # +monitor master mymaster 127.0.0.1 6491 quorum 1`.
 * Every line is written synchronously, so nothing is lost when the process exits
 * right after logging (Redis too opens, appends to and closes the file per line,
 * which also lets operators rotate it by renaming).
 */
export function createLogger(opts: LoggerOptions): Logger {
  const pid = opts.pid ?? process.pid;
  const clock = opts.clock ?? (() => new Date());
  const render = opts.json ? renderJson : renderRedisLine;
  const sink = new SynchronousLineSink(opts.file === null || opts.file === '' ? null : opts.file);
  const logger = winston.createLogger({
    levels: SEVERITY,
    level: opts.level,
    format: winston.format.printf((info) =>
      render(pid, info.time as Date, info.level as LogLevel, String(info.message)),
    ),
    transports: [new winston.transports.Stream({ stream: sink, eol: '\n' })],
  });
  let current = opts.level;
  let closed = false;

  return {
    log(level, message) {
      if (closed || SEVERITY[level] > SEVERITY[current]) return;
      logger.log({ level, message: truncateBytes(message, MAX_MESSAGE_BYTES), time: clock() });
    },
    signalHandler(message) {
      if (closed) return;
      if (opts.json) {
        this.log('warning', message);
        return;
      }
      sink.write(`${pid}:signal-handler (${Math.floor(clock().getTime() / 1000)}) ${message}\n`);
    },
    setLevel(level) {
      current = level;
      logger.level = level;
    },
    level: () => current,
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      return new Promise((resolve) => {
        logger.once('finish', () => resolve());
        logger.end();
      });
    },
  };
}

export function renderRedisLine(pid: number, time: Date, level: LogLevel, message: string): string {
  return `${pid}:X ${redisTimestamp(time)} ${LEVEL_MARK[level]} ${message}`;
}

function renderJson(pid: number, time: Date, level: LogLevel, message: string): string {
  return JSON.stringify({ time: time.toISOString(), pid, level, message });
}

/** `21 Nov 2026 22:14:57.196`, in local time as Redis prints it. */
export function redisTimestamp(time: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const date = `${two(time.getDate())} ${MONTHS[time.getMonth()]} ${time.getFullYear()}`;
  const clock = `${two(time.getHours())}:${two(time.getMinutes())}:${two(time.getSeconds())}`;
  return `${date} ${clock}.${String(time.getMilliseconds()).padStart(3, '0')}`;
}

/** Cuts to at most `max` UTF-8 bytes without splitting a character. */
function truncateBytes(text: string, max: number): string {
  if (text.length <= max / 3) return text;
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= max) return text;
  let end = max;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return bytes.toString('utf8', 0, end);
}

/**
 * The end of the winston pipeline: each line goes out before log() returns. A line
 * that cannot be written is dropped, as Redis does, rather than crashing the daemon.
 */
class SynchronousLineSink extends Writable {
  constructor(private readonly file: string | null) {
    super({ decodeStrings: false });
  }

  override _write(chunk: string | Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    try {
      // A name that came as bytes other than UTF-8 is logged as those bytes, as Redis does.
      const bytes = typeof chunk === 'string' ? encodeBytes(chunk) : chunk;
      if (this.file === null) writeAllToStdout(bytes);
      else appendFileSync(this.file, bytes);
    } catch {
      // Nowhere left to report it.
    }
    done();
  }
}

function writeAllToStdout(bytes: Buffer): void {
  let offset = 0;
  let busyRetries = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(1, bytes, offset);
    } catch (e) {
      // stdout may be a non-blocking pipe that is momentarily full.
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN' || ++busyRetries > 1000) throw e;
    }
  }
}
