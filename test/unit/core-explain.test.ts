import { describe, expect, it } from 'vitest';
import { chosenReplica, exclusionText, replicaVerdicts } from '../../src/core/explain.js';
import { selectReplica } from '../../src/core/failover.js';
import type { MasterInstance } from '../../src/core/instance.js';
import { createReplica } from '../../src/core/roster.js';
import type { StepContext } from '../../src/core/step-context.js';
import { encodeReply } from '../../src/resp/encode.js';
import { AclStore } from '../../src/server/acl.js';
import { CommandCatalog } from '../../src/server/command-catalog.js';
import type { Reply } from '../../src/resp/reply.js';
import { CoreHarness, FailoverWorld, MYID, PEERS, arr, int, str } from './core-fixture.js';

/*
 * Beyond Redis: SENTINEL EXPLAIN and the log lines that say why no failover happens
 * (src/core/explain.ts). Its replica criteria must stay those of selectReplica (Redis's
 * sentinelSelectSlave): on many generated replica states the two must choose the same one.
 */

/** A small seeded generator (mulberry32), so that a failing state is reproduced from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

/** Values around a limit, the limit itself included, so that off-by-one differences show. */
function near(r: () => number, limit: number): number {
  return pick(r, [0, 1, limit - 1, limit, limit + 1, Math.floor(r() * limit * 2), Math.floor(r() * 100_000)]);
}

/** Fills `m` with 1..6 replicas in random states that straddle every threshold selectReplica applies. */
function randomState(cx: StepContext, m: MasterInstance, r: () => number): void {
  const now = cx.now;
  m.downAfterMs = pick(r, [1000, 5000, 30_000]);
  m.flags.sdown = r() < 0.6;
  m.sDownSinceTime = now - near(r, 20_000);
  const count = 1 + Math.floor(r() * 6);
  for (let i = 0; i < count; i++) {
    const replica = createReplica(cx, m, { ip: '127.0.0.1', port: 7000 + i, hostname: '127.0.0.1' });
    if (!replica) continue;
    replica.flags.sdown = r() < 0.1;
    replica.flags.odown = r() < 0.05;
    replica.link.disconnected = r() < 0.1;
    replica.link.lastAvailTime = now - near(r, 5 * cx.timings.pingPeriod);
    replica.slavePriority = pick(r, [0, 1, 50, 100, 100, 100]);
    replica.infoRefresh = r() < 0.05 ? 0 : now - near(r, m.flags.sdown ? 5 * cx.timings.pingPeriod : 3 * cx.timings.infoPeriod);
    const maxDown = (m.flags.sdown ? now - m.sDownSinceTime : 0) + m.downAfterMs * 10;
    replica.masterLinkDownTime = r() < 0.5 ? 0 : near(r, maxDown);
    replica.slaveReplOffset = pick(r, [0, 1000, 1000, 2000, 5000]);
    replica.runid = r() < 0.15 ? null : pick(r, ['a', 'B', 'c', 'D', 'e']).repeat(40);
  }
}

function wire(reply: Reply): string {
  return encodeReply(reply, 2).toString('utf8');
}

