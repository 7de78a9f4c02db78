import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../harness/index.js';

/**
 * packaging/systemd/ts-sentinel.service: accepted by systemd-analyze without a word, with
 * Debian's redis-sentinel hardening (but MemoryDenyWriteExecute), Type=notify.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const UNIT = join(ROOT, 'packaging/systemd/ts-sentinel.service');
const DEBIAN_UNIT = '/lib/systemd/system/redis-sentinel.service';

function systemdAnalyze(): string | null {
  const r = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  if (r.status === 0) return 'systemd-analyze';
  process.stderr.write('\n*** SKIPPED: "systemd unit verification" needs systemd-analyze (Debian: apt-get install systemd). ***\n\n');
  return null;
}

/** `Key=value` lines of the [Service] section, repeated keys kept in order. */
function serviceSettings(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('[')) section = line;
    else if (section === '[Service]') {
      const eq = line.indexOf('=');
      out.push([line.slice(0, eq), line.slice(eq + 1)]);
    }
  }
  return out;
}

const h = useHarness('systemd-unit');

/**
 * verify exits 0 on unknown keys and unparsable values, printing a warning: silence is the check.
 * --man=no: whether a man page is installed says nothing about the unit.
 */
function verify(unitPath: string): { status: number | null; output: string } {
  const r = spawnSync('systemd-analyze', ['verify', '--man=no', unitPath], { cwd: h.root, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

/**
 * A copy whose paths exist here, so that verify checks the command it would run:
 * the node running this test and this checkout's bin/sentinel.js.
 */
function localCopy(name: string, edit: (text: string) => string = (t) => t): string {
  const dir = join(h.root, name);
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(conf, 'port 0\n');
  const text = readFileSync(UNIT, 'utf8')
    .replaceAll('/usr/bin/node', process.execPath)
    .replaceAll('/usr/lib/ts-sentinel/bin/sentinel.js', join(ROOT, 'bin/sentinel.js'))
    .replaceAll('/etc/ts-sentinel/sentinel.conf', conf);
  const path = join(dir, 'ts-sentinel.service');
  writeFileSync(path, edit(text));
  return path;
}

describe.skipIf(systemdAnalyze() === null)('systemd unit verification', () => {
  it('systemd-analyze verify accepts it, as installed and pointed at this checkout, without any warning', () => {
    const local = localCopy('local');
    expect(readFileSync(local, 'utf8')).toContain(`ExecStart=${process.execPath} ${join(ROOT, 'bin/sentinel.js')} `);
    expect(verify(local)).toEqual({ status: 0, output: '' });
    // As shipped, /usr/bin/node must exist for verify (it checks the executable only).
    if (existsSync('/usr/bin/node')) expect(verify(UNIT)).toEqual({ status: 0, output: '' });
  });

  it('the verification can fail: a misspelt key is reported, a missing executable refused', () => {
    const typo = verify(localCopy('typo', (t) => t.replace('UMask=007', 'UMsk=007')));
    expect(typo.output).toContain("Unknown key 'UMsk'");
    const missing = verify(localCopy('missing', (t) => t.replace(`ExecStart=${process.execPath}`, 'ExecStart=/nonexistent/node')));
    expect(missing.status).not.toBe(0);
    expect(missing.output).toContain('/nonexistent/node');
  });
});

describe('systemd unit contents', () => {
  const settings = serviceSettings(readFileSync(UNIT, 'utf8'));
  const values = (key: string) => settings.filter(([k]) => k === key).map(([, v]) => v);

  it('Type=notify with NotifyAccess=all (the notifications come from a helper process) and --supervised systemd', () => {
    expect(values('Type')).toEqual(['notify']);
    expect(values('NotifyAccess')).toEqual(['all']);
    expect(values('ExecStart')).toEqual([
      '/usr/bin/node /usr/lib/ts-sentinel/bin/sentinel.js /etc/ts-sentinel/sentinel.conf --supervised systemd --daemonize no',
    ]);
  });

  it('never MemoryDenyWriteExecute, which V8 cannot run under', () => {
    expect(values('MemoryDenyWriteExecute')).toEqual([]);
  });

  it.skipIf(!existsSync(DEBIAN_UNIT))("keeps every hardening setting of Debian's redis-sentinel unit", () => {
    // What differs on purpose: paths and names of ours, and the settings said above.
    const ownPaths = new Set(['ExecStart', 'PIDFile', 'User', 'Group', 'RuntimeDirectory', 'ReadWritePaths', 'ReadWriteDirectories', 'ExecPaths']);
    const theirs = serviceSettings(readFileSync(DEBIAN_UNIT, 'utf8')).filter(([k]) => !ownPaths.has(k) && k !== 'MemoryDenyWriteExecute');
    expect(theirs.length).toBeGreaterThan(25);
    for (const [key, value] of theirs) expect(values(key), key).toContain(value);
    expect(values('ExecPaths')).toEqual(['/usr/bin/node /usr/bin/perl /usr/lib /lib']);
  });
});
