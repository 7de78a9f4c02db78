/** What the fuzzers share: ports, our daemon's command line, RSS, printable bytes. */
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bin', 'sentinel.js'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('repository root (package.json and bin/sentinel.js) not found');
    dir = up;
  }
}

/** The command line that starts our daemon on `conf`. */
export function ourDaemonCommand(conf: string): string[] {
  return [process.execPath, join(repoRoot(), 'bin', 'sentinel.js'), conf];
}

/** A loopback port below 32768 (outside Linux's ephemeral range, where outgoing connections take theirs) that is free now. */
export async function freeLowPort(rng: () => number, taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 10000 + Math.floor(rng() * 22000);
    if (taken.has(port) || (port >= 20000 && port <= 20010)) continue;
    const ok = await new Promise<boolean>((res) => {
      const s = createServer();
      s.once('error', () => res(false));
      s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => res(true)));
    });
    if (ok) {
      taken.add(port);
      return port;
    }
  }
  throw new Error('no free port below 32768 in 200 attempts');
}

export function rssKb(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number {
  if (pid === undefined) return 0;
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Printable ASCII as is, everything else escaped (\r, \n, \t, \xNN); quotes and backslashes escaped. */
export function escapeBytes(b: Buffer, max = 2000): string {
  let s = '';
  for (let i = 0; i < Math.min(b.length, max); i++) {
    const c = b[i];
    if (c === 0x0d) s += '\\r';
    else if (c === 0x0a) s += '\\n';
    else if (c === 0x09) s += '\\t';
    else if (c === 0x5c) s += '\\\\';
    else if (c === 0x22) s += '\\"';
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  if (b.length > max) s += `...(${b.length} bytes)`;
  return `"${s}"`;
}
