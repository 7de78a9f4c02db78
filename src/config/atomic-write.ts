/**
 * The file side of a config flush, as Redis does it: write a temp file next to
 * the config, fsync it, give it 0644 & ~umask, rename it over the config and
 * fsync the directory, so a crash leaves either the old or the new file.
 */
import { randomBytes } from 'node:crypto';
import { accessSync, closeSync, constants, fchmodSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { decodeBytes, encodeBytes } from './split-args.js';
import { strerror } from './strerror.js';

/** A failed flush. `message` is the strerror text Redis logs after "...save the new configuration on disk!!!: ". */
export class ConfigWriteError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConfigWriteError';
  }
}

function toWriteError(err: unknown): ConfigWriteError {
  if (err instanceof ConfigWriteError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  return new ConfigWriteError(typeof code === 'string' ? code : 'EIO', strerror(err));
}

const TEMP_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const MAX_TEMP_ATTEMPTS = 100;

/** mkstemp("<path>.XXXXXX"): a new file only we opened, mode 0600. */
function createTempFile(path: string): { tempPath: string; fd: number } {
  for (let attempt = 0; ; attempt++) {
    const suffix = [...randomBytes(6)].map((b) => TEMP_CHARS[b % TEMP_CHARS.length]).join('');
    const tempPath = `${path}.${suffix}`;
    try {
      return { tempPath, fd: openSync(tempPath, 'wx', 0o600) };
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'EEXIST' || attempt >= MAX_TEMP_ATTEMPTS) throw err;
    }
  }
}

export function currentUmask(): number {
  // Reading the umask means setting it; put the same value straight back.
  const mask = process.umask(0o022);
  process.umask(mask);
  return mask;
}

/** fsync the directory holding `path`; file systems that cannot are not an error. */
function fsyncDirectoryOf(path: string): void {
  let fd: number;
  try {
    fd = openSync(dirname(path), 'r');
  } catch (err) {
    if ((err as { code?: unknown }).code === 'EISDIR') return;
    throw err;
  }
  try {
    fsyncSync(fd);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code !== 'EBADF' && code !== 'EINVAL') throw err;
  } finally {
    closeSync(fd);
  }
}

export interface WriteOptions {
  /** The process umask; read here when not given (a worker thread cannot read it: reading means setting). */
  umask?: number;
}

/** Replaces the file at `path` with `content` atomically; throws ConfigWriteError and leaves no temp file on failure. */
export function writeFileAtomic(path: string, content: string, opts: WriteOptions = {}): void {
  let temp: { tempPath: string; fd: number };
  try {
    temp = createTempFile(path);
  } catch (err) {
    throw toWriteError(err);
  }
  let fdOpen = true;
  try {
    const bytes = encodeBytes(content);
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(temp.fd, bytes, offset, bytes.length - offset);
    fsyncSync(temp.fd);
    fchmodSync(temp.fd, 0o644 & ~(opts.umask ?? currentUmask()));
    closeSync(temp.fd);
    fdOpen = false;
    renameSync(temp.tempPath, path);
    fsyncDirectoryOf(path);
  } catch (err) {
    if (fdOpen) {
      try {
        closeSync(temp.fd);
      } catch {
        // Already failing; the original error is the one to report.
      }
    }
    try {
      unlinkSync(temp.tempPath);
    } catch {
      // Gone already (renamed) or never written.
    }
    throw toWriteError(err);
  }
}

/** The current config text for a rewrite: null when the file does not exist; ConfigWriteError when it cannot be read (e.g. a directory). */
export function readConfigForRewrite(path: string): string | null {
  try {
    return decodeBytes(readFileSync(path));
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return null;
    throw toWriteError(err);
  }
}

/**
 * Reads, rewrites and atomically replaces the config file. `render` gets the
 * old text (see rewriteConfig). Throws ConfigWriteError.
 */
export function flushConfigFile(path: string, render: (oldText: string | null) => string, opts: WriteOptions = {}): void {
  writeFileAtomic(path, render(readConfigForRewrite(path)), opts);
}

/** The start-up check: null when the file is writable, else the strerror text (`Permission denied`). */
export function checkWritable(path: string): string | null {
  try {
    accessSync(path, constants.W_OK);
    return null;
  } catch (err) {
    return strerror(err);
  }
}
