import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useHarness, waitFor, type SentinelImpl, type SentinelProcess } from '../harness/index.js';
import { NotifySocket, withoutNotifySocket, type Datagram } from '../harness/notify-socket.js';
import { withoutRealSentinel } from '../harness/real-sentinel.js';

/**
 * `supervised systemd` / `auto` with $NOTIFY_SOCKET: the datagrams a service manager gets
 * and the log lines about supervision are redis-sentinel 7.0's, on a socket the test binds
 * the way systemd does (SO_PASSCRED, so each datagram names its sender).
 */

const SUITE = 'systemd readiness notification';
const SUPERVISION_LINES = /upervis|oO0OoO0OoO0Oo|Sentinel ID is|\+monitor|Received SIGTERM|User requested shutdown|ready to exit/;
/** What redis-sentinel 7.0.15 sends from start to SIGTERM, one datagram each. */
const LIFECYCLE = ['STATUS=Redis is loading...\n', 'STATUS=Ready to accept connections\n', 'READY=1\n', 'STOPPING=1\n'];

const h = useHarness('systemd-notify', { scope: 'test' });
let sockets = 0;
/** A socket path of its own under the harness dir (sun_path holds 107 bytes). */
const socketPath = (impl: SentinelImpl) => join(h.root, `notify-${impl}-${++sockets}`);

interface Run {
  datagrams: Datagram[];
  /** The log lines about supervision, in order, without pid and time. */
  lines: string[];
  /** Those logged by the time READY=1 arrived. */
  linesAtReady: string[];
  supervised: string | undefined;
  /** Who sent READY=1: the sentinel itself, or a child of it. */
  readySender: 'self' | 'child' | 'other' | null;
}

/** Running: not gone and not a zombie. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function parentOf(pid: number): number | null {
  try {
    // Fields after the command's closing parenthesis: state, ppid, ...
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

function supervisionLines(sentinel: SentinelProcess): string[] {
  return sentinel.process
    .log()
    .split('\n')
    .filter((l) => SUPERVISION_LINES.test(l))
    .map((l) =>
      l
        .replace(/^\d+:(X \d{2} \w{3} \d{4} [\d:.]+ |signal-handler \(\d+\) )/, '')
        .replace(/^# Sentinel ID is [0-9a-f]{40}$/, '# Sentinel ID is <id>')
        .replace(/^(# \+monitor master m 127\.0\.0\.1) \d+ (quorum 1)$/, '$1 <port> $2'),
    );
}

/**
 * Starts `impl` with `--supervised <mode>` and NOTIFY_SOCKET=<socketName> (bound by a
 * receiver unless `bind` is false), then stops it with SIGTERM, as systemctl stop does.
 */
async function lifecycle(impl: SentinelImpl, mode: 'systemd' | 'auto', socketName: string, bind = true): Promise<Run> {
  const receiver = bind ? await NotifySocket.start(h, `notify-${impl}`, socketName) : null;
  const sentinel = await h.startSentinel({
    impl,
    name: impl,
    monitors: [{ name: 'm', port: await h.port(), quorum: 1 }],
    // As packaging/systemd/ts-sentinel.service starts it, and verbose for the auto-detection line.
    args: ['--supervised', mode, '--daemonize', 'no', '--loglevel', 'verbose'],
    env: { ...process.env, NOTIFY_SOCKET: socketName },
  });
  let readySender: Run['readySender'] = null;
  let helper: number | null = null;
  let linesAtReady: string[] = [];
  if (receiver) {
    const ready = await receiver.waitFor('READY=1\n');
    linesAtReady = supervisionLines(sentinel);
    if (ready.pid === sentinel.pid) readySender = 'self';
    else readySender = ready.pid !== null && parentOf(ready.pid) === sentinel.pid ? 'child' : 'other';
    if (readySender === 'child') helper = ready.pid;
  }
  // Our daemon may answer PING before its first config write is done and its ID logged; Redis cannot.
  await sentinel.process.waitForLog(/\+monitor master m /, { timeoutMs: 10_000 });
  const info = String(await h.client(sentinel.port).call('INFO', 'server'));
  const supervised = /process_supervised:(\w+)/.exec(info)?.[1];
  sentinel.kill('SIGTERM');
  const exit = await sentinel.process.waitForExit(10_000);
  expect(exit.code, `${impl} exit`).toBe(0);
  if (receiver) await receiver.waitFor('STOPPING=1\n', 5_000);
  if (helper !== null) {
    const pid = helper;
    await waitFor(() => !running(pid), { timeoutMs: 5_000, description: `the notify helper ${pid} ends with the sentinel` });
  }
  return { datagrams: receiver?.datagrams() ?? [], lines: supervisionLines(sentinel), linesAtReady, supervised, readySender };
}