describe('explain and selectReplica', () => {
  it('choose the same replica on 5000 generated replica states', () => {
    let disagreements = 0;
    let chosenSome = 0;
    let chosenNone = 0;
    for (let seed = 1; seed <= 5000; seed++) {
      const h = new CoreHarness();
      h.now += seed;
      const [bySelect, byExplain] = h.command((cx) => {
        const m = cx.masters.get('mymaster') as MasterInstance;
        randomState(cx, m, rng(seed));
        return [selectReplica(cx, m), chosenReplica(replicaVerdicts(cx, m))];
      });
      if (bySelect !== byExplain) {
        disagreements++;
        if (disagreements === 1) expect.fail(`seed ${seed}: selectReplica ${bySelect?.name ?? 'none'}, explain ${byExplain?.name ?? 'none'}`);
      }
      if (bySelect) chosenSome++;
      else chosenNone++;
    }
    expect(disagreements).toBe(0);
    // The generated states cover both outcomes, each often.
    expect(chosenSome).toBeGreaterThan(1000);
    expect(chosenNone).toBeGreaterThan(1000);
  });

  it('names every criterion a replica fails, with the figures and limits Redis uses', () => {
    const h = new CoreHarness();
    const verdicts = h.command((cx) => {
      const m = cx.masters.get('mymaster') as MasterInstance;
      m.flags.sdown = true;
      m.sDownSinceTime = cx.now - 2000;
      const make = (port: number) => createReplica(cx, m, { ip: '127.0.0.1', port, hostname: '127.0.0.1' })!;
      const fresh = (r: ReturnType<typeof make>) => {
        r.link.disconnected = false;
        r.link.lastAvailTime = cx.now;
        r.infoRefresh = cx.now;
      };
      const good = make(7000);
      fresh(good);
      const zero = make(7001);
      fresh(zero);
      zero.slavePriority = 0;
      const down = make(7002);
      fresh(down);
      down.flags.sdown = true;
      down.link.disconnected = true;
      down.link.lastAvailTime = cx.now - 6000;
      const stale = make(7003);
      fresh(stale);
      stale.infoRefresh = cx.now - 7000;
      const cut = make(7004);
      fresh(cut);
      cut.masterLinkDownTime = 60_000;
      return replicaVerdicts(cx, m).map((v) => [v.replica.name, v.exclusions.map(exclusionText)]);
    });
    // down-after 5000 ms: the limit is the 2000 ms of SDOWN plus 10 x 5000 ms; INFO is valid for 5 pings while SDOWN.
    expect(verdicts).toEqual([
      ['127.0.0.1:7000', []],
      ['127.0.0.1:7001', ['priority-0: replica-priority 0, never promoted']],
      [
        '127.0.0.1:7002',
        [
          's_down: down (subjectively, as this sentinel sees it)',
          'disconnected: link down',
          'no-ping-reply: no reply to PING for 6000 ms, limit 5000 ms',
        ],
      ],
      ['127.0.0.1:7003', ['info-stale: INFO stale by 2000 ms (last reply 7000 ms ago, limit 5000 ms)']],
      ['127.0.0.1:7004', ['master-link-down: link to the master down for 60000 ms, 8000 ms beyond the limit of 52000 ms']],
    ]);
  });
});

describe('the log lines', () => {
  it('give each replica its reason after -failover-abort-no-good-slave, after Redis line unchanged', () => {
    const sim = new FailoverWorld({ replicas: [{ port: 6380 }, { port: 6381, priority: 0 }] });
    sim.run(200);
    sim.command('failover', 'mymaster');
    sim.server(6380).refuse = true;
    const link = sim.replica(6380).link;
    sim.harness.step({ kind: 'closed', link: link.id, conn: 'cc', generation: link.cc?.generation ?? 0, reason: 'Connection reset by peer', neverConnected: false });
    sim.runUntil(() => !sim.master.flags.failoverInProgress, 5000);
    expect(sim.lines()).toContain('-failover-abort-no-good-slave master mymaster 127.0.0.1 6379');
    const timeline = sim.timeline();
    const at = timeline.findIndex((l) => l.startsWith('-failover-abort-no-good-slave'));
    expect(timeline.slice(at + 1, at + 3)).toEqual([
      'log: Failover of mymaster: replica 127.0.0.1:6380 excluded: disconnected: link down',
      'log: Failover of mymaster: replica 127.0.0.1:6381 excluded: priority-0: replica-priority 0, never promoted',
    ]);
  });

  it('say who voted for whom after -failover-abort-not-elected', () => {
    const [P1, P2] = PEERS;
    // Quorum 1: ODOWN on this sentinel's own view; both peers vote for P2, which wins the election.
    const sim = new FailoverWorld({ quorum: 1, peers: [{ down: false }, { down: false }] });
    for (const p of [P1, P2]) sim.peer(p).answer = (args) => arr(int(0), str(args[5] === '*' ? '*' : P2), int(args[5] === '*' ? 0 : Number(args[4])));
    sim.run(200);
    sim.server(6379).up = false;
    sim.runUntil(() => sim.types().includes('-failover-abort-not-elected'), 30_000);
    const timeline = sim.timeline();
    const at = timeline.findIndex((l) => l.startsWith('-failover-abort-not-elected'));
    expect(timeline.slice(at + 1, at + 3)).toEqual([
      `log: Failover of mymaster: not elected in epoch 1: ${P2} has 2 votes, 2 votes needed (a majority of 3 voters, and the quorum 1)`,
      `log: Failover of mymaster: votes in epoch 1: ${MYID} -> ${MYID}, ${P1} -> ${P2}, ${P2} -> ${P2}`,
    ]);
  });

  it('say once per SDOWN episode which peers keep the master from ODOWN', () => {
    const [P1] = PEERS;
    const sim = new FailoverWorld({ quorum: 2, peers: [{ down: false }] });
    sim.run(200);
    sim.server(6379).up = false;
    const sdownAt = sim.runUntil(() => sim.master.flags.sdown);
    sim.run(20_000);
    const lines = sim.logs().filter((l) => l.startsWith('No failover of mymaster'));
    expect(lines).toEqual([`No failover of mymaster: 1 sentinel(s) see the master down, quorum is 2; peers: ${P1} 127.0.0.1:26380 up`]);
    expect(sim.master.noOdownExplained).toBe(sim.master.sDownSinceTime);
    expect(sdownAt).toBeGreaterThan(0);
  });
});

