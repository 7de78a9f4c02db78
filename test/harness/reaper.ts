import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Vitest ends its worker processes with SIGTERM, so neither afterAll nor an
 * 'exit' hook runs when a worker is torn down early. A detached shell per
 * worker watches the worker's PID and, once it is gone, SIGKILLs the children,
 * removes the containers (container backend) and the directories still listed
 * here. Entries are dropped as soon as a child exits or a directory is removed,
 * so a reused PID is never hit.
 */
const REAPER_SCRIPT = `
while kill -0 "$0" 2>/dev/null; do sleep 1; done
[ -f "$1" ] || exit 0
while read -r kind value; do
  case "$kind" in
    pid) kill -9 "$value" 2>/dev/null ;;
    dir) rm -rf "$value" ;;
    container) docker rm -f "$value" >/dev/null 2>&1 ;;
  esac
done < "$1"
rm -f "$1"
`;

type Kind = 'pid' | 'dir' | 'container';

const listFile = join(tmpdir(), `ts-sentinel-reaper-${process.pid}.list`);
let started = false;

function ensureReaper(): void {
  if (started) return;
  started = true;
  writeFileSync(listFile, '');
  spawn('sh', ['-c', REAPER_SCRIPT, String(process.pid), listFile], { detached: true, stdio: 'ignore' }).unref();
  // A normal exit cleans up by itself (see process.ts, temp-dir.ts); the reaper then finds nothing to do.
  process.on('exit', () => rmSync(listFile, { force: true }));
}

/** Kill this PID / remove this dir if the test worker dies before cleaning up. */
export function reapIfOrphaned(kind: Kind, value: string): void {
  if (/[\n\r]/.test(value)) throw new Error(`cannot register ${JSON.stringify(value)} with the reaper`);
  ensureReaper();
  appendFileSync(listFile, `${kind} ${value}\n`);
}

/** The entry was cleaned up normally. */
export function forgetOrphan(kind: Kind, value: string): void {
  if (!started || !existsSync(listFile)) return;
  const entry = `${kind} ${value}`;
  const kept = readFileSync(listFile, 'utf8')
    .split('\n')
    .filter((line) => line !== '' && line !== entry);
  writeFileSync(listFile, kept.map((l) => `${l}\n`).join(''));
}
