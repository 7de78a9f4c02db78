import { describe, expect, it } from 'vitest';
import { freePort, useHarness, waitFor } from '../harness/index.js';
import {
  dumpEvents,
  infoFields,
  masterAt,
  sentinelDebug,
  sentinelReply,
  startTunedTopology,
  FAST_DEBUG,
} from '../harness/failover-kit.js';
import { rawCommand } from '../harness/raw-client.js';
import type { RespValue } from '../harness/resp.js';

/**
 * Beyond Redis: why no failover happens, in the log and in SENTINEL EXPLAIN, on real
 * redis-server processes watched by our daemon. Redis's own event lines stay as they are; the
 * explanation comes in lines of its own after them.
 */

const DOWN_AFTER_MS = 1000;

type Plain = string | null | Plain[] | { [field: string]: Plain };

/** A RESP3 reply as plain data: maps become objects, bulk strings strings, nulls null. */
function plain(v: RespValue): Plain {
  switch (v.type) {
    case 'map':
      return Object.fromEntries(v.entries.map(([k, x]) => [String(plain(k)), plain(x)]));
    case 'array':
      return v.items.map(plain);
    case 'bulk':
    case 'simple':
      return v.value;
    case 'null':
    case 'null-bulk':
      return null;
    default:
      throw new Error(`unexpected ${v.type} in a SENTINEL EXPLAIN reply`);
  }
}

interface Explained {
  'failover-would-start': string;
  'blocked-by': string[];
  'selected-replica': string | null;
  replicas: Array<{ name: string; eligible: string; reasons: string[] }>;
  sentinels: Array<{ runid: string; 's-down': string; 'voted-for': string | null }>;
  'voters-reachable': string;
  'votes-needed': string;
  'election-winnable': string;
  'last-election': { epoch: string; leader: string | null; 'votes-needed': string; votes: Array<{ voter: string; 'voted-for': string | null }> } | null;
  [field: string]: unknown;
}

async function explain(port: number, name: string): Promise<Explained> {
  const { value } = await rawCommand(port, ['SENTINEL', 'EXPLAIN', name], { protocol: 3 });
  if (value.type !== 'map') throw new Error(`SENTINEL EXPLAIN ${name}: ${JSON.stringify(value)}`);
  return plain(value) as unknown as Explained;
}

/** Reason codes per replica name (the text before the first colon of each reason). */
function reasonCodes(e: Explained): Record<string, string[]> {
  return Object.fromEntries(e.replicas.map((r) => [r.name, r.reasons.map((x) => x.slice(0, x.indexOf(':')))]));
}