describe('SENTINEL EXPLAIN', () => {
  it('answers for a healthy master: no failover, and the replica one would promote', () => {
    const sim = new FailoverWorld({ replicas: [{ port: 6380, offset: 900 }, { port: 6381, offset: 1200 }, { port: 6382, priority: 0 }] });
    sim.run(2000);
    const reply = wire(sim.command('explain', 'mymaster'));
    const b = (text: string) => `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
    expect(reply).toContain(b('failover-would-start') + b('no'));
    expect(reply).toContain(`${b('blocked-by')}*1\r\n${b('master-up: the master is not subjectively down (s_down)')}`);
    expect(reply).toContain(b('selected-replica') + b('127.0.0.1:6381'));
    expect(reply).toContain(`${b('eligible')}${b('no')}${b('reasons')}*1\r\n${b('priority-0: replica-priority 0, never promoted')}`);
    expect(reply.startsWith('*34\r\n')).toBe(true);
  });

  it('refuses an unknown master and a wrong number of arguments, as Redis does', () => {
    const sim = new FailoverWorld();
    expect(wire(sim.command('explain', 'nosuch'))).toBe('-ERR No such master with that name\r\n');
    expect(wire(sim.command('explain'))).toBe("-ERR wrong number of arguments for 'sentinel|explain' command\r\n");
    expect(wire(sim.command('EXPLAIN', 'a', 'b'))).toBe("-ERR wrong number of arguments for 'sentinel|explain' command\r\n");
  });
});

describe('SENTINEL EXPLAIN in the command table', () => {
  it('is found and run, with the permission of SENTINEL MASTER, but listed nowhere redis-sentinel lists commands', () => {
    const catalog = CommandCatalog.load();
    const found = catalog.lookup('SENTINEL', 'Explain');
    expect(found).toMatchObject({ kind: 'found', spec: { name: 'sentinel|explain', arity: 3, actsAs: { name: 'sentinel|master' } } });
    expect(catalog.all()).toHaveLength(72);
    expect(catalog.all().map((s) => s.name)).not.toContain('sentinel|explain');
    // COMMAND INFO / DOCS look names up with get(): unknown there, as in redis-sentinel.
    expect(catalog.get('sentinel|explain')).toBeUndefined();
    expect(catalog.routedSubcommands().map((s) => s.name)).toContain('sentinel|explain');
  });
});

describe('SENTINEL EXPLAIN and ACL', () => {
  it('may be run by exactly the users that may run SENTINEL MASTER', () => {
    const catalog = CommandCatalog.load();
    const acl = new AclStore(catalog);
    const explain = (catalog.lookup('sentinel', 'explain') as { spec: Parameters<AclStore['canRun']>[1] }).spec;
    expect(acl.canRun(acl.defaultUser, explain)).toBe(true);
    acl.setUser('reader', ['on', 'nopass', '+sentinel|master']);
    acl.setUser('other', ['on', 'nopass', '+sentinel|masters', '+@pubsub']);
    acl.setUser('most', ['on', 'nopass', '+@all', '-sentinel|master']);
    expect(['reader', 'other', 'most'].map((u) => acl.canRun(acl.get(u)!, explain))).toEqual([true, false, false]);
  });
});
