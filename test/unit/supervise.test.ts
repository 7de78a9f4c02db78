import { describe, expect, it } from 'vitest';
import type { Supervised } from '../../src/config/server-options.js';
import type { Logger, LogLevel } from '../../src/events/log.js';
import { perlNotifier } from '../../src/supervision/sd-notify.js';
import { supervise } from '../../src/supervision/supervise.js';

const SUPERVISED_LINE =
  'Supervised by systemd. Please make sure you set appropriate values for TimeoutStartSec and TimeoutStopSec in your service unit.';

function recordingLogger(lines: string[]): Logger {
  return {
    log: (level: LogLevel, message: string) => lines.push(`${level} ${message}`),
    signalHandler: () => {},
    setLevel: () => {},
    level: () => 'debug',
    close: async () => {},
  };
}

/** Runs supervise() through start, ready and shutdown, with sd_notify answering `result`. */
async function lifecycle(configured: Supervised, env: NodeJS.ProcessEnv, result: number) {
  const lines: string[] = [];
  const sent: string[] = [];
  let stopped = 0;
  const s = await supervise(configured, recordingLogger(lines), {
    env,
    notifier: { send: async (m) => (sent.push(m), result) },
    stopSelf: () => stopped++,
  });
  lines.push('-- ready');
  await s.ready();
  lines.push('-- stopping');
  await s.stopping();
  return { supervised: s.supervised, lines, sent, stopped, env };
}

describe('supervise (redisIsSupervised)', () => {
  it('systemd: loading, ready, stopping, each its own message, and the notice before anything else', async () => {
    const r = await lifecycle('systemd', { NOTIFY_SOCKET: '/run/x' }, 1);
    expect(r.supervised).toBe('systemd');
    expect(r.sent).toEqual(['STATUS=Redis is loading...\n', 'STATUS=Ready to accept connections\n', 'READY=1\n', 'STOPPING=1\n']);
    expect(r.lines).toEqual([`notice ${SUPERVISED_LINE}`, '-- ready', '-- stopping']);
  });

  it('systemd without a socket: INFO says no, yet every message is tried and its failure logged, as in Redis', async () => {
    const r = await lifecycle('systemd', {}, 0);
    const notFound = 'warning systemd supervision error: NOTIFY_SOCKET not found!';
    expect(r.supervised).toBe('no');
    expect(r.sent).toHaveLength(4);
    expect(r.lines).toEqual([notFound, '-- ready', notFound, notFound, '-- stopping', notFound]);
  });

  it('auto with NOTIFY_SOCKET: detected (verbose), then as systemd', async () => {
    const r = await lifecycle('auto', { NOTIFY_SOCKET: '@x' }, 1);
    expect(r.supervised).toBe('systemd');
    expect(r.lines[0]).toBe('verbose Systemd supervision detected.');
    expect(r.sent).toHaveLength(4);
  });

  it('auto whose first message fails: one error, and systemd is told nothing more', async () => {
    const r = await lifecycle('auto', { NOTIFY_SOCKET: '/nope' }, -2);
    expect(r.supervised).toBe('no');
    expect(r.sent).toEqual(['STATUS=Redis is loading...\n']);
    expect(r.lines).toEqual(['verbose Systemd supervision detected.', 'warning systemd supervision error: sd_notify: -2', '-- ready', '-- stopping']);
  });

  it('auto without either variable, and no: nothing sent, nothing logged', async () => {
    for (const mode of ['auto', 'no'] as const) {
      const r = await lifecycle(mode, {}, 1);
      expect(r.supervised).toBe('no');
      expect(r.sent).toEqual([]);
      expect(r.lines).toEqual(['-- ready', '-- stopping']);
    }
  });

  it('upstart: stops itself once, forgets UPSTART_JOB; auto prefers upstart to systemd', async () => {
    const r = await lifecycle('auto', { UPSTART_JOB: 'sentinel', NOTIFY_SOCKET: '/run/x' }, 1);
    expect(r.supervised).toBe('upstart');
    expect(r.stopped).toBe(1);
    expect(r.env.UPSTART_JOB).toBeUndefined();
    expect(r.sent).toEqual([]);
    expect(r.lines).toEqual(['verbose Upstart supervision detected.', 'notice supervised by upstart, will stop to signal readiness.', '-- ready', '-- stopping']);
  });

  it('upstart without UPSTART_JOB: a warning, not supervised, not stopped', async () => {
    const r = await lifecycle('upstart', {}, 1);
    expect(r.supervised).toBe('no');
    expect(r.stopped).toBe(0);
    expect(r.lines[0]).toBe('warning upstart supervision requested, but UPSTART_JOB not found!');
  });
});

describe('perlNotifier: the NOTIFY_SOCKET values sd_notify() refuses before sending', () => {
  it('unset is 0; not absolute nor abstract, bare, or too long for sun_path is -EINVAL', async () => {
    expect(await perlNotifier(undefined).send('READY=1\n')).toBe(0);
    for (const bad of ['', 'run/notify', '@', '/', `/${'a'.repeat(107)}`, `@${'a'.repeat(108)}`]) {
      expect(await perlNotifier(bad).send('READY=1\n'), bad).toBe(-22);
    }
  });

  it('a socket that does not exist is -ENOENT, from the helper', async () => {
    expect(await perlNotifier('/nonexistent/ts-sentinel-notify').send('READY=1\n')).toBe(-2);
  });

  it('without perl, the spawn error', async () => {
    expect(await perlNotifier('/run/x', '/nonexistent/perl').send('READY=1\n')).toBe(-2);
  });
});
