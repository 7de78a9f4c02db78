import { describe, expect, it } from 'vitest';
import type { Action } from '../../src/core/actions.js';
import { isMasterDownByAddr } from '../../src/core/election.js';
import { ScriptQueue, SCRIPT_MAX_QUEUE, SCRIPT_MAX_RUNNING } from '../../src/core/scripts.js';
import { REDIS_TIMINGS } from '../../src/core/timing.js';
import { encodeReply } from '../../src/resp/encode.js';
import { sentinelCommand } from '../../src/server/commands/sentinel-subcommands.js';
import { CoreHarness, PEER_ID } from './core-fixture.js';

/*
 * notification-script and client-reconfig-script jobs (§10): which events queue
 * them, with which argv, and how the queue runs, retries, times out and reports
 * them (events, log lines, SENTINEL PENDING-SCRIPTS).
 */

const NOTIFY = '/opt/scripts/notify.sh';
const M = 'master mymaster 127.0.0.1 6379';

function withNotify(): CoreHarness {
  return new CoreHarness((c) => (c.masters[0].notificationScript = NOTIFY));
}

const argvs = (h: CoreHarness) => h.state.scripts.jobs.map((j) => j.argv);

function runScripts(actions: Action[]): Array<{ job: number; argv: string[] }> {
  return actions.flatMap((a) => (a.kind === 'run-script' ? [{ job: a.job, argv: a.argv }] : []));
}

function pendingScripts(h: CoreHarness): string {
  const reply = h.sentinelCommand(['pending-scripts'], { isExecutable: () => true });
  return encodeReply(reply, 2).toString('utf8');
}

const bulk = (s: string) => `$${Buffer.byteLength(s)}\r\n${s}\r\n`;

/** One job of PENDING-SCRIPTS as RESP2 sends it: a flat array of 10. */
function jobReply(argv: string[], running: boolean, pid: number, time: number, retry: number): string {
  return (
    '*10\r\n' +
    bulk('argv') +
    `*${argv.length}\r\n${argv.map(bulk).join('')}` +
    bulk('flags') +
    bulk(running ? 'running' : 'scheduled') +
    bulk('pid') +
    bulk(String(pid)) +
    bulk(running ? 'run-time' : 'run-delay') +
    bulk(String(time)) +
    bulk('retry-num') +
    bulk(String(retry))
  );
}

describe('notification-script', () => {
  it('is queued for a warning event about an instance, with the event type and message', () => {
    const h = withNotify();
    h.advance(100);
    h.connectAll();
    h.advance(7000);
    expect(h.eventLines()).toContain(`+sdown ${M}`);
    expect(argvs(h)).toContainEqual([NOTIFY, '+sdown', M]);
  });

  it("uses the master's script for replica events", () => {
    const h = new CoreHarness((c) => {
      c.masters[0].notificationScript = NOTIFY;
      c.masters[0].knownReplicas = [{ host: '127.0.0.1', port: 6380 }];
    });
    h.advance(100);
    h.connectAll();
    h.advanceAnswering(7000, [h.master]);
    expect(argvs(h)).toEqual([[NOTIFY, '+sdown', 'slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379']]);
  });

  it('is queued for warnings about a master that carry no instance prefix (+new-epoch, +vote-for-leader)', () => {
    const h = withNotify();
    h.command((cx) => isMasterDownByAddr(cx, '127.0.0.1', 6379, 4n, PEER_ID));
    expect(argvs(h)).toEqual([
      [NOTIFY, '+new-epoch', '4'],
      [NOTIFY, '+vote-for-leader', `${PEER_ID} 4`],
    ]);
  });

  it('is not queued for notice, verbose or debug events, nor for events without an instance', () => {
    const h = withNotify();
    h.advance(100);
    h.connectAll();
    h.answer(h.master, 'INFO', { type: 'string', value: 'run_id:' + '1'.repeat(40) + '\r\nrole:master\r\nslave0:ip=127.0.0.1,port=6380,state=online,offset=1,lag=0\r\n' });
    h.command((cx) => cx.emit('verbose', '-role-change', h.master, 'new reported role is slave'));
    h.command((cx) => cx.emit('debug', '-cmd-link-reconnection', h.master, '#Connection refused'));
    h.now += 5000;
    h.tick();
    expect(h.eventLines()).toContain('+slave slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379');
    expect(h.eventLines()).toContain('+tilt #tilt mode entered');
    expect(argvs(h)).toEqual([]);
  });

  it('is not queued when the master has no script', () => {
    const h = new CoreHarness();
    h.advance(100);
    h.advance(7000);
    expect(h.eventLines()).toContain(`+sdown ${M}`);
    expect(h.state.scripts.jobs).toEqual([]);
  });

  it('starts on the next tick with the queued argv, and reports +script-child with the pid (debug)', () => {
    const h = withNotify();
    h.command((cx) => cx.emit('warning', '+sdown', h.master));
    const mark = h.actions.length;
    h.advance(100);
    const started = runScripts(h.actions.slice(mark));
    expect(started.map((s) => s.argv)).toEqual([[NOTIFY, '+sdown', M]]);
    h.step({ kind: 'script-started', job: started[0].job, pid: 4242 });
    expect(h.events.at(-1)).toMatchObject({ level: 'debug', type: '+script-child', message: '4242' });
    h.step({ kind: 'script-exited', pid: 4242, exitCode: 0, signal: 0 });
    expect(h.events.at(-1)).toMatchObject({ level: 'debug', type: '-script-child', message: '4242 0 0' });
    expect(h.state.scripts.jobs).toEqual([]);
    expect(h.events.map((e) => e.type)).not.toContain('-script-error');
  });
});

