import { describe, it } from 'vitest';
import { flagsOf, sentinelsUnderTest, useHarness, waitFor, WaitTimeoutError } from '../harness/index.js';
import {
  dumpEvents,
  eventLines,
  masterAt,
  replicaAt,
  sentinelDebug,
  sentinelReply,
  startTunedTopology,
} from '../harness/failover-kit.js';

/**
 * Failovers that must not happen or must stop: a quorum that cannot be
 * reached, a majority that cannot be reached, and a master whose only
 * replica is unreachable.
 */

const DOWN_AFTER_MS = 1000;
const FAILOVER_TIMEOUT_MS = 6000;
/** About three times what a whole kill -9 failover takes with these settings (1.5–4 s). */
const NOTHING_HAPPENS_MS = 12_000;

const FAILOVER_CHANNELS = new Set([
  '+sdown', '+odown', '+new-epoch', '+try-failover', '+vote-for-leader', '+elected-leader',
  '+failover-state-select-slave', '+selected-slave', '-failover-abort-no-good-slave',
  '-failover-abort-not-elected', '+switch-master',
]);

describe('failovers that must not happen', () => {
  const h = useHarness('failover-refused');

  it.concurrent('quorum 3 with one of three sentinels dead: SDOWN everywhere, never ODOWN, no failover', async ({ expect }) => {
    const t = await startTunedTopology(h, {
      label: 'noquorum',
      replicas: 1,
      sentinels: sentinelsUnderTest(3),
      quorum: 3,
      downAfterMs: DOWN_AFTER_MS,
      failoverTimeoutMs: FAILOVER_TIMEOUT_MS,
    });
    const [dead, ...alive] = t.sentinels;
    const deadId = await h.queries(dead.port).myid();
    const collectors = await Promise.all(alive.map((s) => h.events(s.port)));
    dead.kill('SIGKILL');
    await Promise.all(collectors.map((c) => c.waitFor({ channel: '+sdown', message: new RegExp(`^sentinel ${deadId} `) }, 10_000)));
    for (const s of alive) {
      expect(await sentinelReply(s.port, ['SENTINEL', 'CKQUORUM', t.masterName]), s.describe()).toBe(
        '-NOQUORUM 2 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master',
      );
    }

    const killedAt = Date.now();
    t.master.kill('SIGKILL');
    const oldMaster = masterAt(t.masterName, t.master);
    await Promise.all(collectors.map((c) => c.waitFor({ channel: '+sdown', message: oldMaster, since: killedAt }, 10_000)));
    // The two survivors do agree the master is down (each reports it to the other): only the quorum is missing.
    await waitFor(() => Promise.all(alive.map((s) => h.queries(s.port).sentinels(t.masterName))), {
      timeoutMs: 5000,
      description: 'each survivor to record the other one`s "master is down" answer',
      until: (views) => views.every((peers) => peers.some((p) => p.runid !== deadId && flagsOf(p).includes('master_down'))),
    });

    const forbidden = ['+odown', '+try-failover', '+elected-leader', '+switch-master'];
    const happened = await waitFor(
      () => collectors.flatMap((c) => forbidden.flatMap((channel) => c.all({ channel, since: killedAt }))),
      { timeoutMs: NOTHING_HAPPENS_MS, intervalMs: 100, description: 'any ODOWN or failover event', until: (found) => found.length > 0 },
    ).catch((e: unknown) => (e instanceof WaitTimeoutError ? [] : Promise.reject(e)));
    expect(happened, collectors.map((c) => `port ${c.port}:\n${dumpEvents(c)}`).join('\n')).toEqual([]);
    for (const s of alive) {
      const master = await h.queries(s.port).master(t.masterName);
      expect(flagsOf(master), s.describe()).toEqual(['s_down', 'master', 'disconnected']);
      expect(master.port).toBe(String(t.master.port));
    }
  });

  it.concurrent('the only replica is SIGSTOPped (SDOWN) when the master dies: -failover-abort-no-good-slave', async ({ expect }) => {
    const t = await startTunedTopology(h, {
      label: 'nogood',
      replicas: 1,
      sentinels: sentinelsUnderTest(3),
      quorum: 2,
      downAfterMs: DOWN_AFTER_MS,
      failoverTimeoutMs: FAILOVER_TIMEOUT_MS,
    });
    const name = t.masterName;
    const [replica] = t.replicas;
    const ids = await Promise.all(t.sentinels.map((s) => h.queries(s.port).myid()));
    const collectors = await Promise.all(t.sentinels.map((s) => h.events(s.port)));
    replica.kill('SIGSTOP');
    const replicaDesc = replicaAt(replica, name, t.master);
    const replicaDown = await Promise.all(collectors.map((c) => c.waitFor({ channel: '+sdown', message: replicaDesc }, 10_000)));

    // Events of the same millisecond as the last +sdown are not the failover's.
    const killedAt = Math.max(Date.now(), ...replicaDown.map((e) => e.time + 1));
    t.master.kill('SIGKILL');
    const oldMaster = masterAt(name, t.master);
    const abort = await waitFor(
      () => collectors.findIndex((c) => c.find({ channel: '-failover-abort-no-good-slave', since: killedAt })),
      { timeoutMs: 20_000, description: 'a -failover-abort-no-good-slave', until: (i) => i >= 0 },
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${collectors.map((c) => `port ${c.port}:\n${dumpEvents(c)}`).join('\n')}`);
    });
    const leader = collectors[abort];
    const lines = eventLines(leader.events, { since: killedAt, channels: FAILOVER_CHANNELS });
    const odown = lines.find((l) => l.startsWith('+odown '));
    expect(odown, dumpEvents(leader)).toMatch(new RegExp(`^\\+odown ${oldMaster} #quorum [23]/2$`));
    expect(lines, dumpEvents(leader)).toEqual([
      `+sdown ${oldMaster}`,
      odown,
      '+new-epoch 1',
      `+try-failover ${oldMaster}`,
      `+vote-for-leader ${ids[abort]} 1`,
      `+elected-leader ${oldMaster}`,
      `+failover-state-select-slave ${oldMaster}`,
      `-failover-abort-no-good-slave ${oldMaster}`,
    ]);
    // The abort leaves the master where it was, no longer failing over.
    for (const [i, s] of t.sentinels.entries()) {
      const q = h.queries(s.port);
      const master = await q.master(name);
      expect(master.port, s.describe()).toBe(String(t.master.port));
      if (i === abort) expect(flagsOf(master)).toEqual(['s_down', 'o_down', 'master', 'disconnected']);
      expect(await q.masterAddr(name)).toEqual([t.master.host, String(t.master.port)]);
      for (const channel of ['+selected-slave', '+promoted-slave', '+switch-master']) {
        expect(collectors[i].all({ channel, since: killedAt }), `${channel} on ${s.describe()}`).toEqual([]);
      }
    }
  });

  it.concurrent('quorum 1 but two of three sentinels dead: ODOWN and an attempt, never elected (-failover-abort-not-elected)', async ({ expect }) => {
    const electionTimeoutMs = 2000;
    const t = await startTunedTopology(h, {
      label: 'nomajority',
      replicas: 1,
      sentinels: sentinelsUnderTest(3),
      quorum: 2,
      downAfterMs: DOWN_AFTER_MS,
      failoverTimeoutMs: FAILOVER_TIMEOUT_MS,
    });
    const name = t.masterName;
    const [survivor, ...dead] = t.sentinels;
    const survivorId = await h.queries(survivor.port).myid();
    expect(await sentinelReply(survivor.port, ['SENTINEL', 'SET', name, 'quorum', '1'])).toBe('+OK');
    await sentinelDebug(survivor.port, ['election-timeout', String(electionTimeoutMs)]);
    const events = await h.events(survivor.port);
    for (const s of dead) s.kill('SIGKILL');
    await waitFor(() => events.all({ channel: '+sdown', message: /^sentinel / }).length, {
      timeoutMs: 10_000,
      description: 'both dead sentinels to be SDOWN',
      until: (n) => n === 2,
    });
    // Quorum 1 is reachable alone, a majority of 3 is not.
    expect(await sentinelReply(survivor.port, ['SENTINEL', 'CKQUORUM', name])).toBe(
      '-NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the majority and authorize a failover',
    );

    const killedAt = Date.now();
    t.master.kill('SIGKILL');
    const M = masterAt(name, t.master);
    const abort = await events.waitFor({ channel: '-failover-abort-not-elected', since: killedAt }, 15_000);
    expect(eventLines(events.events, { since: killedAt, channels: FAILOVER_CHANNELS }), dumpEvents(events)).toEqual([
      `+sdown ${M}`,
      `+odown ${M} #quorum 1/1`,
      '+new-epoch 1',
      `+try-failover ${M}`,
      `+vote-for-leader ${survivorId} 1`,
      `-failover-abort-not-elected ${M}`,
    ]);
    // Given up once the election timeout has passed since the start (which carries up to 1 s of desync).
    const tried = events.find({ channel: '+try-failover' })!.time;
    expect(abort.time - tried).toBeGreaterThanOrEqual(electionTimeoutMs - 100);
    expect(abort.time - tried).toBeLessThan(electionTimeoutMs + 2000);
    // The master is still ODOWN, but the next attempt must wait for 2 x failover-timeout.
    await survivor.process.waitForLog(/# Next failover delay: I will not start a failover before /, { timeoutMs: 3000 });
    const master = await h.queries(survivor.port).master(name);
    expect(flagsOf(master)).toEqual(['s_down', 'o_down', 'master', 'disconnected']);
    expect(await h.queries(survivor.port).masterAddr(name)).toEqual([t.master.host, String(t.master.port)]);
  });
});
