import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freeLowPort } from '../harness/ports.js';
import type { ManagedProcess } from '../harness/process.js';
import { rawCommand } from '../harness/raw-client.js';
import { waitUntilServing } from '../harness/redis-server.js';
import { useHarness } from '../harness/harness.js';
import type { RespValue } from '../harness/resp.js';

/**
 * The package as a user gets it: `npm pack` of a checkout that was never built (so
 * `prepack` has to build), `npm install -g` of the tarball into a private prefix, and
 * the `sentinel` command it links, run from there with no way back to this checkout.
 */

const REPO = resolve(import.meta.dirname, '../..');
const h = useHarness('npm-package');

/** Process groups of the commands still running, killed if the test ends (by timeout) before they do. */
const running = new Set<number>();
// Registered after useHarness, so it runs before the harness removes the directories they work in.
afterAll(() => {
  for (const pgid of running) killGroup(pgid);
});

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // The group is already gone.
  }
}

interface RunResult {
  code: number | null;
  output: string;
}

/**
 * npm with the environment of a shell, not of the `npm test` that may have started
 * vitest (its npm_* variables would steer the inner npm), and with Node 20 first on PATH
 * because the installed bin starts with `#!/usr/bin/env node`.
 */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  env.PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;
  env.NO_UPDATE_NOTIFIER = '1';
  return env;
}

/**
 * Runs a command in its own process group; past the deadline the whole group is killed
 * by its PID, so neither npm nor the tsc it started outlives the test.
 */
function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolveRun) => {
    const child = spawn(command, args, { cwd, env: childEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const pgid = child.pid;
    if (pgid !== undefined) running.add(pgid);
    const done = (result: RunResult) => {
      clearTimeout(timer);
      if (pgid !== undefined) running.delete(pgid);
      resolveRun(result);
    };
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    const timer = setTimeout(() => {
      output += `\n[killed after ${timeoutMs} ms]`;
      if (pgid !== undefined) killGroup(pgid);
    }, timeoutMs);
    child.on('error', (e) => done({ code: null, output: `${output}\n${e.message}` }));
    child.on('close', (code) => done({ code, output }));
  });
}

/** The checkout as a fresh clone with local changes would have it: git's files, no dist, the installed node_modules. */
function copyCheckout(to: string): void {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO, encoding: 'utf8' });
  for (const file of listed.split('\0')) {
    if (file === '' || !existsSync(join(REPO, file))) continue;
    mkdirSync(dirname(join(to, file)), { recursive: true });
    cpSync(join(REPO, file), join(to, file));
  }
  symlinkSync(realpathSync(join(REPO, 'node_modules')), join(to, 'node_modules'));
}

function bulkFields(reply: RespValue): Record<string, string> {
  if (reply.type !== 'array') throw new Error(`expected an array of fields, got ${reply.type}`);
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < reply.items.length; i += 2) {
    const [k, v] = [reply.items[i], reply.items[i + 1]];
    if (k.type === 'bulk' && v.type === 'bulk') fields[k.value] = v.value;
  }
  return fields;
}

describe('the npm package', () => {
  // 15-30 s here (the build is most of it); the bound leaves room for a loaded machine.
  it('packs the built code without tests, installs with -g and runs as `sentinel`', { timeout: 90_000 }, async () => {
    const checkout = join(h.root, 'checkout');
    const packDir = join(h.root, 'pack');
    const prefix = join(h.root, 'prefix');
    mkdirSync(packDir);
    copyCheckout(checkout);
    expect(existsSync(join(checkout, 'dist'))).toBe(false);

    const pack = await run('npm', ['pack', '--pack-destination', packDir], checkout, 50_000);
    expect(pack.code, pack.output).toBe(0);
    const tarballs = readdirSync(packDir).filter((f) => f.endsWith('.tgz'));
    expect(tarballs).toHaveLength(1);
    const tarball = join(packDir, tarballs[0]);

    const entries = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
      .split('\n')
      .filter((e) => e !== '' && !e.endsWith('/'))
      .map((e) => e.replace(/^package\//, ''));
    expect(entries.filter((e) => /(^|\/)test\/|\.test\.|^src\/|\.ts$|\.map$/.test(e))).toEqual([]);
    expect(entries).toContain('bin/sentinel.js');
    expect(entries).toContain('sentinel.conf.example');
    // Every source module is there compiled, and so is every reply file the daemon reads at run time.
    const sources = readdirSync(join(checkout, 'src'), { recursive: true, encoding: 'utf8' });
    const expected = sources
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .map((f) => `dist/src/${f.replace(/\.ts$/, '.js')}`)
      .concat(readdirSync(join(REPO, 'src/server/fixtures')).map((f) => `dist/src/server/fixtures/${f}`));
    expect(expected.filter((f) => !entries.includes(f))).toEqual([]);

    // The dependencies come from npm's cache when it has them all, else from the registry.
    const installArgs = ['install', '-g', '--prefix', prefix, tarball, '--no-audit', '--no-fund'];
    let install = await run('npm', [...installArgs, '--offline'], packDir, 20_000);
    if (install.code !== 0) install = await run('npm', [...installArgs, '--prefer-offline'], packDir, 30_000);
    expect(install.code, install.output).toBe(0);
    const sentinelBin = join(prefix, 'bin', 'sentinel');

    const version = spawnSync(sentinelBin, ['--version'], { cwd: packDir, env: childEnv(), encoding: 'utf8', timeout: 10_000 });
    const ownVersion = spawnSync(process.execPath, [join(REPO, 'bin', 'sentinel.js'), '--version'], { encoding: 'utf8', timeout: 10_000 });
    expect(version.stdout, version.stderr).toMatch(/^Redis server v=7\.0\.15 sha=\S+ malloc=\S+ bits=64 build=\S+\n$/);
    expect(version.stdout).toBe(ownVersion.stdout);

    let daemon: ManagedProcess | undefined;
    let port = 0;
    for (let attempt = 0; daemon === undefined; attempt++) {
      port = await freeLowPort();
      const masterPort = await freeLowPort();
      const conf = join(h.root, `sentinel-${port}.conf`);
      writeFileSync(conf, `port ${port}\nbind 127.0.0.1\ndir "${h.root}"\nsentinel monitor mymaster 127.0.0.1 ${masterPort} 2\n`);
      const proc = h.startProcess({ name: `installed-sentinel-${port}`, command: sentinelBin, args: [conf], env: childEnv() });
      if ((await waitUntilServing(proc, port, 15_000)) === 'ready') daemon = proc;
      else if (attempt >= 3) throw new Error(`the installed sentinel could not bind a port:\n${proc.logTail(20)}`);
    }

    expect((await rawCommand(port, ['PING'])).bytes.toString()).toBe('+PONG\r\n');
    const masters = (await rawCommand(port, ['SENTINEL', 'MASTERS'])).value;
    expect(masters.type).toBe('array');
    expect(masters.type === 'array' && masters.items.map((m) => bulkFields(m).name)).toEqual(['mymaster']);
    // Served from the reply files, which must have been found inside the installed package.
    const help = await rawCommand(port, ['SENTINEL', 'HELP']);
    expect(help.bytes).toEqual(readFileSync(join(REPO, 'src/server/fixtures/sentinel-7.0.15-SENTINEL-HELP.resp2')));
  });
});