describe('the script queue', () => {
  it('holds at most 256 jobs, dropping the oldest one that is not running', () => {
    const q = new ScriptQueue();
    q.add(['/a', 'first']);
    q.add(['/a', 'second']);
    q.startPending(1000);
    for (let i = 0; i < SCRIPT_MAX_QUEUE; i++) q.add(['/b', String(i)]);
    expect(q.jobs).toHaveLength(256);
    // The two running jobs stay; the oldest waiting ones went.
    expect(q.jobs.slice(0, 3).map((j) => j.argv[1])).toEqual(['first', 'second', '2']);
    expect(q.jobs.at(-1)?.argv[1]).toBe('255');
  });

  it('drops the oldest job when none runs', () => {
    const q = new ScriptQueue();
    for (let i = 0; i <= SCRIPT_MAX_QUEUE; i++) q.add(['/b', String(i)]);
    expect(q.jobs).toHaveLength(256);
    expect(q.jobs[0].argv[1]).toBe('1');
  });

  it('runs at most 16 jobs at once, oldest first', () => {
    const h = withNotify();
    for (let i = 0; i < 20; i++) h.state.scripts.add(['/x', String(i)]);
    const mark = h.actions.length;
    h.advance(100);
    const started = runScripts(h.actions.slice(mark));
    expect(started.map((s) => s.argv[1])).toEqual([...Array(SCRIPT_MAX_RUNNING).keys()].map(String));
    started.forEach((s, i) => h.step({ kind: 'script-started', job: s.job, pid: 1000 + i }));
    h.advance(100);
    expect(runScripts(h.actions.slice(mark))).toHaveLength(16);
    h.step({ kind: 'script-exited', pid: 1003, exitCode: 0, signal: 0 });
    const before = h.actions.length;
    h.advance(100);
    expect(runScripts(h.actions.slice(before)).map((s) => s.argv[1])).toEqual(['16']);
  });

  it('retries a job that exits with 1 or is killed, 30 s × 2^(n-1) later, for 10 runs in all, then reports -script-error', () => {
    const q = new ScriptQueue();
    q.add(['/retry.sh', 'x']);
    let now = 0;
    const delays: number[] = [];
    let lastStart = 0;
    for (let run = 1; run <= 10; run++) {
      // Find the first moment it starts again.
      while (q.startPending(now).length === 0) now += 100;
      if (run > 1) delays.push(now - lastStart);
      lastStart = now;
      const job = q.jobs[0];
      q.started(job.id, 500 + run);
      expect(job.retryNum).toBe(run);
      const reports = q.exited(500 + run, run % 2 ? 1 : 0, run % 2 ? 0 : 15, now, REDIS_TIMINGS);
      if (run < 10) expect(reports.map((r) => r.type)).toEqual(['-script-child']);
      else {
        expect(reports).toEqual([
          { level: 'debug', type: '-script-child', message: '510 0 15' },
          { level: 'warning', type: '-script-error', message: '/retry.sh 15 0' },
        ]);
      }
    }
    expect(delays).toEqual([30, 60, 120, 240, 480, 960, 1920, 3840, 7680].map((s) => s * 1000));
    expect(q.jobs).toEqual([]);
  });

  it('does not retry other exit codes, and reports them with -script-error <path> <signal> <code>', () => {
    const h = withNotify();
    h.state.scripts.add(['/fails.sh']);
    const mark = h.actions.length;
    h.advance(100);
    h.step({ kind: 'script-started', job: runScripts(h.actions.slice(mark))[0].job, pid: 77 });
    h.step({ kind: 'script-exited', pid: 77, exitCode: 2, signal: 0 });
    expect(h.events.filter((e) => e.type.endsWith('script-error') || e.type === '-script-child').map((e) => [e.level, e.type, e.message])).toEqual([
      ['debug', '-script-child', '77 2 0'],
      ['warning', '-script-error', '/fails.sh 0 2'],
    ]);
    expect(h.state.scripts.jobs).toEqual([]);
  });

  it('reports a failure to start as -script-error <path> 99 0 and tries again on the next tick', () => {
    const h = withNotify();
    h.state.scripts.add(['/x.sh']);
    let mark = h.actions.length;
    h.advance(100);
    const job = runScripts(h.actions.slice(mark))[0].job;
    h.step({ kind: 'script-spawn-failed', job });
    expect(h.events.at(-1)).toMatchObject({ level: 'warning', type: '-script-error', message: '/x.sh 99 0' });
    mark = h.actions.length;
    h.advance(100);
    expect(runScripts(h.actions.slice(mark))).toHaveLength(1);
    expect(h.state.scripts.jobs[0].retryNum).toBe(2);
  });

  it('logs a pid it does not know', () => {
    const h = withNotify();
    h.step({ kind: 'script-exited', pid: 999, exitCode: 0, signal: 0 });
    expect(h.actions.filter((a) => a.kind === 'log').map((a) => a.kind === 'log' && a.message)).toEqual([
      "waitpid() returned a pid (999) we can't find in our scripts execution queue!",
    ]);
  });

  it('kills a script running longer than 60 s with -script-timeout <path> <pid>, then retries it', () => {
    const h = withNotify();
    h.state.scripts.add(['/slow.sh']);
    h.advance(100);
    const startedAt = h.now;
    h.step({ kind: 'script-started', job: runScripts(h.actions)[0].job, pid: 321 });
    // Answer PINGs so the monitoring does not interfere; scripts do not care about TILT.
    h.advanceAnswering(60_000, [h.master]);
    expect(h.actions.some((a) => a.kind === 'kill-script')).toBe(false);
    h.advance(100);
    expect(h.now - startedAt).toBe(60_100);
    expect(h.actions.filter((a) => a.kind === 'kill-script')).toEqual([{ kind: 'kill-script', pid: 321 }]);
    expect(h.events.at(-1)).toMatchObject({ level: 'warning', type: '-script-timeout', message: '/slow.sh 321' });
    h.step({ kind: 'script-exited', pid: 321, exitCode: 0, signal: 9 });
    expect(h.state.scripts.jobs).toMatchObject([{ running: false, retryNum: 1, startTime: h.now + 30_000 }]);
  });
});

