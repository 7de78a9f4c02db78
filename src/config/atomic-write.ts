/**
 * The file side of a config flush, as Redis does it: write a temp file next to
 * the config, fsync it, give it 0644 & ~umask, rename it over the config and
 * fsync the directory, so a crash leaves either the old or the new file.
 * Every step is asynchronous: the disk (an fsync can take long under load)
 * never holds up the event loop.
 */
import { randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { open, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
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
async function createTempFile(path: string): Promise<{ tempPath: string; file: FileHandle }> {
  for (let attempt = 0; ; attempt++) {
    const suffix = [...randomBytes(6)].map((b) => TEMP_CHARS[b % TEMP_CHARS.length]).join('');
    const tempPath = `${path}.${suffix}`;
    try {
      return { tempPath, file: await open(tempPath, 'wx', 0o600) };
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'EEXIST' || attempt >= MAX_TEMP_ATTEMPTS) throw err;
    }
  }
}

function currentUmask(): number {
  // Reading the umask means setting it; put the same value straight back.
  const mask = process.umask(0o022);
  process.umask(mask);
  return mask;
}

/** fsync the directory holding `path`; file systems that cannot are not an error. */
async function fsyncDirectoryOf(path: string): Promise<void> {
  let dir: FileHandle;
  try {
    dir = await open(dirname(path), 'r');
  } catch (err) {
    if ((err as { code?: unknown }).code === 'EISDIR') return;
    throw err;
  }
  try {
    await dir.sync();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code !== 'EBADF' && code !== 'EINVAL') throw err;
  } finally {
    await dir.close();
  }
}

/**
 * Replaces the file at `path` with `content` atomically; rejects with ConfigWriteError and leaves no temp file on failure.
 * `mode`: the file's exact mode, whatever the umask; default 0644 & ~umask, as Redis gives its config.
 */
export async function writeFileAtomic(path: string, content: string, mode?: number): Promise<void> {
  let temp: { tempPath: string; file: FileHandle };
  try {
    temp = await createTempFile(path);
  } catch (err) {
    throw toWriteError(err);
  }
  let fileOpen = true;
  try {
    await temp.file.writeFile(encodeBytes(content));
    await temp.file.sync();
    await temp.file.chmod(mode ?? (0o644 & ~currentUmask()));
    await temp.file.close();
    fileOpen = false;
    await rename(temp.tempPath, path);
    await fsyncDirectoryOf(path);
  } catch (err) {
    if (fileOpen) await temp.file.close().catch(() => {});
    // Gone already (renamed) or never written: the original error is the one to report.
    await unlink(temp.tempPath).catch(() => {});
    throw toWriteError(err);
  }
}

/** The current config text for a rewrite: null when the file does not exist; ConfigWriteError when it cannot be read (e.g. a directory). */
export async function readConfigForRewrite(path: string): Promise<string | null> {
  try {
    return decodeBytes(await readFile(path));
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return null;
    throw toWriteError(err);
  }
}

/**
 * Reads, rewrites and atomically replaces the config file. `render` gets the
 * old text (see rewriteConfig). Rejects with ConfigWriteError.
 */
export async function flushConfigFile(
  path: string,
  render: (oldText: string | null) => string | Promise<string>,
  mode?: number,
): Promise<void> {
  await writeFileAtomic(path, await render(await readConfigForRewrite(path)), mode);
}

/**
 * Beyond Redis, the start-up check for the state file: a new version is a temp file renamed
 * over it, so its directory must be writable. Null when it is, else the strerror text.
 */
export function checkDirectoryWritable(dir: string): string | null {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    return null;
  } catch (err) {
    return strerror(err);
  }
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
