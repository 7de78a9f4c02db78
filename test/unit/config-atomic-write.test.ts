import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkWritable, ConfigWriteError, flushConfigFile, readConfigForRewrite, writeFileAtomic } from '../../src/config/atomic-write.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cfg-write-'));
});
afterEach(() => {
  chmodSync(dir, 0o755);
  rmSync(dir, { recursive: true, force: true });
});

async function thrown(fn: () => Promise<unknown>): Promise<ConfigWriteError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof ConfigWriteError) return err;
    throw err;
  }
  throw new Error('expected a ConfigWriteError');
}

describe('writeFileAtomic', () => {
  it('replaces the file and leaves no temp file behind', async () => {
    const path = join(dir, 'sentinel.conf');
    writeFileSync(path, 'old\n');
    await writeFileAtomic(path, 'port 26379\nsentinel myid x\n');
    expect(readFileSync(path, 'utf8')).toBe('port 26379\nsentinel myid x\n');
    expect(readdirSync(dir)).toEqual(['sentinel.conf']);
  });

  it('creates a missing file with mode 0644 minus the umask', async () => {
    const path = join(dir, 'new.conf');
    await writeFileAtomic(path, 'x\n');
    const mask = process.umask(0o022);
    process.umask(mask);
    expect(statSync(path).mode & 0o777).toBe(0o644 & ~mask);
  });

  it('fails with the strerror text and cleans up when the rename fails (path is a directory)', async () => {
    const path = join(dir, 'conf.d');
    mkdirSync(path);
    writeFileSync(join(path, 'keep'), 'k');
    const err = await thrown(() => writeFileAtomic(path, 'data\n'));
    expect(err.code).toBe('EISDIR');
    expect(err.message).toBe('Is a directory');
    expect(readdirSync(dir)).toEqual(['conf.d']);
    expect(readdirSync(path)).toEqual(['keep']);
  });

  it('fails when the temp file cannot be created', async () => {
    const err = await thrown(() => writeFileAtomic(join(dir, 'missing', 'sentinel.conf'), 'x'));
    expect(err.message).toBe('No such file or directory');
  });
});

describe('flushConfigFile', () => {
  it('passes the old text (or null) to the renderer and writes the result', async () => {
    const path = join(dir, 's.conf');
    const seen: Array<string | null> = [];
    await flushConfigFile(path, (old) => {
      seen.push(old);
      return 'a\n';
    });
    await flushConfigFile(path, (old) => {
      seen.push(old);
      return `${old}b\n`;
    });
    expect(seen).toEqual([null, 'a\n']);
    expect(readFileSync(path, 'utf8')).toBe('a\nb\n');
  });

  it('cannot read a directory as the old file', async () => {
    const path = join(dir, 'd');
    mkdirSync(path);
    expect((await thrown(() => readConfigForRewrite(path))).message).toBe('Is a directory');
  });
});

describe('checkWritable', () => {
  it('returns null for a writable file and the strerror text otherwise', () => {
    const path = join(dir, 's.conf');
    writeFileSync(path, '');
    expect(checkWritable(path)).toBeNull();
    expect(checkWritable(join(dir, 'absent.conf'))).toBe('No such file or directory');
  });

  it.skipIf(process.getuid?.() === 0)('reports Permission denied for a read-only file (as a user: root may write it)', () => {
    const path = join(dir, 's.conf');
    writeFileSync(path, '');
    chmodSync(path, 0o444);
    expect(checkWritable(path)).toBe('Permission denied');
  });

  // CI runs as root, for whom no file mode makes a file unwritable: a read-only mount does.
  it.skipIf(process.getuid?.() !== 0)('reports Read-only file system for a file on a read-only mount (as root)', (ctx) => {
    const mountPoint = join(dir, 'ro');
    mkdirSync(mountPoint);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint], { stdio: 'pipe' });
    } catch (e) {
      process.stderr.write(`\n*** SKIPPED: cannot mount a tmpfs to make a read-only file as root: ${(e as Error).message} ***\n\n`);
      ctx.skip();
    }
    try {
      const path = join(mountPoint, 's.conf');
      writeFileSync(path, '');
      expect(checkWritable(path)).toBeNull();
      execFileSync('mount', ['-o', 'remount,ro', mountPoint], { stdio: 'pipe' });
      expect(checkWritable(path)).toBe('Read-only file system');
    } finally {
      execFileSync('umount', [mountPoint], { stdio: 'pipe' });
    }
  });
});