/** The daemon's log lines from the one matching `first` on, their messages only (after the level mark). */
function logFrom(log: string, first: RegExp): string[] {
  const lines = log.split('\n').map((l) => l.replace(/^\d+:X \d\d \w{3} \d{4} [\d:.]+ [.*#-] /, ''));
  const at = lines.findIndex((l) => first.test(l));
  return at === -1 ? [] : lines.slice(at);
}

describe('why no failover happens', () => {
  const h = useHarness('explain', { scope: 'test' });

  it('every replica excluded: -failover-abort-no-good-slave, then one log line per replica with its reason; EXPLAIN agrees before and after', async () => {
    const master = await h.startRedis({ name: 'nogood-master' });
    const replicaOf = { port: master.port };
    const [zero, stopped, cut] = await Promise.all([
      h.startRedis({ name: 'nogood-priority0', replicaOf, args: ['--replica-priority', '0'] }),
      h.startRedis({ name: 'nogood-stopped', replicaOf }),
      h.startRedis({ name: 'nogood-cut', replicaOf }),
    ]);
    for (const r of [zero, stopped, cut]) {
      await waitFor(() => infoFields(r.port), { timeoutMs: 10_000, description: `replica ${r.port} in sync`, until: (i) => i.master_link_status === 'up' });
    }
    const s = await h.startSentinel({
      impl: 'ours',
      name: 'nogood-sentinel',
      monitors: [{ name: 'nogood', port: master.port, quorum: 1, downAfterMs: DOWN_AFTER_MS, failoverTimeoutMs: 60_000 }],
    });
    await sentinelDebug(s.port, FAST_DEBUG);
    const q = h.queries(s.port);
    await waitFor(() => q.replicas('nogood'), {
      timeoutMs: 15_000,
      description: 'the sentinel to know the three replicas, links up',
      until: (rs) => rs.length === 3 && rs.every((r) => r['master-link-status'] === 'ok'),
    });
    const healthy = await explain(s.port, 'nogood');
    expect(healthy['failover-would-start']).toBe('no');
    expect(healthy['blocked-by']).toEqual(['master-up: the master is not subjectively down (s_down)']);
    // Not the priority-0 one: one of the other two, by offset and run id.
    expect([`127.0.0.1:${stopped.port}`, `127.0.0.1:${cut.port}`]).toContain(healthy['selected-replica']);
    expect(reasonCodes(healthy)).toEqual({ [`127.0.0.1:${zero.port}`]: ['priority-0'], [`127.0.0.1:${stopped.port}`]: [], [`127.0.0.1:${cut.port}`]: [] });

    // One replica stops answering; another loses its link to the master for longer than the
    // limit sentinelSelectSlave applies once the master is down (SDOWN time + 10 x down-after).
    stopped.kill('SIGSTOP');
    const deadPort = await freePort();
    await rawCommand(cut.port, ['REPLICAOF', '127.0.0.1', String(deadPort)]);
    const linkDownLongEnough = 10 * DOWN_AFTER_MS + 3000;
    await waitFor(() => q.replicas('nogood'), {
      timeoutMs: 30_000,
      description: `the cut replica's master link down for over ${linkDownLongEnough} ms, the stopped one SDOWN`,
      until: (rs) =>
        Number(rs.find((r) => r.port === String(cut.port))?.['master-link-down-time']) > linkDownLongEnough &&
        (rs.find((r) => r.port === String(stopped.port))?.flags ?? '').includes('s_down'),
    });
    const before = await explain(s.port, 'nogood');
    expect(before['selected-replica']).toBeNull();
    expect(reasonCodes(before)).toEqual({
      [`127.0.0.1:${zero.port}`]: ['priority-0'],
      [`127.0.0.1:${stopped.port}`]: expect.arrayContaining(['s_down']),
      // The master is up: its replicas' links may be down for 10 x down-after only.
      [`127.0.0.1:${cut.port}`]: ['master-link-down'],
    });

    const events = await h.events(s.port);
    const killedAt = Date.now();
    master.kill('SIGKILL');
    await events.waitFor({ channel: '-failover-abort-no-good-slave', since: killedAt }, 15_000);
    const M = masterAt('nogood', master);
    // Pub/sub: Redis's events only.
    expect(events.events.filter((e) => e.time >= killedAt).map((e) => e.channel).filter((c) => c.startsWith('+failover') || c.startsWith('-failover')), dumpEvents(events)).toEqual([
      '+failover-state-select-slave',
      '-failover-abort-no-good-slave',
    ]);
    const log = await waitFor(() => logFrom(s.process.log(), /^-failover-abort-no-good-slave /), {
      timeoutMs: 5000,
      description: 'the abort and its explanation in the log',
      until: (lines) => lines.length >= 4,
    });
    expect(log[0]).toBe(`-failover-abort-no-good-slave ${M}`);
    // One line per replica, in the order the sentinel lists them.
    const explanation = log.slice(1, 4);
    const lineOf = (port: number) => explanation.find((l) => l.startsWith(`Failover of nogood: replica 127.0.0.1:${port} `)) ?? '';
    expect(lineOf(zero.port)).toBe(`Failover of nogood: replica 127.0.0.1:${zero.port} excluded: priority-0: replica-priority 0, never promoted`);
    expect(lineOf(stopped.port)).toMatch(new RegExp(`^Failover of nogood: replica 127\\.0\\.0\\.1:${stopped.port} excluded: s_down: down `));
    expect(lineOf(cut.port)).toMatch(
      new RegExp(`^Failover of nogood: replica 127\\.0\\.0\\.1:${cut.port} excluded: master-link-down: link to the master down for \\d+ ms, \\d+ ms beyond the limit of \\d+ ms$`),
    );

    const after = await explain(s.port, 'nogood');
    expect(after['selected-replica']).toBeNull();
    expect(reasonCodes(after)).toEqual({
      [`127.0.0.1:${zero.port}`]: ['priority-0'],
      [`127.0.0.1:${stopped.port}`]: expect.arrayContaining(['s_down']),
      [`127.0.0.1:${cut.port}`]: ['master-link-down'],
    });
    expect(after['failover-would-start']).toBe('no');
    // ODOWN now; what holds the next attempt back is Redis's 2 x failover-timeout.
    expect(after['blocked-by']).toHaveLength(1);
    expect(after['blocked-by'][0]).toMatch(/^retry-delay: a failover started less than 2 x failover-timeout ago, \d+ ms left$/);

    // Still refused as Redis refuses: EXPLAIN is an addition, HELP and COMMAND do not list it.
    expect(await sentinelReply(s.port, ['SENTINEL', 'EXPLAIN', 'nosuch'])).toBe('-ERR No such master with that name');
    expect(await sentinelReply(s.port, ['SENTINEL', 'EXPLAIN'])).toBe("-ERR wrong number of arguments for 'sentinel|explain' command");
    expect(JSON.stringify((await rawCommand(s.port, ['SENTINEL', 'HELP'])).value)).not.toMatch(/EXPLAIN/i);
    expect((await rawCommand(s.port, ['COMMAND', 'INFO', 'sentinel|explain'])).value).toEqual({ type: 'array', items: [{ type: 'null-bulk' }] });
  });

  it('healthy: EXPLAIN names the replica a failover would promote, and kill -9 promotes that one', async () => {
    const t = await startTunedTopology(h, { label: 'chosen', replicas: 3, sentinels: ['ours'], quorum: 1, downAfterMs: DOWN_AFTER_MS, failoverTimeoutMs: 10_000 });
    // Priorities decide, not offsets that move with every replication ping.
    const favourite = t.replicas[1];
    await rawCommand(favourite.port, ['CONFIG', 'SET', 'replica-priority', '10']);
    const [s] = t.sentinels;
    const predicted = await waitFor(() => explain(s.port, t.masterName), {
      timeoutMs: 10_000,
      description: 'EXPLAIN to see the new priority',
      until: (e) => e['selected-replica'] !== null && e.replicas.every((r) => r.eligible === 'yes') && e['selected-replica'] === `127.0.0.1:${favourite.port}`,
    });
    expect(predicted['failover-would-start']).toBe('no');
    expect(predicted['election-winnable']).toBe('yes');

    const events = await h.events(s.port);
    const killedAt = Date.now();
    t.master.kill('SIGKILL');
    const during = await waitFor(() => explain(s.port, t.masterName), {
      timeoutMs: 10_000,
      description: 'EXPLAIN during the failover',
      until: (e) => e['blocked-by'].some((b) => b.startsWith('failover-in-progress')) || e['failover-state'] !== 'none',
    }).catch(() => null);
    const switched = await events.waitFor({ channel: '+switch-master', since: killedAt }, 20_000);
    expect(switched.message).toBe(`${t.masterName} ${t.master.host} ${t.master.port} ${favourite.host} ${favourite.port}`);
    expect(predicted['selected-replica']).toBe(`${favourite.host}:${favourite.port}`);
    // Seen while it ran (the failover may also end between two polls).
    if (during !== null) expect(during['blocked-by'].join()).toMatch(/failover-in-progress|retry-delay/);
    const election = (await explain(s.port, t.masterName))['last-election'];
    expect(election).toMatchObject({ epoch: '1', 'votes-needed': '1' });
    expect(election?.leader).toBe(await h.queries(s.port).myid());
  });

  it('an election that cannot be won: quorum 1 met, 2 of 3 sentinels dead; the log and EXPLAIN show the votes', async () => {
    const t = await startTunedTopology(h, {
      label: 'novote',
      replicas: 1,
      sentinels: ['ours', 'ours', 'ours'],
      quorum: 1,
      downAfterMs: DOWN_AFTER_MS,
      failoverTimeoutMs: 4000,
    });
    const name = t.masterName;
    const [survivor, ...dead] = t.sentinels;
    const survivorId = await h.queries(survivor.port).myid();
    const deadIds = await Promise.all(dead.map((d) => h.queries(d.port).myid()));
    for (const d of dead) d.kill('SIGSTOP');
    await waitFor(() => explain(survivor.port, name), {
      timeoutMs: 10_000,
      description: 'both stopped sentinels SDOWN',
      until: (e) => e.sentinels.filter((x) => x['s-down'] === 'yes').length === 2,
    });
    const beforeKill = await explain(survivor.port, name);
    expect(beforeKill).toMatchObject({ voters: '3', 'votes-needed': '2', 'voters-reachable': '1', 'election-winnable': 'no' });

    const events = await h.events(survivor.port);
    const killedAt = Date.now();
    t.master.kill('SIGKILL');
    await events.waitFor({ channel: '-failover-abort-not-elected', since: killedAt }, 15_000);
    const log = await waitFor(() => logFrom(survivor.process.log(), /^-failover-abort-not-elected /), {
      timeoutMs: 5000,
      description: 'the abort and its explanation in the log',
      until: (lines) => lines.length >= 3,
    });
    expect(log[0]).toBe(`-failover-abort-not-elected ${masterAt(name, t.master)}`);
    expect(log[1]).toBe(`Failover of ${name}: not elected in epoch 1: nobody has the 2 votes needed (a majority of 3 voters, and the quorum 1); the most anyone got is 1`);
    expect(log[2].startsWith(`Failover of ${name}: votes in epoch 1: ${survivorId} -> ${survivorId}, `)).toBe(true);
    for (const id of deadIds) expect(log[2]).toContain(`${id} -> (no vote known)`);

    const e = await explain(survivor.port, name);
    expect(e['last-election']).toMatchObject({ epoch: '1', leader: null, 'votes-needed': '2' });
    expect(e['last-election']?.votes).toEqual(
      expect.arrayContaining([{ voter: survivorId, 'voted-for': survivorId }, ...deadIds.map((id) => ({ voter: id, 'voted-for': null }))]),
    );
    expect(e['election-winnable']).toBe('no');
    expect(e['failover-would-start']).toBe('no');
  });
  it('no quorum: the master stays SDOWN without ODOWN; one log line says who sees it down, EXPLAIN says the same', async () => {
    const master = await h.startRedis({ name: 'noquorum-master' });
    const s = await h.startSentinel({
      impl: 'ours',
      name: 'noquorum-sentinel',
      monitors: [{ name: 'alone', port: master.port, quorum: 2, downAfterMs: DOWN_AFTER_MS, failoverTimeoutMs: 10_000 }],
    });
    const events = await h.events(s.port);
    const killedAt = Date.now();
    master.kill('SIGKILL');
    await events.waitFor({ channel: '+sdown', since: killedAt }, 10_000);
    const e = await explain(s.port, 'alone');
    expect(e['blocked-by']).toEqual(['no-quorum: 1 sentinel(s) see the master down, quorum is 2 (no o_down)']);
    expect(e).toMatchObject({ 'sentinels-agreeing-down': '1', quorum: '2', 'election-winnable': 'no' });
    // Once per SDOWN episode (test/unit/core-explain.test.ts), five ask periods (5 s) after +sdown.
    const line = await s.process.waitForLog(/No failover of alone: /, { timeoutMs: 10_000 });
    expect(line.input).toContain('No failover of alone: 1 sentinel(s) see the master down, quorum is 2; no other sentinels known');
    expect(events.events.filter((x) => x.channel === '+odown')).toEqual([]);
  });
});
