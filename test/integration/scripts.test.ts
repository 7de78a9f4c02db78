import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import {
  implUnderTest,
  pidAlive,
  rawCommand,
  sentinelsUnderTest,
  showResp,
  useHarness,
  waitFor,
  type Harness,
  type RespValue,
  type SentinelProcess,
} from '../harness/index.js';
import {
  FAST_DEBUG,
  infoFields,
  masterAt,
  replicaAt,
  scriptLog,
  sentinelDebug,
  sentinelReply,
  startTunedTopology,
  waitForReplicaOf,
  writeArgvScript,
} from '../harness/failover-kit.js';

/**
 * notification-script and client-reconfig-script (§10): what they are run
 * with, SENTINEL PENDING-SCRIPTS while one runs, and the retry of a script
 * that exits 1.
 */

const DOWN_AFTER_MS = 1000;
const FAILOVER_TIMEOUT_MS = 10_000;

describe('sentinel scripts', () => {
  const h = useHarness('scripts');

  it.concurrent('notification-script gets `<type> <message>` for warning events only; client-reconfig-script gets leader/observer after a failover', async ({ expect }) => {
    const dir = scriptDir(h, 'events');
    // The logs are written in each sentinel's own dir, where Redis runs its scripts.
    const notify = writeArgvScript(dir, 'notify', { logInCwd: true });
    const reconfig = writeArgvScript(dir, 'reconfig', { logInCwd: true });
    const t = await startTunedTopology(h, {
      label: 'events',
      replicas: 1,
      sentinels: sentinelsUnderTest(2),
      quorum: 2,
      downAfterMs: DOWN_AFTER_MS,
      failoverTimeoutMs: FAILOVER_TIMEOUT_MS,
      sentinelConfigLines: [
        'sentinel notification-script mymaster ' + notify.path,
        'sentinel client-reconfig-script mymaster ' + reconfig.path,
      ],
    });
    const name = t.masterName;
    const [leader, observer] = t.sentinels;
    const [replica] = t.replicas;
    const [leaderId, observerId] = await Promise.all(t.sentinels.map((s) => h.queries(s.port).myid()));
    const logOf = (s: SentinelProcess, log: { logPath: string }) => () => scriptLog(join(s.dir, log.logPath));
    const M = masterAt(name, t.master);

    // The master's settings are shown in SENTINEL MASTER.
    const settings = await h.queries(leader.port).master(name);
    expect([settings['notification-script'], settings['client-reconfig-script']]).toEqual([notify.path, reconfig.path]);

    expect(await sentinelReply(leader.port, ['SENTINEL', 'FAILOVER', name])).toBe('+OK');
    await waitForReplicaOf(t.master.port, replica.port, 20_000);
    for (const s of t.sentinels) await waitForNoScripts(s);

    const switchArgs = `${name}|${t.master.host}|${t.master.port}|${replica.host}|${replica.port}`;
    expect(logOf(leader, reconfig)()).toEqual([`${name}|leader|start|${t.master.host}|${t.master.port}|${replica.host}|${replica.port}`]);
    expect(logOf(observer, reconfig)()).toEqual([`${name}|observer|start|${t.master.host}|${t.master.port}|${replica.host}|${replica.port}`]);

    // Scripts run in parallel (up to 16), so lines may land in any order. Notice-level events
    // (+slave, +sentinel, +failover-state-send-slaveof-noone, +convert-to-slave...) run nothing.
    const R = replicaAt(replica, name, t.master);
    expect(logOf(leader, notify)().sort()).toEqual(
      [
        `+monitor|${M} quorum 2`,
        '+new-epoch|1',
        `+try-failover|${M}`,
        `+vote-for-leader|${leaderId} 1`,
        `+elected-leader|${M}`,
        `+failover-state-select-slave|${M}`,
        `+selected-slave|${R}`,
        `+promoted-slave|${R}`,
        `+failover-state-reconf-slaves|${M}`,
        `+failover-end|${M}`,
        `+switch-master|${switchArgs.replaceAll('|', ' ')}`,
      ].sort(),
    );
    const observed = logOf(observer, notify)();
    expect(observed.filter((l) => l !== '+new-epoch|1').sort(), observed.join('\n')).toEqual(
      [
        `+monitor|${M} quorum 2`,
        `+config-update-from|sentinel ${leaderId} ${leader.host} ${leader.port} @ ${name} ${t.master.host} ${t.master.port}`,
        `+switch-master|${switchArgs.replaceAll('|', ' ')}`,
      ].sort(),
    );
    expect(observerId).not.toBe(leaderId);
  });

  it.concurrent('SENTINEL PENDING-SCRIPTS lists a running script with its argv, pid, run time and retry count', async ({ expect }) => {
    const dir = scriptDir(h, 'pending');
    const release = join(dir, 'release');
    // Blocks until the test creates `release` (at most 30 s, so nothing outlives a failed test for long).
    const slow = writeArgvScript(dir, 'slow', {
      tail: `i=0; while [ ! -e '${release}' ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done`,
    });
    const master = await h.startRedis({ name: 'pending-master' });
    const sentinel = await h.startSentinel({
      name: `pending-sentinel-${implUnderTest()}`,
      monitors: [{ name: 'mymaster', port: master.port, quorum: 1, downAfterMs: DOWN_AFTER_MS }],
      configLines: [`sentinel notification-script mymaster ${slow.path}`],
    });
    const M = masterAt('mymaster', master);
    // The startup +monitor already runs the script; +set queues a second one.
    await waitFor(() => scriptLog(slow.logPath), { timeoutMs: 5000, description: 'the +monitor script to start', until: (l) => l.length === 1 });
    expect(await sentinelReply(sentinel.port, ['SENTINEL', 'SET', 'mymaster', 'quorum', '1'])).toBe('+OK');
    await waitFor(() => scriptLog(slow.logPath), { timeoutMs: 5000, description: 'the +set script to start', until: (l) => l.length === 2 });
    expect(scriptLog(slow.logPath)).toEqual([`+monitor|${M} quorum 1`, `+set|${M} quorum 1`]);

    for (const protocol of [2, 3] as const) {
      const reply = await rawCommand(sentinel.port, ['SENTINEL', 'PENDING-SCRIPTS'], { protocol });
      const jobs = asList(reply.value).map((job) => entries(job, protocol));
      expect(jobs.map((j) => j.map(([k]) => k)), showResp(reply.value)).toEqual([JOB_FIELDS_RUNNING, JOB_FIELDS_RUNNING]);
      expect(jobs.map((j) => j[0][1]), 'argv').toEqual([
        `[${[slow.path, '+monitor', `${M} quorum 1`].map((a) => JSON.stringify(a)).join(', ')}]`,
        `[${[slow.path, '+set', `${M} quorum 1`].map((a) => JSON.stringify(a)).join(', ')}]`,
      ]);
      for (const j of jobs) {
        const [, flags, pid, runTime, retryNum] = j.map(([, v]) => v);
        expect([flags, retryNum]).toEqual(['"running"', '"1"']);
        expect(pid).toMatch(/^"[1-9]\d*"$/);
        expect(runTime).toMatch(/^"\d+"$/);
        // The pid is the running script itself.
        expect(process.kill(Number(JSON.parse(pid)), 0)).toBe(true);
      }
    }
    const info = await infoFields(sentinel.port, 'sentinel');
    expect([info.sentinel_running_scripts, info.sentinel_scripts_queue_length]).toEqual(['2', '2']);

    writeFileSync(release, '');
    await waitForNoScripts(sentinel);
    const after = await infoFields(sentinel.port, 'sentinel');
    expect([after.sentinel_running_scripts, after.sentinel_scripts_queue_length]).toEqual(['0', '0']);
  });

  it.concurrent('a script that exits 1 is retried with a growing delay, ten runs in all, then -script-error', async ({ expect }) => {
    const dir = scriptDir(h, 'retry');
    // Fails only for +set, so the startup +monitor does not take part.
    const failing = writeArgvScript(dir, 'failing', { tail: 'if [ "$1" = "+set" ]; then exit 1; fi; exit 0' });
    const master = await h.startRedis({ name: 'retry-master' });
    const sentinel = await h.startSentinel({
      name: `retry-sentinel-${implUnderTest()}`,
      monitors: [{ name: 'mymaster', port: master.port, quorum: 1, downAfterMs: DOWN_AFTER_MS }],
      configLines: [`sentinel notification-script mymaster ${failing.path}`],
    });
    await sentinelDebug(sentinel.port, [...FAST_DEBUG, 'script-retry-delay', '3000']);
    await waitForNoScripts(sentinel);
    const events = await h.events(sentinel.port);
    const setRuns = () => scriptLog(failing.logPath).filter((l) => l.startsWith('+set|'));

    expect(await sentinelReply(sentinel.port, ['SENTINEL', 'SET', 'mymaster', 'quorum', '1'])).toBe('+OK');
    const firstFailedAt = await waitFor(() => (setRuns().length === 1 ? Date.now() : 0), { timeoutMs: 5000, description: 'the first run' });
    // After the failure the job stays queued, not running, until the retry delay has passed.
    const scheduled = await waitFor(async () => pendingJobs(sentinel.port), {
      timeoutMs: 3000,
      intervalMs: 20,
      description: 'the failed job to be scheduled for a retry',
      until: (jobs) => jobs.length === 1 && jobs[0].flags === 'scheduled',
    });
    expect(Object.keys(scheduled[0])).toEqual(['argv', 'flags', 'pid', 'run-delay', 'retry-num']);
    expect([scheduled[0].argv, scheduled[0].pid, scheduled[0]['retry-num']]).toEqual([
      JSON.stringify([failing.path, '+set', `${masterAt('mymaster', master)} quorum 1`]),
      '0',
      '1',
    ]);
    const delay = Number(scheduled[0]['run-delay']);
    expect(delay).toBeGreaterThan(0);
    expect(delay).toBeLessThanOrEqual(3000);

    // The second run comes after the first delay (3 s), not before.
    await waitFor(() => setRuns().length, { timeoutMs: 8000, description: 'the second run', until: (n) => n === 2 });
    expect(Date.now() - firstFailedAt).toBeGreaterThan(2000);
    const second = await waitFor(() => pendingJobs(sentinel.port), {
      timeoutMs: 3000,
      intervalMs: 20,
      description: 'the job to be scheduled again after its second run',
      until: (jobs) => jobs.length === 1 && jobs[0].flags === 'scheduled',
    });
    expect(second[0]['retry-num']).toBe('2');
    expect(Number(second[0]['run-delay'])).toBeGreaterThan(3000);

    // A short delay lets the remaining runs go; nothing can shorten the pending 6 s one but its own time.
    await sentinelDebug(sentinel.port, ['script-retry-delay', '1']);
    await events.waitFor({ channel: '-script-error' }, 20_000);
    expect(events.all({ channel: '-script-error' }).map((e) => e.message)).toEqual([`${failing.path} 0 1`]);
    expect(setRuns()).toHaveLength(10);
    await waitForNoScripts(sentinel);
  });

  it.concurrent('a script running past script-max-runtime is killed (-script-timeout) and, killed by a signal, retried', async ({ expect }) => {
    const dir = scriptDir(h, 'timeout');
    // Hangs (at most 30 s) only for +set, so the startup +monitor does not take part.
    const hanging = writeArgvScript(dir, 'hanging', {
      tail: 'if [ "$1" = "+set" ]; then i=0; while [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; fi; exit 0',
    });
    const master = await h.startRedis({ name: 'timeout-master' });
    const sentinel = await h.startSentinel({
      name: `timeout-sentinel-${implUnderTest()}`,
      monitors: [{ name: 'mymaster', port: master.port, quorum: 1, downAfterMs: DOWN_AFTER_MS }],
      configLines: [`sentinel notification-script mymaster ${hanging.path}`],
    });
    await sentinelDebug(sentinel.port, [...FAST_DEBUG, 'script-max-runtime', '1000', 'script-retry-delay', '60000']);
    await waitForNoScripts(sentinel);
    const events = await h.events(sentinel.port);

    const setAt = Date.now();
    expect(await sentinelReply(sentinel.port, ['SENTINEL', 'SET', 'mymaster', 'quorum', '1'])).toBe('+OK');
    const running = await waitFor(() => pendingJobs(sentinel.port), {
      timeoutMs: 3000,
      intervalMs: 20,
      description: 'the +set script to run',
      until: (jobs) => jobs.length === 1 && jobs[0].flags === 'running' && jobs[0].pid !== '0',
    });
    const timeout = await events.waitFor({ channel: '-script-timeout' }, 5000);
    expect(timeout.message).toBe(`${hanging.path} ${running[0].pid}`);
    expect(timeout.time - setAt).toBeGreaterThanOrEqual(1000);
    // SIGKILLed: the job is kept for a retry (60 s away), with no -script-error.
    const scheduled = await waitFor(() => pendingJobs(sentinel.port), {
      timeoutMs: 3000,
      intervalMs: 20,
      description: 'the killed job to be scheduled again',
      until: (jobs) => jobs.length === 1 && jobs[0].flags === 'scheduled',
    });
    expect([scheduled[0].pid, scheduled[0]['retry-num']]).toEqual(['0', '1']);
    expect(Number(scheduled[0]['run-delay'])).toBeGreaterThan(55_000);
    expect(events.all({ channel: '-script-error' })).toEqual([]);
    await waitFor(() => !pidAlive(Number(running[0].pid)), { timeoutMs: 2000, description: `the script (pid ${running[0].pid}) to be gone` });
  });
});

