import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forgetOrphan, reapIfOrphaned } from './reaper.js';

const created = new Set<string>();
let exitHookInstalled = false;

function keep(): boolean {
  return Boolean(process.env.HARNESS_KEEP_TMP);
}

/** A fresh private directory under the system temp dir, removed at exit at the latest. */
export function makeTempDir(label: string): string {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      if (!keep()) for (const dir of created) rmSync(dir, { recursive: true, force: true });
    });
  }
  const dir = mkdtempSync(join(tmpdir(), `ts-sentinel-${label.replace(/[^A-Za-z0-9_-]/g, '_')}-`));
  created.add(dir);
  if (!keep()) reapIfOrphaned('dir', dir);
  return dir;
}

export function removeDir(path: string): void {
  rmSync(path, { recursive: true, force: true, maxRetries: 3 });
  created.delete(path);
  forgetOrphan('dir', path);
}