describe.skipIf(withoutRealSentinel(SUITE) || withoutNotifySocket(SUITE))(SUITE, () => {
  it('supervised systemd, socket at a path: the same datagrams and log lines as redis-sentinel', async () => {
    const redis = await lifecycle('redis', 'systemd', socketPath('redis'));
    const ours = await lifecycle('ours', 'systemd', socketPath('ours'));
    expect(redis.datagrams.map((d) => d.data)).toEqual(LIFECYCLE);
    expect(ours.datagrams.map((d) => d.data)).toEqual(redis.datagrams.map((d) => d.data));
    expect(redis.lines).toEqual([
      'Supervised by systemd. Please make sure you set appropriate values for TimeoutStartSec and TimeoutStopSec in your service unit.'.replace(
        /^/,
        '* ',
      ),
      '# oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo',
      '# Sentinel ID is <id>',
      '# +monitor master m 127.0.0.1 <port> quorum 1',
      'Received SIGTERM scheduling shutdown...',
      '# User requested shutdown...',
      '# Sentinel is now ready to exit, bye bye...',
    ]);
    expect(ours.lines).toEqual(redis.lines);
    // READY=1 once the ID and the monitors are logged.
    expect(redis.linesAtReady).toEqual(redis.lines.slice(0, 4));
    expect(ours.linesAtReady).toEqual(redis.linesAtReady);
    expect(ours.supervised).toBe('systemd');
    expect(redis.supervised).toBe('systemd');
    // The one difference, why the unit says NotifyAccess=all: our datagrams come from a helper child.
    expect(redis.readySender).toBe('self');
    expect(ours.readySender).toBe('child');
  });

  it('an abstract socket (@name), as systemd may pass', async () => {
    const tag = `ts-sentinel-test-${process.pid}-${Date.now()}`;
    const redis = await lifecycle('redis', 'systemd', `@${tag}-redis`);
    const ours = await lifecycle('ours', 'systemd', `@${tag}-ours`);
    expect(redis.datagrams.map((d) => d.data)).toEqual(LIFECYCLE);
    expect(ours.datagrams.map((d) => d.data)).toEqual(LIFECYCLE);
    expect(ours.lines).toEqual(redis.lines);
  });

  it('supervised auto with NOTIFY_SOCKET set: detected, then the same as systemd', async () => {
    const redis = await lifecycle('redis', 'auto', socketPath('redis'));
    const ours = await lifecycle('ours', 'auto', socketPath('ours'));
    expect(redis.lines[0]).toBe('- Systemd supervision detected.');
    expect(redis.datagrams.map((d) => d.data)).toEqual(LIFECYCLE);
    expect(ours.datagrams.map((d) => d.data)).toEqual(LIFECYCLE);
    expect(ours.lines).toEqual(redis.lines);
    expect(ours.supervised).toBe(redis.supervised);
  });

  it('supervised systemd with nobody listening: every attempt fails and is logged as redis-sentinel logs it', async () => {
    const redis = await lifecycle('redis', 'systemd', socketPath('redis'), false);
    const ours = await lifecycle('ours', 'systemd', socketPath('ours'), false);
    expect(redis.lines.filter((l) => l === '# systemd supervision error: sd_notify: -2')).toHaveLength(4);
    expect(ours.lines).toEqual(redis.lines);
    expect(ours.supervised).toBe('no');
    expect(redis.supervised).toBe('no');
  });
});
