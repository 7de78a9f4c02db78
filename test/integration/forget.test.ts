import { describe, it } from 'vitest';
import { flagsOf, useHarness, waitFor, type Harness, type SentinelProcess } from '../harness/index.js';
import { infoFields, replicaAt, sentinelReply, startTunedTopology } from '../harness/failover-kit.js';

/**
 * Beyond Redis: SENTINEL FORGET drops one dead replica or peer, and `forget-after` does it
 * on its own, without SENTINEL RESET's blind window. Killed processes, real redis-server,
 * ours and real redis-sentinel peers.
 */

const DOWN_AFTER_MS = 1000;
const FAILOVER_TIMEOUT_MS = 10_000;
/** S_DOWN is seen after down-after (1 s) plus a tick; this leaves room for a loaded machine. */
const SDOWN_DEADLINE_MS = 10_000;
const FORGET_AFTER_MS = 2000;

type Q = ReturnType<Harness['queries']>;

async function waitForFlag(q: Q, name: string, kind: 'replicas' | 'sentinels', port: number, flag: string): Promise<void> {
  await waitFor(async () => (await q[kind](name)).find((i) => i.port === String(port)), {
    timeoutMs: SDOWN_DEADLINE_MS,
    intervalMs: 100,
    description: `port ${port} among the ${kind} flagged ${flag}`,
    until: (i) => i !== undefined && flagsOf(i).includes(flag),
  });
}

const ports = (list: Array<Record<string, string>>) => list.map((i) => Number(i.port)).sort((a, b) => a - b);
const sorted = (...list: number[]) => list.sort((a, b) => a - b);

/** What a sentinel shows of the master, its replicas and peers, without the fields that move with time. */
async function stableView(q: Q, name: string) {
  const strip = (i: Record<string, string>) => ({ port: i.port, runid: i.runid, flags: i.flags, link: i['master-link-status'] ?? '' });
  const [master, replicas, sentinels] = await Promise.all([q.master(name), q.replicas(name), q.sentinels(name)]);
  return { master: strip(master), replicas: replicas.map(strip), sentinels: sentinels.map(strip) };
}

function forgetReplica(s: SentinelProcess, name: string, port: number): Promise<string> {
  return sentinelReply(s.port, ['SENTINEL', 'FORGET', name, 'REPLICA', '127.0.0.1', String(port)]);
}

function forgetSentinel(s: SentinelProcess, name: string, runid: string): Promise<string> {
  return sentinelReply(s.port, ['SENTINEL', 'FORGET', name, 'SENTINEL', runid]);
}

