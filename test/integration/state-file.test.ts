import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { FAST_DEBUG, sentinelDebug, sentinelReply } from '../harness/failover-kit.js';
import {
  answersPing,
  freePort,
  LOOPBACK,
  sentinelConfigText,
  startTopology,
  useHarness,
  waitFor,
  waitForDiscovery,
  type Harness,
  type SentinelOptions,
  type SentinelProcess,
} from '../harness/index.js';
import { OUR_BIN } from '../harness/sentinel.js';
import { parseConfig } from '../../src/config/load.js';

/**
 * Beyond Redis: `sentinel state-file <path>`. Everything the sentinel writes
 * for itself goes to that file (mode 0600); sentinel.conf, read-only, is never
 * written: discovery, a failover, SENTINEL SET / MONITOR / REMOVE and restarts
 * all leave it as it was, byte for byte, inode and mtime included (the suite
 * runs as root in CI, where permission bits stop nothing, hence that check;
 * the second test runs the daemon as an unprivileged user to show the
 * permissions themselves).
 */

interface FileStamp {
  text: string;
  ino: number;
  mtimeMs: number;
  mode: number;
}

function stamp(path: string): FileStamp {
  const st = statSync(path);
  return { text: readFileSync(path, 'utf8'), ino: st.ino, mtimeMs: st.mtimeMs, mode: st.mode & 0o777 };
}

function linesOf(path: string, prefix: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l === prefix || l.startsWith(`${prefix} `));
}

/** sentinel.conf read-only in a read-only directory, as a ConfigMap mount is; the state file elsewhere. */
function makeConfigReadOnly(s: SentinelProcess): void {
  chmodSync(s.configPath, 0o444);
  chmodSync(s.dir, 0o555);
}

/** Gives write permission back so the harness can remove the directory (as a non-root user). */
function makeWritableAgain(s: SentinelProcess): void {
  chmodSync(s.dir, 0o755);
  chmodSync(s.configPath, 0o644);
}

async function startWithStateFile(h: Harness, name: string, stateFile: string, monitors: SentinelOptions['monitors']): Promise<SentinelProcess> {
  const s = await h.startSentinel({ impl: 'ours', name, monitors, configLines: [`sentinel state-file ${stateFile}`] });
  // Written once by the harness before the start, never by the daemon.
  expect(readFileSync(s.configPath, 'utf8')).toBe(sentinelConfigText(s.port, s.dir, { monitors, configLines: [`sentinel state-file ${stateFile}`] }));
  return s;
}