const JOB_FIELDS_RUNNING = ['argv', 'flags', 'pid', 'run-time', 'retry-num'];

function scriptDir(h: Harness, label: string): string {
  const dir = join(h.root, `${label}-scripts`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

async function waitForNoScripts(s: SentinelProcess): Promise<void> {
  await waitFor(() => pendingJobs(s.port), {
    timeoutMs: 10_000,
    description: `no script queued on ${s.describe()}`,
    until: (jobs) => jobs.length === 0,
  });
}

/**
 * SENTINEL PENDING-SCRIPTS (RESP2) as records: bulk strings as their text,
 * argv as JSON text, anything else shown with its RESP type (e.g. `:0`).
 */
async function pendingJobs(port: number): Promise<Array<Record<string, string>>> {
  const reply = await rawCommand(port, ['SENTINEL', 'PENDING-SCRIPTS']);
  return asList(reply.value).map((job) => {
    const items = asList(job);
    const record: Record<string, string> = {};
    for (let i = 0; i + 1 < items.length; i += 2) record[text(items[i])] = text(items[i + 1]);
    return record;
  });
}

function text(v: RespValue): string {
  if (v.type === 'bulk') return v.value;
  if (v.type === 'array' && v.items.every((i) => i.type === 'bulk')) return JSON.stringify(v.items.map(text));
  return showResp(v);
}

function asList(v: RespValue): RespValue[] {
  if (v.type !== 'array') throw new Error(`expected an array, got ${showResp(v)}`);
  return v.items;
}

/**
 * The fields of one job: a flat key/value array in RESP2, a map in RESP3.
 * Values are shown with their RESP type (`"x"` is a bulk string).
 */
function entries(job: RespValue, protocol: 2 | 3): Array<[string, string]> {
  if (protocol === 3) {
    if (job.type !== 'map') throw new Error(`RESP3 job should be a map, got ${showResp(job)}`);
    return job.entries.map(([k, v]) => [k.type === 'bulk' ? k.value : showResp(k), showResp(v)]);
  }
  const items = asList(job);
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < items.length; i += 2) {
    const k = items[i];
    out.push([k.type === 'bulk' ? k.value : showResp(k), showResp(items[i + 1])]);
  }
  return out;
}