describe('SENTINEL FORGET', () => {
  const h = useHarness('forget');

  it('drops a killed replica and a killed peer, refused while they are up, kept forgotten across a restart; a lone survivor then fails over', async ({
    expect,
  }) => {
    const t = await startTunedTopology(h, {
      label: 'ours',
      replicas: 2,
      sentinels: ['ours', 'ours', 'ours'],
      quorum: 2,
      downAfterMs: DOWN_AFTER_MS,
      failoverTimeoutMs: FAILOVER_TIMEOUT_MS,
    });
    const name = t.masterName;
    const [s1, s2, s3] = t.sentinels;
    const [dead, alive] = t.replicas;
    const q1 = h.queries(s1.port);
    const ids = await Promise.all(t.sentinels.map((s) => h.queries(s.port).myid()));
    const events = await h.events(s1.port);

    // Up: refused, nothing changes.
    expect(await forgetReplica(s1, name, dead.port)).toBe(`-ERR Replica 127.0.0.1:${dead.port} is not down: only a replica flagged s_down can be forgotten`);
    expect(await forgetSentinel(s1, name, ids[2])).toBe(`-ERR Sentinel ${ids[2]} is not down: only a sentinel flagged s_down can be forgotten`);
    expect(await forgetReplica(s1, 'nosuch', dead.port)).toBe('-ERR No such master with that name');
    expect(await forgetReplica(s1, name, 1)).toBe('-ERR No such replica with that address');
    expect(await forgetSentinel(s1, name, 'f'.repeat(40))).toBe('-ERR No such sentinel with that runid');
    expect(await sentinelReply(s1.port, ['SENTINEL', 'FORGET', name, 'REPLICA', '127.0.0.1', 'port'])).toBe('-ERR Invalid port');
    expect(await sentinelReply(s1.port, ['SENTINEL', 'FORGET', name])).toBe("-ERR wrong number of arguments for 'sentinel|forget' command");
    expect((await q1.master(name))['num-slaves']).toBe('2');

    dead.kill('SIGKILL');
    s3.kill('SIGKILL');
    await waitForFlag(q1, name, 'replicas', dead.port, 's_down');
    await waitForFlag(q1, name, 'sentinels', s3.port, 's_down');
    expect(s1.configLines(`sentinel known-replica ${name} 127.0.0.1 ${dead.port}`)).toHaveLength(1);

    const before = await stableView(q1, name);
    const since = Date.now();
    expect(await forgetReplica(s1, name, dead.port)).toBe('+OK');
    // The config is written before the reply: the known-replica line is already gone.
    expect(s1.configLines(`sentinel known-replica ${name} 127.0.0.1 ${dead.port}`)).toEqual([]);
    expect(await forgetSentinel(s1, name, ids[2])).toBe('+OK');
    expect(s1.configLines('sentinel known-sentinel').filter((l) => l.includes(ids[2]))).toEqual([]);
    // No blind window: right after, the master, the other replica and the other peer are as they were.
    const after = await stableView(q1, name);
    expect(after.master).toEqual(before.master);
    expect(after.replicas).toEqual(before.replicas.filter((r) => r.port !== String(dead.port)));
    expect(after.sentinels).toEqual(before.sentinels.filter((s) => s.runid !== ids[2]));
    expect(after.replicas.map((r) => `${r.port} ${r.flags} ${r.link}`)).toEqual([`${alive.port} slave ok`]);
    expect(after.sentinels.map((s) => `${s.port} ${s.flags}`)).toEqual([`${s2.port} sentinel`]);
    const master = await q1.master(name);
    expect([master['num-slaves'], master['num-other-sentinels']]).toEqual(['1', '1']);
    await events.waitFor({ channel: '-slave', message: replicaAt(dead, name, t.master), since }, 5000);
    await events.waitFor({ channel: '-sentinel', message: `sentinel ${ids[2]} 127.0.0.1 ${s3.port} @ ${name} 127.0.0.1 ${t.master.port}`, since }, 5000);
    expect(events.find({ channel: '+reset-master', since })).toBeUndefined();
    expect(await sentinelReply(s1.port, ['SENTINEL', 'CKQUORUM', name])).toBe('+OK 2 usable Sentinels. Quorum and failover authorization can be reached');

    // s2 did not forget: it still counts the dead peer and the dead replica.
    const q2 = h.queries(s2.port);
    expect(ports(await q2.sentinels(name))).toEqual(sorted(s1.port, s3.port));
    expect(await q2.master(name)).toMatchObject({ 'num-slaves': '2', 'num-other-sentinels': '2' });

    // Restarted from its config, s1 still knows only the live ones.
    await s1.restart();
    const q1b = h.queries(s1.port);
    await waitFor(() => stableView(q1b, name), {
      timeoutMs: 15_000,
      intervalMs: 200,
      description: 's1, restarted, to see the live replica linked and the live peer',
      until: (v) => v.replicas.some((r) => r.link === 'ok' && r.flags === 'slave') && v.sentinels.some((s) => s.flags === 'sentinel'),
    });
    const restarted = await q1b.master(name);
    expect([restarted['num-slaves'], restarted['num-other-sentinels']]).toEqual(['1', '1']);
    expect(ports(await q1b.replicas(name))).toEqual([alive.port]);
    expect(ports(await q1b.sentinels(name))).toEqual([s2.port]);

    // s2 dies too: with two voters left and one usable, s1 can neither reach the majority nor
    // fail over; once s2 is forgotten it is the whole group.
    s2.kill('SIGKILL');
    await waitForFlag(q1b, name, 'sentinels', s2.port, 's_down');
    expect(await sentinelReply(s1.port, ['SENTINEL', 'CKQUORUM', name])).toBe(
      '-NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master. ' +
        'Not enough available Sentinels to reach the majority and authorize a failover',
    );
    expect(await forgetSentinel(s1, name, ids[1])).toBe('+OK');
    expect(await sentinelReply(s1.port, ['SENTINEL', 'CKQUORUM', name])).toBe(
      '-NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master',
    );
    expect(await sentinelReply(s1.port, ['SENTINEL', 'SET', name, 'quorum', '1'])).toBe('+OK');
    expect(await sentinelReply(s1.port, ['SENTINEL', 'CKQUORUM', name])).toBe('+OK 1 usable Sentinels. Quorum and failover authorization can be reached');

    const events1 = await h.events(s1.port);
    const killedAt = Date.now();
    t.master.kill('SIGKILL');
    await events1.waitFor({ channel: '+switch-master', message: `${name} 127.0.0.1 ${t.master.port} 127.0.0.1 ${alive.port}`, since: killedAt }, 30_000);
    expect((await q1b.masterAddr(name))?.[1]).toBe(String(alive.port));
    await waitFor(() => infoFields(alive.port), { timeoutMs: 5000, description: 'the live replica to be master', until: (i) => i.role === 'master' });
  });

  it('mixed group: our FORGET of a killed redis-sentinel peer leaves the live real peer and the group working', async ({ expect }) => {
    const t = await startTunedTopology(h, {
      label: 'mixed',
      replicas: 1,
      sentinels: ['ours', 'redis', 'redis'],
      quorum: 2,
      downAfterMs: DOWN_AFTER_MS,
      failoverTimeoutMs: FAILOVER_TIMEOUT_MS,
    });
    const name = t.masterName;
    const [ours, real, deadReal] = t.sentinels;
    const q = h.queries(ours.port);
    const qReal = h.queries(real.port);
    const ids = await Promise.all(t.sentinels.map((s) => h.queries(s.port).myid()));

    deadReal.kill('SIGKILL');
    await waitForFlag(q, name, 'sentinels', deadReal.port, 's_down');
    expect(await forgetSentinel(ours, name, ids[2])).toBe('+OK');
    expect(ports(await q.sentinels(name))).toEqual([real.port]);
    expect(ours.configLines('sentinel known-sentinel').filter((l) => l.includes(ids[2]))).toEqual([]);

    // The real peer keeps hearing us, keeps its own view (it still lists the dead one), and follows our failover.
    const realView = await qReal.sentinels(name);
    expect(realView.map((s) => s.runid).sort()).toEqual([ids[0], ids[2]].sort());
    const ourEntry = realView.find((s) => s.runid === ids[0])!;
    expect(ourEntry.flags).toBe('sentinel');
    expect(Number(ourEntry['last-hello-message'])).toBeLessThan(5000);

    const events = await h.events(real.port);
    const since = Date.now();
    expect(await sentinelReply(ours.port, ['SENTINEL', 'FAILOVER', name])).toBe('+OK');
    const promoted = t.replicas[0];
    await events.waitFor({ channel: '+switch-master', message: `${name} 127.0.0.1 ${t.master.port} 127.0.0.1 ${promoted.port}`, since }, 30_000);
    expect((await q.masterAddr(name))?.[1]).toBe(String(promoted.port));
    // The forgotten peer did not come back through the real peer's gossip.
    expect(ports(await q.sentinels(name))).toEqual([real.port]);
  });
});