describe('SENTINEL PENDING-SCRIPTS', () => {
  it('lists each job as a map of argv, flags, pid, run-time or run-delay, and retry-num', () => {
    const h = withNotify();
    h.state.scripts.add(['/a.sh', 'one']);
    h.state.scripts.add(['/b.sh', 'two', 'three']);
    h.advance(100);
    const [a, b] = runScripts(h.actions);
    h.step({ kind: 'script-started', job: a.job, pid: 11 });
    h.step({ kind: 'script-started', job: b.job, pid: 12 });
    h.now += 250;
    h.step({ kind: 'script-exited', pid: 12, exitCode: 1, signal: 0 });
    h.now += 1000;
    expect(pendingScripts(h)).toBe(
      '*2\r\n' + jobReply(['/a.sh', 'one'], true, 11, 1250, 1) + jobReply(['/b.sh', 'two', 'three'], false, 0, 29_000, 1),
    );
  });

  it('shows a run-delay of 0 for a job waiting for its first run', () => {
    const h = withNotify();
    h.state.scripts.add(['/a.sh']);
    expect(pendingScripts(h)).toBe('*1\r\n' + jobReply(['/a.sh'], false, 0, 0, 0));
  });

  it('is an empty array when nothing is queued', () => {
    expect(pendingScripts(withNotify())).toBe('*0\r\n');
  });
});