describe('sentinel state-file (Beyond Redis): the state apart from a read-only sentinel.conf', () => {
  const h = useHarness('state-file');
  const readOnly: SentinelProcess[] = [];
  afterEach(() => {
    for (const s of readOnly.splice(0)) makeWritableAgain(s);
  });

  it('discovery, a failover, SET, MONITOR, REMOVE and restarts go to the state file; sentinel.conf stays byte for byte', async () => {
    const t = await startTopology(h, { replicas: 2, sentinels: [], quorum: 2 });
    const gone = await h.startRedis({ name: 'gone' });
    const added = await h.startRedis({ name: 'added' });
    const stateDir = join(h.root, 'state');
    mkdirSync(stateDir);
    const monitors = [
      { name: 'mymaster', port: t.master.port, quorum: 2 },
      { name: 'gone', port: gone.port, quorum: 1 },
    ];
    const sentinels: SentinelProcess[] = [];
    const stateFiles: string[] = [];
    for (let i = 1; i <= 3; i++) {
      const stateFile = join(stateDir, `sentinel${i}.state`);
      stateFiles.push(stateFile);
      sentinels.push(await startWithStateFile(h, `sentinel${i}`, stateFile, monitors));
    }
    for (const s of sentinels) {
      makeConfigReadOnly(s);
      readOnly.push(s);
    }
    const configs = sentinels.map((s) => stamp(s.configPath));
    await Promise.all(sentinels.map((s) => sentinelDebug(s.port, FAST_DEBUG)));
    await waitForDiscovery(h, { ...t, sentinels }, 20_000);

    // Discovery persisted: both replicas and both peers, in the state file.
    for (const path of stateFiles) {
      await waitFor(() => linesOf(path, 'sentinel known-sentinel mymaster').length === 2 && linesOf(path, 'sentinel known-replica mymaster').length === 2, {
        timeoutMs: 10_000,
        description: `${path} to list the 2 replicas and 2 peers`,
      });
      expect(statSync(path).mode & 0o777).toBe(0o600);
    }
    const myids = await Promise.all(sentinels.map((s) => h.queries(s.port).myid()));
    expect(linesOf(stateFiles[0]!, 'sentinel myid')).toEqual([`sentinel myid ${myids[0]}`]);

    // A failover: the new master's address and the new epoch go to every state file.
    expect(await sentinelReply(sentinels[0]!.port, ['SENTINEL', 'FAILOVER', 'mymaster'])).toBe('+OK');
    const promoted = await waitFor(
      async () => {
        const addr = await h.queries(sentinels[2]!.port).masterAddr('mymaster');
        return addr && addr[1] !== String(t.master.port) ? Number(addr[1]) : null;
      },
      { timeoutMs: 30_000, description: 'every sentinel to follow the failover' },
    );
    for (const path of stateFiles) {
      await waitFor(() => linesOf(path, 'sentinel monitor mymaster')[0] === `sentinel monitor mymaster ${LOOPBACK} ${promoted} 2`, {
        timeoutMs: 10_000,
        description: `${path} to name the promoted replica`,
      });
    }
    expect(linesOf(stateFiles[0]!, 'sentinel config-epoch mymaster')).toEqual(['sentinel config-epoch mymaster 1']);
    expect(linesOf(stateFiles[0]!, 'sentinel current-epoch')).toEqual(['sentinel current-epoch 1']);

    // A vote is on disk, in the state file, before the reply that shows it.
    const candidate = 'c'.repeat(40);
    const vote = await h.client(sentinels[1]!.port).call('SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', LOOPBACK, String(promoted), '5', candidate);
    expect(vote).toEqual([0, candidate, 5]);
    expect(linesOf(stateFiles[1]!, 'sentinel leader-epoch mymaster')).toEqual(['sentinel leader-epoch mymaster 5']);
    expect(linesOf(stateFiles[1]!, 'sentinel current-epoch')).toEqual(['sentinel current-epoch 5']);

    // SET, MONITOR, REMOVE on the first sentinel, then a kill -9 and a restart.
    const first = sentinels[0]!;
    expect(await sentinelReply(first.port, ['SENTINEL', 'SET', 'mymaster', 'quorum', '3'])).toBe('+OK');
    expect(await sentinelReply(first.port, ['SENTINEL', 'MONITOR', 'added', LOOPBACK, String(added.port), '1'])).toBe('+OK');
    expect(await sentinelReply(first.port, ['SENTINEL', 'REMOVE', 'gone'])).toBe('+OK');
    expect(linesOf(stateFiles[0]!, 'sentinel monitor')).toEqual([
      `sentinel monitor mymaster ${LOOPBACK} ${promoted} 3`,
      `sentinel monitor added ${LOOPBACK} ${added.port} 1`,
    ]);
    await first.restart();
    const masters = await h.queries(first.port).masters();
    // sentinel.conf still monitors `gone` with quorum 2 at the old address: the state file wins.
    expect(masters.map((m) => [m.name, m.port, m.quorum]).sort()).toEqual([
      ['added', String(added.port), '1'],
      ['mymaster', String(promoted), '3'],
    ]);
    expect(await h.queries(first.port).myid()).toBe(myids[0]);
    expect((await h.queries(first.port).master('mymaster'))['config-epoch']).toBe('1');
    await waitFor(async () => Number((await h.queries(first.port).master('mymaster'))['num-other-sentinels']) === 2, {
      timeoutMs: 10_000,
      description: 'the restarted sentinel to know its 2 peers again',
    });

    for (const [i, s] of sentinels.entries()) expect(stamp(s.configPath)).toEqual(configs[i]);
    for (const path of stateFiles) expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('SENTINEL FLUSHCONFIG and SENTINEL CONFIG SET write the state file too', async () => {
    const master = await h.startRedis();
    const stateFile = join(h.root, 'flush.state');
    const s = await startWithStateFile(h, 'flush', stateFile, [{ name: 'm', port: master.port, quorum: 1 }]);
    makeConfigReadOnly(s);
    readOnly.push(s);
    const config = stamp(s.configPath);
    expect(await sentinelReply(s.port, ['SENTINEL', 'CONFIG', 'SET', 'announce-port', '26999'])).toBe('+OK');
    expect(linesOf(stateFile, 'sentinel announce-port')).toEqual(['sentinel announce-port 26999']);
    // FLUSHCONFIG writes the whole state again: a state file removed by hand comes back.
    rmSync(stateFile);
    expect(await sentinelReply(s.port, ['SENTINEL', 'FLUSHCONFIG'])).toBe('+OK');
    expect(linesOf(stateFile, 'sentinel announce-port')).toEqual(['sentinel announce-port 26999']);
    expect(linesOf(stateFile, 'sentinel monitor m')).toEqual([`sentinel monitor m ${LOOPBACK} ${master.port} 1`]);
    expect(statSync(stateFile).mode & 0o777).toBe(0o600);
    await s.restart();
    expect(await sentinelReply(s.port, ['SENTINEL', 'CONFIG', 'GET', 'announce-port'])).toMatch(/26999/);
    expect(stamp(s.configPath)).toEqual(config);
  });

  it('takes state-file from the command line, and refuses to start when its directory does not exist, naming it', async () => {
    const master = await h.startRedis();
    const missing = join(h.root, 'no-such-dir', 's.state');
    const configPath = await writeConfig(h, master.port, null);
    const proc = h.startProcess({ name: 'missing-dir', command: process.execPath, args: [OUR_BIN, configPath, '--sentinel', 'state-file', missing] });
    const exit = await proc.waitForExit(10_000);
    expect(exit.code).toBe(1);
    expect(proc.log()).toContain(`Sentinel state file directory ${join(h.root, 'no-such-dir')} is not writable: No such file or directory. Exiting...`);
  });
});

/** A sentinel.conf of its own (outside the harness's sentinels) monitoring `masterPort`; returns its path. */
async function writeConfig(h: Harness, masterPort: number, stateFile: string | null, dir?: string): Promise<string> {
  const port = await freePort();
  dir ??= join(h.root, `conf-${port}`);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'sentinel.conf');
  const lines = [`port ${port}`, `bind ${LOOPBACK}`, `sentinel monitor m ${LOOPBACK} ${masterPort} 1`];
  if (stateFile !== null) lines.push(`sentinel state-file ${stateFile}`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

const NOBODY = 65534;

describe('sentinel state-file as an unprivileged user (permission bits apply)', () => {
  const h = useHarness('state-file-user');

  /** The command line that runs `args` as an unprivileged user: `nobody` through setpriv when the suite runs as root. */
  function unprivileged(args: string[]): { command: string; args: string[] } {
    if (process.getuid?.() !== 0) return { command: process.execPath, args };
    return { command: 'setpriv', args: [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, ...args] };
  }

  /** A directory the unprivileged user may write (root hands it over). */
  function ownedDir(path: string): string {
    mkdirSync(path, { recursive: true });
    if (process.getuid?.() === 0) chownSync(path, NOBODY, NOBODY);
    return path;
  }

  it('runs, takes SENTINEL SET and restarts with sentinel.conf 0444 in a 0555 directory; without state-file it refuses as redis-sentinel does', async () => {
    // The user must reach its files through the harness's private temp dir.
    chmodSync(h.root, 0o755);
    const master = await h.startRedis();
    const confDir = join(h.root, 'conf');
    const stateDir = ownedDir(join(h.root, 'state'));
    const stateFile = join(stateDir, 'sentinel.state');
    const configPath = await writeConfig(h, master.port, stateFile, confDir);
    const port = Number(/^port (\d+)$/m.exec(readFileSync(configPath, 'utf8'))![1]);
    chmodSync(configPath, 0o444);
    chmodSync(confDir, 0o555);
    try {
      const config = stamp(configPath);
      const run = unprivileged([OUR_BIN, configPath]);
      const proc = h.startProcess({ name: 'user-sentinel', ...run });
      await waitFor(() => answersPing(port), { timeoutMs: 15_000, description: `the unprivileged sentinel to answer on ${port}` });
      expect(await sentinelReply(port, ['SENTINEL', 'SET', 'm', 'quorum', '4'])).toBe('+OK');
      expect(linesOf(stateFile, 'sentinel monitor m')).toEqual([`sentinel monitor m ${LOOPBACK} ${master.port} 4`]);
      expect(statSync(stateFile).mode & 0o777).toBe(0o600);
      await proc.restart();
      await waitFor(() => answersPing(port), { timeoutMs: 15_000, description: 'the restarted sentinel to answer' });
      const client = h.client(port);
      const shown = (await client.call('SENTINEL', 'MASTER', 'm')) as string[];
      expect(shown[shown.indexOf('quorum') + 1]).toBe('4');
      expect(stamp(configPath)).toEqual(config);

      // The same read-only config without state-file: refused, as redis-sentinel refuses it.
      const plainPath = await writeConfig(h, master.port, null, join(h.root, 'plain'));
      chmodSync(plainPath, 0o444);
      const plain = h.startProcess({ name: 'user-plain', ...unprivileged([OUR_BIN, plainPath]) });
      expect((await plain.waitForExit(10_000)).code).toBe(1);
      expect(plain.log()).toContain(`Sentinel config file ${plainPath} is not writable: Permission denied. Exiting...`);

      // A state file directory the user may not write: refused at start, naming it.
      const lockedPath = await writeConfig(h, master.port, join(h.root, 'locked', 's.state'), join(h.root, 'locked'));
      chmodSync(join(h.root, 'locked'), 0o555);
      const locked = h.startProcess({ name: 'user-locked', ...unprivileged([OUR_BIN, lockedPath]) });
      expect((await locked.waitForExit(10_000)).code).toBe(1);
      expect(locked.log()).toContain(`Sentinel state file directory ${join(h.root, 'locked')} is not writable: Permission denied. Exiting...`);
    } finally {
      for (const dir of [confDir, join(h.root, 'locked')]) if (existsSync(dir)) chmodSync(dir, 0o755);
    }
  });
});

describe('the state file under kill -9', () => {
  const h = useHarness('state-file-crash');
  const KILLS = 12;

  it('every restart loads, the state file is always one complete version, sentinel.conf never moves', async () => {
    const master = await h.startRedis();
    const other = await h.startRedis({ name: 'flicker' });
    const stateFile = join(h.root, 'crash.state');
    const s = await startWithStateFile(h, 'crash', stateFile, [{ name: 'mymaster', port: master.port, quorum: 1, downAfterMs: 5000 }]);
    const config = stamp(s.configPath);
    let value = 5000;
    for (let kill = 0; kill < KILLS; kill++) {
      const client = new Redis({
        port: s.port,
        host: LOOPBACK,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        enableOfflineQueue: false,
      });
      client.on('error', () => {});
      await client.connect();
      const start = value;
      let acknowledged = value;
      let writing = true;
      // Rapid changes of two kinds: a setting, and a master monitored and removed again.
      let flickering = (await h.queries(s.port).masters()).some((m) => m.name === 'flicker');
      const writer = (async () => {
        while (writing) {
          const next = value + 1;
          try {
            await client.call('SENTINEL', 'SET', 'mymaster', 'down-after-milliseconds', String(next));
            value = next;
            acknowledged = next;
            if (flickering) await client.call('SENTINEL', 'REMOVE', 'flicker');
            else await client.call('SENTINEL', 'MONITOR', 'flicker', LOOPBACK, String(other.port), '1');
            flickering = !flickering;
          } catch {
            return;
          }
        }
      })();
      // A different moment each round: after 3 to 14 acknowledged changes.
      const wanted = 3 + ((kill * 7) % 12);
      await waitFor(() => (acknowledged >= start + wanted ? true : null), {
        timeoutMs: 10_000,
        description: `${wanted} SENTINEL SETs acknowledged before the kill`,
      });
      s.kill('SIGKILL');
      writing = false;
      await writer;
      client.disconnect();
      await s.process.waitForExit(5000);

      const text = readFileSync(stateFile, 'utf8');
      // One complete version: it loads, whole lines only, with every entry the state has, and the value of an acknowledged SET or the one in flight.
      expect(text.endsWith('\n')).toBe(true);
      const loaded = parseConfig(readFileSync(s.configPath, 'latin1'), { cwd: s.dir, readStateFile: () => text }).sentinel;
      expect(loaded.myid).toMatch(/^[0-9a-f]{40}$/);
      expect(text).toMatch(/^sentinel current-epoch 0$/m);
      const mine = loaded.masters.find((m) => m.name === 'mymaster');
      expect(mine?.port).toBe(master.port);
      const written = mine!.downAfterMs;
      expect([acknowledged, acknowledged + 1]).toContain(written);

      await s.restart();
      const shown = await h.queries(s.port).master('mymaster');
      expect(Number(shown['down-after-milliseconds'])).toBe(written);
      expect(statSync(stateFile).mode & 0o777).toBe(0o600);
      value = written;
    }
    expect(stamp(s.configPath)).toEqual(config);
  });
});