describe('forget-after', () => {
  const h = useHarness('forget-after');

  it('forgets a killed replica and a killed peer after the period where set; unset (ours) and redis-sentinel keep them', async ({ expect }) => {
    const t = await startTunedTopology(h, {
      label: 'after',
      replicas: 2,
      sentinels: ['ours', 'ours', 'redis', 'redis'],
      quorum: 2,
      downAfterMs: DOWN_AFTER_MS,
      failoverTimeoutMs: FAILOVER_TIMEOUT_MS,
    });
    const name = t.masterName;
    const [forgetting, keeping, real, deadReal] = t.sentinels;
    const [dead, alive] = t.replicas;
    const deadId = await h.queries(deadReal.port).myid();

    expect(await sentinelReply(forgetting.port, ['SENTINEL', 'SET', name, 'forget-after', String(FORGET_AFTER_MS)])).toBe('+OK');
    expect(forgetting.configLines(`sentinel forget-after ${name}`)).toEqual([`sentinel forget-after ${name} ${FORGET_AFTER_MS}`]);
    expect(keeping.configLines('sentinel forget-after')).toEqual([]);
    expect((await h.queries(forgetting.port).master(name))['forget-after']).toBe(String(FORGET_AFTER_MS));
    expect((await h.queries(keeping.port).master(name))['forget-after']).toBeUndefined();

    const events = await h.events(forgetting.port);
    const killedAt = Date.now();
    dead.kill('SIGKILL');
    deadReal.kill('SIGKILL');
    const note = `#down for more than ${FORGET_AFTER_MS} ms`;
    const forgotReplica = await events.waitFor({ channel: '-slave', message: `${replicaAt(dead, name, t.master)} ${note}`, since: killedAt }, 20_000);
    const forgotPeer = await events.waitFor(
      { channel: '-sentinel', message: `sentinel ${deadId} 127.0.0.1 ${deadReal.port} @ ${name} 127.0.0.1 ${t.master.port} ${note}`, since: killedAt },
      20_000,
    );
    // Not before down-after plus the period.
    // S_DOWN comes at most down-after after the last reply (up to a ping period before the kill), then the period runs.
    for (const e of [forgotReplica, forgotPeer]) expect(e.time - killedAt).toBeGreaterThanOrEqual(FORGET_AFTER_MS);
    const qf = h.queries(forgetting.port);
    expect(ports(await qf.replicas(name))).toEqual([alive.port]);
    expect(ports(await qf.sentinels(name))).toEqual(sorted(keeping.port, real.port));
    // The event goes out as the config write starts (as `+sentinel` does); the lines go with the write.
    await waitFor(() => [...forgetting.configLines('sentinel known-replica'), ...forgetting.configLines('sentinel known-sentinel')], {
      timeoutMs: 5000,
      description: 'the known-replica and known-sentinel lines of the dead ones to be gone',
      until: (lines) => lines.length === 3 && !lines.some((l) => l.endsWith(` 127.0.0.1 ${dead.port}`) || l.includes(deadId)),
    });

    // The others keep both, S_DOWN, until twice the period has passed on their clocks too.
    for (const s of [keeping, real]) {
      const qs = h.queries(s.port);
      const deadReplica = await waitFor(async () => (await qs.replicas(name)).find((r) => r.port === String(dead.port)), {
        timeoutMs: 15_000,
        intervalMs: 200,
        description: `${s.describe()} to have seen the dead replica S_DOWN for ${2 * FORGET_AFTER_MS} ms`,
        until: (r) => r === undefined || Number(r['s-down-time'] ?? 0) > 2 * FORGET_AFTER_MS,
      });
      expect(deadReplica, s.describe()).toBeDefined();
      expect(flagsOf(deadReplica!), s.describe()).toContain('s_down');
      const peer = (await qs.sentinels(name)).find((p) => p.runid === deadId);
      expect(peer && flagsOf(peer), s.describe()).toContain('s_down');
    }

    // Loaded from the config after a restart, the setting still applies.
    await forgetting.restart();
    const qr = h.queries(forgetting.port);
    expect((await qr.master(name))['forget-after']).toBe(String(FORGET_AFTER_MS));
    await waitFor(() => stableView(qr, name), {
      timeoutMs: 15_000,
      intervalMs: 200,
      description: 'the restarted sentinel to see the live replica linked and both live peers',
      until: (v) => v.replicas.some((r) => r.link === 'ok') && v.sentinels.filter((p) => p.flags === 'sentinel').length === 2,
    });
    expect(ports(await qr.replicas(name))).toEqual([alive.port]);
    expect(ports(await qr.sentinels(name))).toEqual(sorted(keeping.port, real.port));
  });
});
