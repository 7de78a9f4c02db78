import { describe, expect, it } from 'vitest';
import type { SentinelConfig } from '../../src/config/model.js';
import type { ObservedReply } from '../../src/core/actions.js';
import { selectReplica } from '../../src/core/failover.js';
import { flagsString } from '../../src/core/instance.js';
import { FAST_TUNING } from '../../src/core/timing.js';
import { encodeReply } from '../../src/resp/encode.js';
import type { Reply } from '../../src/resp/reply.js';
import { FailoverWorld, LOCAL, MASTER_PORT, MYID, PEERS, arr, int, str } from './core-fixture.js';

/*
 * Failover as a user sees it (§6.2–§9 of the reference): events, log lines, the
 * commands sent to instances and peers, the saved config and SENTINEL replies.
 * The core runs with the Redis-compatible tuning, on a fake clock ticking every
 * 100 ms, in a small simulated world of redis servers and peer sentinels
 * (FailoverWorld, in core-fixture.ts).
 */

const [P1, P2, P3, P4] = PEERS;

function wire(reply: Reply): string {
  return encodeReply(reply, 2).toString('utf8');
}

const M = 'master mymaster 127.0.0.1 6379';
const at = (port: number, master = MASTER_PORT) => `slave 127.0.0.1:${port} 127.0.0.1 ${port} @ mymaster 127.0.0.1 ${master}`;
const peerDesc = (runid: string, port: number) => `sentinel ${runid} 127.0.0.1 ${port} @ mymaster 127.0.0.1 6379`;

/** A world with the master's server stopped, run until the master is SDOWN. */
function untilSdown(sim: FailoverWorld): number {
  sim.server(MASTER_PORT).up = false;
  return sim.runUntil(() => sim.master.flags.sdown);
}

describe('the simulated world', () => {
  it('keeps a healthy master and its replicas up, with fresh INFO', () => {
    const sim = new FailoverWorld({ peers: [{}] });
    sim.run(20_000);
    expect(sim.master.flags.sdown).toBe(false);
    expect(sim.replica(6380).flags.sdown).toBe(false);
    expect(sim.replica(6380).link.disconnected).toBe(false);
    expect(sim.replica(6380).slaveMasterLinkUp).toBe(true);
    expect(sim.types()).not.toContain('+sdown');
    expect(sim.harness.command((cx) => selectReplica(cx, sim.master))?.addr.port).toBe(6380);
  });
});

describe('ODOWN (§6.2)', () => {
  it('counts itself plus every peer reporting master_down, against the quorum', () => {
    const sim = new FailoverWorld({ quorum: 3, peers: [{ down: true }, { down: false }, { down: true }] });
    sim.run(200);
    const sdownAt = untilSdown(sim);
    expect(sim.master.flags.odown).toBe(false);
    sim.tick();
    expect(sim.timeOf('+odown')).toBe(sdownAt + 100);
    expect(sim.lines()).toContain(`+odown ${M} #quorum 3/3`);
    expect(flagsString(sim.sentinel(P1))).toBe('sentinel,master_down');
    expect(flagsString(sim.sentinel(P2))).toBe('sentinel');
  });

  it('is not reached with fewer votes than the quorum', () => {
    const sim = new FailoverWorld({ quorum: 3, peers: [{ down: true }, { down: false }, { down: false }] });
    sim.run(200);
    untilSdown(sim);
    sim.run(10_000);
    expect(sim.master.flags.odown).toBe(false);
    expect(sim.types()).not.toContain('+odown');
  });

  it('follows SDOWN in the same tick with quorum 1', () => {
    const sim = new FailoverWorld({ quorum: 1 });
    sim.run(200);
    const sdownAt = untilSdown(sim);
    expect(sim.timeOf('+odown')).toBe(sdownAt);
    expect(sim.lines()).toContain(`+odown ${M} #quorum 1/1`);
  });

  it('ends with -odown right after -sdown when the master answers again', () => {
    const sim = new FailoverWorld({ peers: [{}], master: (m) => (m.failoverTimeoutMs = 60_000) });
    sim.run(200);
    untilSdown(sim);
    sim.runUntil(() => sim.master.flags.odown);
    const mark = sim.mark();
    sim.server(MASTER_PORT).up = true;
    sim.runUntil(() => !sim.master.flags.sdown);
    expect(sim.lines(mark).filter((l) => /^[+-][so]down/.test(l))).toEqual([`-sdown ${M}`, `-odown ${M}`]);
    expect(sim.master.flags.odown).toBe(false);
  });

  it("forgets a peer's answer once it is older than 5 ask-periods", () => {
    const sim = new FailoverWorld({ peers: [{ vote: 'never' }], master: (m) => (m.failoverTimeoutMs = 60_000) });
    sim.run(200);
    untilSdown(sim);
    sim.runUntil(() => sim.master.flags.odown);
    const lastAnswer = sim.sentinel(P1).lastMasterDownReplyTime;
    sim.peer(P1).up = false;
    sim.runUntil(() => sim.now === lastAnswer + 5000);
    expect(sim.master.flags.odown).toBe(true);
    expect(flagsString(sim.sentinel(P1))).toContain('master_down');
    // Redis's ODOWN check still counts the stale answer for one more tick (it runs before the asks
    // that expire it); ours counts only fresh answers, so -odown comes in the same tick.
    sim.tick();
    expect(flagsString(sim.sentinel(P1))).not.toContain('master_down');
    expect(sim.timeOf('-odown')).toBe(lastAnswer + 5100);
    expect(sim.master.flags.sdown).toBe(true);
  });
});

describe('asking peers: SENTINEL is-master-down-by-addr (§6.3)', () => {
  it('asks only while the master is SDOWN, with the master address, the current epoch and *', () => {
    const sim = new FailoverWorld({ peers: [{ down: false }] });
    sim.run(10_000);
    expect(sim.sentTo(P1, 'SENTINEL')).toEqual([]);
    const sdownAt = untilSdown(sim);
    sim.run(3000);
    const asks = sim.sentTo(P1, 'SENTINEL');
    expect(asks[0]).toEqual({ at: sdownAt, args: ['SENTINEL', 'is-master-down-by-addr', '127.0.0.1', '6379', '0', '*'] });
    // Answered at once, so asked again one ask-period after each answer.
    expect(asks.map((a) => a.at - sdownAt)).toEqual([0, 1000, 2000, 3000]);
  });

  it('sends the command through rename-command', () => {
    const sim = new FailoverWorld({ peers: [{ down: false }], master: (m) => (m.renamedCommands = [['sentinel', 'sentinel-7f3a']]) });
    sim.run(200);
    untilSdown(sim);
    expect(sim.sentTo(P1, 'SENTINEL-7F3A')[0].args).toEqual(['sentinel-7f3a', 'is-master-down-by-addr', '127.0.0.1', '6379', '0', '*']);
    expect(sim.sentTo(P1, 'SENTINEL')).toEqual([]);
  });

  it('asks at once, with its new epoch and its run id, in the tick its failover starts', () => {
    const sim = new FailoverWorld({ peers: [{ vote: 'never' }] });
    sim.run(200);
    untilSdown(sim);
    sim.runUntil(() => sim.master.flags.failoverInProgress);
    const startedAt = sim.timeOf('+try-failover');
    const asks = sim.sentTo(P1, 'SENTINEL');
    // The previous answer came 100 ms before: only the forced ask goes out in that tick.
    expect(asks.filter((a) => a.at === startedAt).map((a) => a.args)).toEqual([
      ['SENTINEL', 'is-master-down-by-addr', '127.0.0.1', '6379', '1', MYID],
    ]);
    sim.run(1000);
    expect(sim.sentTo(P1, 'SENTINEL').at(-1)?.args.slice(4)).toEqual(['1', MYID]);
  });

  it('takes only an array of an integer, a bulk string and an integer as an answer', () => {
    const sim = new FailoverWorld({ peers: [{ up: true }] });
    let answer: ObservedReply | null = null;
    sim.peer(P1).answer = () => answer;
    sim.run(200);
    untilSdown(sim);
    const malformed: ObservedReply[] = [
      arr(int(1), str('*')),
      arr(int(1), str('*'), int(0), int(0)),
      arr(str('1'), str('*'), int(0)),
      arr(int(1), int(0), int(0)),
      arr(int(1), str('*'), str('0')),
      arr(int(1), { type: 'null' }, int(0)),
      { type: 'error', value: 'ERR unknown command' },
      { type: 'null' },
      str('1'),
    ];
    const before = sim.sentinel(P1).lastMasterDownReplyTime;
    for (const bad of malformed) {
      answer = bad;
      sim.run(1000);
    }
    expect(sim.sentinel(P1).lastMasterDownReplyTime).toBe(before);
    expect(sim.master.flags.odown).toBe(false);
    answer = arr(int(1), str('*'), int(0));
    sim.runUntil(() => sim.master.flags.odown, 1200);
    expect(sim.sentinel(P1).lastMasterDownReplyTime).toBeGreaterThan(before);
  });

  it('asks a peer that has not answered again on every tick once an ask-period has passed, as redis-sentinel does', () => {
    // redis-sentinel 7.0.15 with a known peer that accepts connections and never answers:
    // 138 asks in 10 s after +sdown, 13-15 every second, one per timer tick (test setup in the report).
    const sim = new FailoverWorld({ peers: [{ down: false }] });
    sim.run(200);
    sim.peer(P1).answer = () => null;
    const sdownAt = untilSdown(sim);
    sim.run(3000);
    const asks = sim.sentTo(P1, 'SENTINEL').filter((a) => a.at > sdownAt + 1000);
    expect(asks.length).toBeGreaterThanOrEqual(19);
  });

  it("logs a peer's vote when the epoch of its vote changes", () => {
    const sim = new FailoverWorld({ peers: [{}] });
    let vote = arr(int(1), str(P2), int(3));
    sim.peer(P1).answer = () => vote;
    sim.run(200);
    untilSdown(sim);
    sim.run(3000);
    expect(sim.logs().filter((l) => l.includes('voted for'))).toEqual([`${P1} voted for ${P2} 3`]);
    expect(sim.sentinel(P1).leader).toBe(P2);
    expect(sim.sentinel(P1).leaderEpoch).toBe(3n);
    vote = arr(int(1), str(P3), int(4));
    sim.run(1000);
    expect(sim.logs().filter((l) => l.includes('voted for'))).toEqual([`${P1} voted for ${P2} 3`, `${P1} voted for ${P3} 4`]);
  });
});

describe('leader election (§7.2–§7.4)', () => {
  it('is won with its own vote plus a peer vote for the current epoch', () => {
    const sim = new FailoverWorld({ peers: [{}] });
    sim.run(200);
    untilSdown(sim);
    sim.runUntil(() => sim.master.failoverState === 'select_slave');
    expect(sim.types().slice(sim.types().indexOf('+odown'))).toEqual([
      '+odown',
      '+new-epoch',
      '+try-failover',
      '+vote-for-leader',
      '+elected-leader',
      '+failover-state-select-slave',
    ]);
    expect(sim.lines()).toContain(`+vote-for-leader ${MYID} 1`);
    expect(sim.lines()).toContain('+new-epoch 1');
  });

  it('does not count a peer vote from another epoch, and gives up after the election timeout', () => {
    const sim = new FailoverWorld({ peers: [{}] });
    sim.peer(P1).answer = (args) => arr(int(1), str(args[5] === '*' ? '*' : MYID), int(args[5] === '*' ? 0 : 7));
    sim.run(200);
    untilSdown(sim);
    sim.runUntil(() => sim.types().includes('-failover-abort-not-elected'), 30_000);
    expect(sim.types()).not.toContain('+elected-leader');
    expect(sim.sentinel(P1).leader).toBe(MYID);
    // failover_start_time is the start plus rand()%1000 (500 here); the timeout is min(10 s, failover-timeout).
    const startedAt = sim.timeOf('+try-failover') as number;
    expect(sim.timeOf('-failover-abort-not-elected')).toBe(startedAt + 500 + 10_100);
    expect(sim.lines()).toContain(`-failover-abort-not-elected ${M}`);
    expect(sim.master.failoverState).toBe('none');
    expect(sim.master.flags.failoverInProgress).toBe(false);
  });

  it('counts only votes given in the epoch of its attempt, not in a newer one begun since', () => {
    // P1 votes for whoever asks from epoch 2 on; in epoch 1 it votes for nobody. P2 never votes.
    const sim = new FailoverWorld({ peers: [{}, { vote: 'never' }] });
    sim.peer(P1).answer = (args) => {
      const epoch = Number(args[4]);
      return args[5] === '*' || epoch < 2 ? arr(int(1), str('*'), int(0)) : arr(int(1), str(args[5]), int(epoch));
    };
    sim.run(200);
    untilSdown(sim);
    sim.runUntil(() => sim.types().includes('+try-failover'));
    expect(sim.master.failoverEpoch).toBe(1n);
    // A peer's SENTINEL FAILOVER elsewhere begins epoch 2; our attempt in epoch 1 keeps asking, now from epoch 2.
    sim.hello(`${LOCAL},26381,${PEERS[1]},2,mymaster,${LOCAL},${MASTER_PORT},0`);
    sim.runUntil(() => sim.sentinel(P1).leaderEpoch === 2n && sim.sentinel(P1).leader === MYID, 10_000);
    sim.runUntil(() => sim.types().includes('-failover-abort-not-elected'), 30_000);
    expect(sim.types()).not.toContain('+elected-leader');
  });

  it('caps the election timeout at failover-timeout', () => {
    const sim = new FailoverWorld({ peers: [{ vote: 'never' }], master: (m) => (m.failoverTimeoutMs = 3000) });
    sim.run(200);
    untilSdown(sim);
    sim.runUntil(() => sim.types().includes('-failover-abort-not-elected'), 30_000);
    expect(sim.timeOf('-failover-abort-not-elected')).toBe((sim.timeOf('+try-failover') as number) + 500 + 3100);
  });

  it('needs a majority of all known sentinels, reachable or not', () => {
    // Five voters: three votes are needed although the quorum is 2.
    const sim = new FailoverWorld({ peers: [{}, { up: false }, { up: false }, { up: false }] });
    sim.run(200);
    untilSdown(sim);
    sim.runUntil(() => sim.types().includes('-failover-abort-not-elected'), 30_000);
    expect(sim.types()).not.toContain('+elected-leader');

    const three = new FailoverWorld({ peers: [{}, {}, { up: false }, { up: false }] });
    three.run(200);
    untilSdown(three);
    three.runUntil(() => three.types().includes('+elected-leader'), 30_000);
  });

  it('needs the quorum when it is larger than the majority', () => {
    // Three voters, quorum 3: its own vote and one peer's make a majority but not the quorum.
    const sim = new FailoverWorld({ quorum: 3, peers: [{}, { vote: 'never' }] });
    sim.run(200);
    untilSdown(sim);
    sim.runUntil(() => sim.types().includes('-failover-abort-not-elected'), 30_000);
    expect(sim.types()).toContain('+odown');
    expect(sim.types()).not.toContain('+elected-leader');

    const both = new FailoverWorld({ quorum: 3, peers: [{}, {}] });
    both.run(200);
    untilSdown(both);
    both.runUntil(() => both.types().includes('+elected-leader'), 30_000);
  });

  it('gives its own vote to the peers\' favourite of the epoch, and then waits', () => {
    // Both peers report a vote for P1 in epoch 1 before this sentinel's own failover reaches epoch 1.
    const sim = new FailoverWorld({ peers: [{}, {}] });
    for (const p of [P1, P2]) sim.peer(p).answer = () => arr(int(1), str(P1), int(1));
    sim.run(200);
    untilSdown(sim);
    sim.runUntil(() => sim.master.flags.failoverInProgress);
    expect(sim.lines()).toContain(`+vote-for-leader ${P1} 1`);
    expect(sim.master.leader).toBe(P1);
    sim.run(15_000);
    expect(sim.types()).not.toContain('+elected-leader');
    expect(sim.types()).toContain('-failover-abort-not-elected');
  });
});

describe('votes asked of this sentinel (§7.2)', () => {
  it('raises its epoch, then votes, flushing the config before each event', () => {
    const sim = new FailoverWorld();
    const mark = sim.mark();
    expect(wire(sim.command('is-master-down-by-addr', LOCAL, '6379', '3', P1))).toBe(`*3\r\n:0\r\n$40\r\n${P1}\r\n:3\r\n`);
    expect(sim.timeline(mark)).toEqual([
      'log: Sentinel new configuration saved on disk',
      '+new-epoch 3',
      'log: Sentinel new configuration saved on disk',
      `+vote-for-leader ${P1} 3`,
    ]);
    expect(sim.saved.at(-1)).toMatchObject({ currentEpoch: 3n, masters: [{ leaderEpoch: 3n }] });
  });

  it('votes once per epoch and never for an epoch older than its own', () => {
    const sim = new FailoverWorld({ sentinel: (c) => (c.currentEpoch = 5n) });
    const ask = (epoch: string, runid: string) => wire(sim.command('is-master-down-by-addr', LOCAL, '6379', epoch, runid));
    expect(ask('4', P1)).toBe('*3\r\n:0\r\n$1\r\n*\r\n:0\r\n');
    expect(ask('5', P1)).toBe(`*3\r\n:0\r\n$40\r\n${P1}\r\n:5\r\n`);
    const saves = sim.saved.length;
    expect(ask('5', P2)).toBe(`*3\r\n:0\r\n$40\r\n${P1}\r\n:5\r\n`);
    expect(sim.saved.length).toBe(saves);
    expect(sim.types().filter((t) => t === '+vote-for-leader')).toHaveLength(1);
  });

  it('after voting for a peer, starts no failover of its own for twice the failover-timeout, and logs when it may', () => {
    const sim = new FailoverWorld({ peers: [{}], master: (m) => (m.failoverTimeoutMs = 10_000) });
    sim.run(200);
    const votedAt = sim.now;
    sim.command('is-master-down-by-addr', LOCAL, '6379', '1', P1);
    untilSdown(sim);
    sim.runUntil(() => sim.master.flags.odown);
    sim.runUntil(() => sim.types().includes('+try-failover'), 60_000);
    // failover_start_time = vote time + rand()%1000 (500); the lockout is 2 × failover-timeout.
    expect(sim.timeOf('+try-failover')).toBe(votedAt + 500 + 20_000);
    const notBefore = cTime(votedAt + 500 + 20_000);
    expect(sim.logs().filter((l) => l.startsWith('Next failover delay'))).toEqual([
      `Next failover delay: I will not start a failover before ${notBefore}`,
    ]);
    expect(sim.lines()).toContain('+new-epoch 2');
  });

  it('retries a failover it was not elected for after twice the failover-timeout, in a new epoch', () => {
    const sim = new FailoverWorld({ peers: [{ vote: 'never' }], master: (m) => (m.failoverTimeoutMs = 5000) });
    sim.run(200);
    untilSdown(sim);
    sim.runUntil(() => sim.types().filter((t) => t === '+try-failover').length === 2, 60_000);
    const starts = sim.records.filter((r) => r.action.kind === 'event' && r.action.event.type === '+try-failover').map((r) => r.at);
    expect(starts[1] - starts[0]).toBe(500 + 10_000);
    expect(sim.lines().filter((l) => l.startsWith('+new-epoch'))).toEqual(['+new-epoch 1', '+new-epoch 2']);
    expect(sim.logs().filter((l) => l.startsWith('Next failover delay'))).toHaveLength(1);
  });
});

/** C's ctime() without its newline, local time: `Thu Jan  1 00:16:40 1970`. */
function cTime(ms: number): string {
  const d = new Date(Math.floor(ms / 1000) * 1000);
  const [weekday, month] = [
    ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getDay()],
    ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getMonth()],
  ];
  const two = (n: number) => String(n).padStart(2, '0');
  return `${weekday} ${month} ${String(d.getDate()).padStart(2, ' ')} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${d.getFullYear()}`;
}

describe('replica selection (§8.3.1)', () => {
  const chosen = (sim: FailoverWorld) => sim.harness.command((cx) => selectReplica(cx, sim.master))?.addr.port ?? null;
  const NOGOODSLAVE = '-NOGOODSLAVE No suitable replica to promote\r\n';

  it('prefers the lowest priority, then the largest offset, then the smallest run id ignoring case', () => {
    const sim = new FailoverWorld({
      replicas: [
        { port: 6380, priority: 10, offset: 10, runid: '9'.repeat(40) },
        { port: 6381, priority: 5, offset: 1, runid: 'f'.repeat(40) },
        { port: 6382, priority: 5, offset: 2, runid: 'e'.repeat(40) },
        { port: 6383, priority: 5, offset: 2, runid: 'D'.repeat(40) },
        { port: 6384, priority: 5, offset: 2, runid: 'c'.repeat(40) },
      ],
    });
    sim.run(200);
    expect(chosen(sim)).toBe(6384);
    sim.server(6384).offset = 1;
    sim.run(10_100);
    expect(chosen(sim)).toBe(6383);
    // Compared byte by byte, 'B…' would come before 'a…'.
    sim.server(6383).runid = 'B'.repeat(40);
    sim.server(6382).runid = 'a'.repeat(40);
    sim.run(10_100);
    expect(sim.replica(6383).runid).toBe('B'.repeat(40));
    expect(chosen(sim)).toBe(6382);
    sim.server(6380).priority = 1;
    sim.run(10_100);
    expect(chosen(sim)).toBe(6380);
  });

  it('puts a replica without a run id last among equals', () => {
    const sim = new FailoverWorld({ replicas: [{ port: 6380, runid: 'f'.repeat(40) }, { port: 6381, runid: '0'.repeat(40) }] });
    sim.run(200);
    expect(chosen(sim)).toBe(6381);
    // An INFO without a run_id line leaves the run id unknown.
    const fresh = new FailoverWorld({ replicas: [{ port: 6380, runid: 'f'.repeat(40) }, { port: 6381, runid: '' }] });
    fresh.run(200);
    expect(fresh.replica(6381).runid).toBeNull();
    expect(chosen(fresh)).toBe(6380);
  });

  it('never picks a replica with priority 0, and then answers NOGOODSLAVE to SENTINEL FAILOVER', () => {
    const sim = new FailoverWorld({ replicas: [{ port: 6380, priority: 0 }] });
    sim.run(200);
    expect(chosen(sim)).toBeNull();
    expect(wire(sim.command('failover', 'mymaster'))).toBe(NOGOODSLAVE);
    expect(sim.types()).not.toContain('+try-failover');
  });

  it('skips replicas that are SDOWN', () => {
    // A short down-after: the replica is SDOWN before its last PING reply is 5 ping-periods old.
    const sim = new FailoverWorld({ replicas: [{ port: 6380 }], master: (m) => (m.downAfterMs = 1000) });
    sim.run(200);
    expect(chosen(sim)).toBe(6380);
    sim.server(6380).up = false;
    sim.runUntil(() => sim.replica(6380).flags.sdown, 5000);
    expect(sim.now - sim.replica(6380).link.lastAvailTime).toBeLessThanOrEqual(5000);
    expect(chosen(sim)).toBeNull();
  });

  it('skips a replica whose link is disconnected', () => {
    const sim = new FailoverWorld({ replicas: [{ port: 6380 }] });
    sim.run(200);
    const link = sim.replica(6380).link;
    sim.harness.step({ kind: 'closed', link: link.id, conn: 'cc', generation: link.cc?.generation ?? 0, reason: 'Connection reset by peer', neverConnected: false });
    expect(chosen(sim)).toBeNull();
    expect(wire(sim.command('failover', 'mymaster'))).toBe(NOGOODSLAVE);
  });

  it('skips a replica whose last valid PING reply is older than 5 ping-periods', () => {
    const sim = new FailoverWorld({ replicas: [{ port: 6380 }], master: (m) => (m.downAfterMs = 30_000) });
    sim.run(200);
    sim.server(6380).up = false;
    const lastPong = sim.replica(6380).link.lastAvailTime;
    sim.runUntil(() => sim.now === lastPong + 5000);
    expect(chosen(sim)).toBe(6380);
    sim.tick();
    expect(sim.replica(6380).flags.sdown).toBe(false);
    expect(chosen(sim)).toBeNull();
  });

  it('skips a replica whose INFO is older than 3 info-periods', () => {
    const sim = new FailoverWorld({ replicas: [{ port: 6380 }] });
    sim.run(200);
    sim.server(6380).answersInfo = false;
    const refreshed = sim.replica(6380).infoRefresh;
    sim.runUntil(() => sim.now === refreshed + 30_000);
    expect(chosen(sim)).toBe(6380);
    sim.tick();
    expect(chosen(sim)).toBeNull();
  });

  it('allows only 5 ping-periods of INFO age once the master is SDOWN', () => {
    const sim = new FailoverWorld({ replicas: [{ port: 6380 }] });
    sim.run(200);
    untilSdown(sim);
    // INFO comes every 10 s while the master is only SDOWN: stop answering right after one.
    const refreshed = sim.runUntil(() => sim.replica(6380).infoRefresh === sim.now);
    sim.server(6380).answersInfo = false;
    sim.runUntil(() => sim.now === refreshed + 5000);
    expect(chosen(sim)).toBe(6380);
    sim.tick();
    expect(chosen(sim)).toBeNull();
  });

  it('skips a replica whose link to the master has been down longer than 10 down-afters plus the SDOWN time', () => {
    const sim = new FailoverWorld({ replicas: [{ port: 6380, linkDownSeconds: 50 }, { port: 6381, linkDownSeconds: 51 }] });
    sim.run(200);
    expect(sim.replica(6381).masterLinkDownTime).toBe(51_000);
    expect(sim.harness.command((cx) => selectReplica(cx, sim.master))?.addr.port).toBe(6380);
    sim.server(6380).linkDownSeconds = 51;
    sim.run(1100);
    expect(chosen(sim)).toBeNull();
    // With the master SDOWN for 10 s, 60 s of link down time are tolerated.
    sim.server(6380).linkDownSeconds = 60;
    sim.server(6381).linkDownSeconds = 61;
    untilSdown(sim);
    sim.run(10_000);
    expect(sim.now - sim.master.sDownSinceTime).toBe(10_000);
    expect(chosen(sim)).toBe(6380);
    sim.replica(6380).masterLinkDownTime = 60_001;
    expect(chosen(sim)).toBeNull();
  });
});

describe('the failover state machine (§8)', () => {
  const TRANSACTION = (target: string[]) => [
    ['MULTI'],
    ['SLAVEOF', ...target],
    ['CONFIG', 'REWRITE'],
    ['CLIENT', 'KILL', 'TYPE', 'normal'],
    ['CLIENT', 'KILL', 'TYPE', 'pubsub'],
    ['EXEC'],
  ];
  /** The commands of the SLAVEOF transactions sent to `port`, without the periodic ones. */
  const transactions = (sim: FailoverWorld, port: number) =>
    sim.sentTo(port).filter((s) => ['MULTI', 'SLAVEOF', 'CONFIG', 'CLIENT', 'EXEC'].includes(s.args[0]) && s.args[1] !== 'SETNAME').map((s) => s.args);
  const state = (sim: FailoverWorld) => (sim.master.flags.failoverInProgress ? sim.master.failoverState : 'none');

  it('runs a manual failover through every state with the events redis-sentinel emits', () => {
    const sim = new FailoverWorld();
    sim.run(200);
    const mark = sim.mark();
    expect(wire(sim.command('failover', 'mymaster'))).toBe('+OK\r\n');
    const states: string[] = [state(sim)];
    sim.runUntil(() => {
      if (states.at(-1) !== state(sim)) states.push(state(sim));
      return state(sim) === 'none';
    });
    // update_config is reached and left in the same tick (the switch ends the timer run).
    expect(states).toEqual(['wait_start', 'select_slave', 'send_slaveof_noone', 'wait_promotion', 'reconf_slaves', 'none']);
    sim.run(25_000);
    const seen = sim.events().slice(sim.events().length - sim.lines(mark).length).filter((e) => e.level !== 'debug');
    expect(seen.map((e) => `${e.type} ${e.message}`)).toEqual([
      '+new-epoch 1',
      `+try-failover ${M}`,
      `+vote-for-leader ${MYID} 1`,
      `+elected-leader ${M}`,
      `+failover-state-select-slave ${M}`,
      `+selected-slave ${at(6380)}`,
      `+failover-state-send-slaveof-noone ${at(6380)}`,
      `+failover-state-wait-promotion ${at(6380)}`,
      `-role-change ${at(6380)} new reported role is master`,
      `+promoted-slave ${at(6380)}`,
      `+failover-state-reconf-slaves ${M}`,
      `+slave-reconf-sent ${at(6381)}`,
      `+slave-reconf-inprog ${at(6381)}`,
      `+slave-reconf-done ${at(6381)}`,
      `+failover-end ${M}`,
      '+switch-master mymaster 127.0.0.1 6379 127.0.0.1 6380',
      `+slave ${at(6381, 6380)}`,
      `+slave ${at(6379, 6380)}`,
      `-role-change ${at(6379, 6380)} new reported role is master`,
      `+convert-to-slave ${at(6379, 6380)}`,
      `+role-change ${at(6379, 6380)} new reported role is slave`,
    ]);
    expect(sim.logs()).toContain("Executing user requested FAILOVER of 'mymaster'");
    expect(sim.server(6379)).toMatchObject({ role: 'slave', masterPort: 6380 });
    expect(sim.server(6381)).toMatchObject({ role: 'slave', masterPort: 6380 });
  });

  it('promotes with MULTI, SLAVEOF NO ONE, CONFIG REWRITE, two CLIENT KILLs and EXEC, and repoints replicas the same way', () => {
    const sim = new FailoverWorld();
    sim.run(200);
    sim.command('failover', 'mymaster');
    sim.runUntil(() => sim.types().includes('+switch-master'));
    expect(transactions(sim, 6380)).toEqual(TRANSACTION(['NO', 'ONE']));
    expect(transactions(sim, 6381)).toEqual(TRANSACTION(['127.0.0.1', '6380']));
  });

  it('sends every command of the transaction through rename-command', () => {
    const renames: Array<[string, string]> = [
      ['MULTI', 'm-x'],
      ['slaveof', 's-x'],
      ['CONFIG', 'c-x'],
      ['CLIENT', 'k-x'],
      ['EXEC', 'e-x'],
    ];
    const sim = new FailoverWorld({ master: (m) => (m.renamedCommands = renames) });
    sim.run(200);
    sim.command('failover', 'mymaster');
    sim.run(500);
    const sent = sim.sentTo(6380).map((s) => s.args).filter((a) => /-x$/.test(a[0]) && a[1] !== 'SETNAME');
    expect(sent).toEqual([
      ['m-x'],
      ['s-x', 'NO', 'ONE'],
      ['c-x', 'REWRITE'],
      ['k-x', 'KILL', 'TYPE', 'normal'],
      ['k-x', 'KILL', 'TYPE', 'pubsub'],
      ['e-x'],
    ]);
  });

  it('aborts with -failover-abort-slave-timeout when the chosen replica stays unreachable for failover-timeout', () => {
    const sim = new FailoverWorld({ replicas: [{ port: 6380 }], master: (m) => (m.failoverTimeoutMs = 5000) });
    sim.run(200);
    sim.command('failover', 'mymaster');
    sim.runUntil(() => sim.master.failoverState === 'send_slaveof_noone');
    const chosenAt = sim.now;
    // The connection drops right after the choice, and reconnecting fails.
    sim.server(6380).refuse = true;
    const link = sim.replica(6380).link;
    sim.harness.step({ kind: 'closed', link: link.id, conn: 'cc', generation: link.cc?.generation ?? 0, reason: 'Connection reset by peer', neverConnected: false });
    sim.runUntil(() => sim.types().includes('-failover-abort-slave-timeout'), 10_000);
    expect(sim.timeOf('-failover-abort-slave-timeout')).toBe(chosenAt + 5100);
    expect(sim.lines()).toContain(`-failover-abort-slave-timeout ${M}`);
    expect(transactions(sim, 6380)).toEqual([]);
    expect(flagsString(sim.replica(6380))).not.toContain('promoted');
    expect(flagsString(sim.master)).toBe('master');
    expect(sim.types()).not.toContain('+failover-state-wait-promotion');
  });

  it('aborts with -failover-abort-slave-timeout when the promotion is not seen within failover-timeout', () => {
    const sim = new FailoverWorld({ replicas: [{ port: 6380, obeys: false }], master: (m) => (m.failoverTimeoutMs = 5000) });
    sim.run(200);
    sim.command('failover', 'mymaster');
    sim.runUntil(() => sim.master.failoverState === 'wait_promotion');
    const sentAt = sim.now;
    sim.runUntil(() => sim.types().includes('-failover-abort-slave-timeout'), 10_000);
    expect(sim.timeOf('-failover-abort-slave-timeout')).toBe(sentAt + 5100);
    expect(sim.master.failoverState).toBe('none');
    expect(sim.master.promoted).toBeNull();
    expect(sim.replica(6380).flags.promoted).toBe(false);
    expect(sim.types()).not.toContain('+promoted-slave');
  });

  it('aborts with -failover-abort-no-good-slave when no replica qualifies any more', () => {
    const sim = new FailoverWorld({ replicas: [{ port: 6380 }] });
    sim.run(200);
    sim.command('failover', 'mymaster');
    // The only replica goes away right after the command.
    sim.server(6380).refuse = true;
    const link = sim.replica(6380).link;
    sim.harness.step({ kind: 'closed', link: link.id, conn: 'cc', generation: link.cc?.generation ?? 0, reason: 'Connection reset by peer', neverConnected: false });
    sim.runUntil(() => !sim.master.flags.failoverInProgress, 5000);
    expect(sim.types().slice(-3)).toEqual(['+elected-leader', '+failover-state-select-slave', '-failover-abort-no-good-slave']);
    expect(sim.lines()).toContain(`-failover-abort-no-good-slave ${M}`);
    expect(flagsString(sim.master)).toBe('master');
  });

  it('sets the config epoch and flushes the config before announcing +promoted-slave', () => {
    const sim = new FailoverWorld();
    sim.run(200);
    sim.command('failover', 'mymaster');
    sim.runUntil(() => sim.types().includes('+promoted-slave'));
    const promotedIndex = sim.records.findIndex((r) => r.action.kind === 'event' && r.action.event.type === '+promoted-slave');
    expect(sim.records[promotedIndex - 1].action).toMatchObject({ kind: 'log', message: 'Sentinel new configuration saved on disk' });
    // Saved while reconfiguring: the promoted replica is the master, the old master a known replica.
    expect(sim.saved.at(-1)?.masters[0]).toMatchObject({
      host: '127.0.0.1',
      port: 6380,
      configEpoch: 1n,
      knownReplicas: [
        { host: '127.0.0.1', port: 6379 },
        { host: '127.0.0.1', port: 6381 },
      ],
    });
    expect(sim.master.configEpoch).toBe(1n);
  });

  it('reports the promoted replica as the master address from reconf_slaves on (GET-MASTER-ADDR-BY-NAME, hello)', () => {
    const addr = (sim: FailoverWorld) => wire(sim.command('get-master-addr-by-name', 'mymaster'));
    const OLD = '*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n';
    const NEW = '*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6380\r\n';
    const sim = new FailoverWorld({ replicas: [{ port: 6380 }, { port: 6381, syncs: false }], master: (m) => (m.failoverTimeoutMs = 60_000) });
    sim.run(200);
    sim.command('failover', 'mymaster');
    sim.runUntil(() => sim.master.failoverState === 'wait_promotion');
    expect(addr(sim)).toBe(OLD);
    sim.runUntil(() => sim.master.failoverState === 'reconf_slaves');
    expect(addr(sim)).toBe(NEW);
    const mark = sim.mark();
    sim.run(2500);
    const hellos = sim.records.slice(mark).flatMap((r) => (r.action.kind === 'send' && r.action.args[0] === 'PUBLISH' ? [r.action.args[2]] : []));
    expect(hellos.length).toBeGreaterThan(0);
    for (const h of hellos) expect(h.split(',').slice(4)).toEqual(['mymaster', '127.0.0.1', '6380', '1']);
    // SENTINEL MASTER keeps the old address until the switch.
    expect(wire(sim.command('master', 'mymaster'))).toContain('$2\r\nip\r\n$9\r\n127.0.0.1\r\n$4\r\nport\r\n$4\r\n6379\r\n');
  });

  it('sends the promotion hello to the master, replicas and peers at once (forced hello)', () => {
    const sim = new FailoverWorld({ peers: [{}], replicas: [{ port: 6380, obeys: false }, { port: 6381 }] });
    sim.run(3000);
    sim.command('failover', 'mymaster');
    sim.runUntil(() => sim.master.failoverState === 'wait_promotion');
    sim.run(700);
    // The promotion is seen between two ticks, after every earlier reply.
    sim.server(6380).role = 'master';
    sim.reply(sim.replica(6380), 'info', str(sim.infoOf(sim.server(6380))));
    expect(sim.master.failoverState).toBe('reconf_slaves');
    const promotedAt = sim.now;
    sim.tick();
    for (const target of [6379, 6381, P1]) {
      const hellos = sim.sentTo(target, 'PUBLISH');
      const next = hellos.findIndex((s) => s.at > promotedAt);
      expect(hellos[next].at).toBe(promotedAt + 100);
      expect(hellos[next].args[2].split(',').slice(5)).toEqual(['127.0.0.1', '6380', '1']);
      // Not the periodic one: the previous hello to the same instance is less than a publish-period old.
      expect(hellos[next].at - hellos[next - 1].at).toBeLessThanOrEqual(2000);
    }
  });

  it('repoints at most parallel-syncs replicas at a time', () => {
    const sim = new FailoverWorld({
      replicas: [{ port: 6380, offset: 2000 }, { port: 6381 }, { port: 6382 }, { port: 6383 }],
      master: (m) => (m.parallelSyncs = 2),
    });
    for (const p of [6381, 6382, 6383]) sim.server(p).syncs = false;
    sim.run(200);
    sim.command('failover', 'mymaster');
    sim.runUntil(() => sim.master.failoverState === 'reconf_slaves');
    sim.run(3000);
    expect(sim.lines().filter((l) => l.startsWith('+slave-reconf-sent '))).toEqual([
      `+slave-reconf-sent ${at(6381)}`,
      `+slave-reconf-sent ${at(6382)}`,
    ]);
    sim.server(6381).linkUp = true;
    sim.runUntil(() => sim.replica(6381).flags.reconfDone);
    sim.tick();
    expect(sim.lines().filter((l) => l.startsWith('+slave-reconf-sent '))).toEqual([
      `+slave-reconf-sent ${at(6381)}`,
      `+slave-reconf-sent ${at(6382)}`,
      `+slave-reconf-sent ${at(6383)}`,
    ]);
  });

  it('gives up on a replica stuck in reconf_sent after 10 s, marks it done and sends SLAVEOF again in the same pass', () => {
    const sim = new FailoverWorld({
      replicas: [{ port: 6380, offset: 2000 }, { port: 6381, obeys: false }, { port: 6382 }],
      master: (m) => (m.parallelSyncs = 2),
    });
    sim.run(200);
    sim.command('failover', 'mymaster');
    sim.runUntil(() => sim.types().includes('+slave-reconf-sent'));
    const sentAt = sim.now;
    sim.runUntil(() => sim.types().includes('-slave-reconf-sent-timeout'), 20_000);
    expect(sim.timeOf('-slave-reconf-sent-timeout')).toBe(sentAt + 10_100);
    const at6381 = sim.lines().filter((l) => l.endsWith(at(6381)));
    expect(at6381.slice(-3)).toEqual([`+slave-reconf-sent ${at(6381)}`, `-slave-reconf-sent-timeout ${at(6381)}`, `+slave-reconf-sent ${at(6381)}`]);
    expect(transactions(sim, 6381).filter((a) => a[0] === 'SLAVEOF')).toHaveLength(2);
    // Both counted as reconfigured: the failover ends.
    sim.runUntil(() => sim.types().includes('+switch-master'), 1000);
    expect(sim.types()).not.toContain('+failover-end-for-timeout');
  });

  it('ends the failover after failover-timeout in reconf_slaves, with a best-effort SLAVEOF to replicas not yet told', () => {
    // parallel-syncs 1 and a replica that never moves: the next one is never told until the timeout.
    const sim = new FailoverWorld({
      replicas: [{ port: 6380, offset: 2000 }, { port: 6381, obeys: false }, { port: 6382 }],
      master: (m) => (m.failoverTimeoutMs = 30_000),
    });
    sim.run(200);
    sim.command('failover', 'mymaster');
    sim.runUntil(() => sim.master.failoverState === 'reconf_slaves');
    const enteredAt = sim.now;
    sim.runUntil(() => sim.types().includes('+failover-end'), 40_000);
    expect(sim.timeOf('+failover-end-for-timeout')).toBe(enteredAt + 30_100);
    const tail = sim.lines().slice(sim.lines().indexOf(`+failover-end-for-timeout ${M}`));
    expect(tail.slice(0, 3)).toEqual([`+failover-end-for-timeout ${M}`, `+failover-end ${M}`, `+slave-reconf-sent-be ${at(6382)}`]);
    expect(sim.lines()).not.toContain(`+slave-reconf-sent-be ${at(6381)}`);
    expect(transactions(sim, 6382)).toEqual(TRANSACTION(['127.0.0.1', '6380']));
    sim.tick();
    expect(sim.types()).toContain('+switch-master');
  });

  it('does not end while the promoted replica is SDOWN, not even for the timeout', () => {
    const sim = new FailoverWorld({ replicas: [{ port: 6380 }, { port: 6381, obeys: false }], master: (m) => (m.failoverTimeoutMs = 10_000) });
    sim.run(200);
    sim.command('failover', 'mymaster');
    sim.runUntil(() => sim.master.failoverState === 'reconf_slaves');
    sim.server(6380).up = false;
    sim.runUntil(() => sim.replica(6380).flags.sdown, 10_000);
    sim.run(20_000);
    expect(sim.master.failoverState).toBe('reconf_slaves');
    expect(sim.types()).not.toContain('+failover-end-for-timeout');
    sim.server(6380).up = true;
    sim.runUntil(() => sim.types().includes('+failover-end'), 2000);
    expect(sim.types()).toContain('+failover-end-for-timeout');
  });

  it('switches to the promoted replica: +switch-master, replicas and old master re-added, state reset, config flushed', () => {
    const sim = new FailoverWorld({ peers: [{ down: false }] });
    sim.run(200);
    sim.command('failover', 'mymaster');
    sim.runUntil(() => sim.replica(6381).flags.reconfDone);
    expect(sim.master.failoverState).toBe('reconf_slaves');
    const saves = sim.saved.length;
    const mark = sim.mark();
    sim.tick();
    expect(sim.lines(mark)).toEqual([
      `+failover-end ${M}`,
      '+switch-master mymaster 127.0.0.1 6379 127.0.0.1 6380',
      `+slave ${at(6381, 6380)}`,
      `+slave ${at(6379, 6380)}`,
    ]);
    expect(sim.saved.length).toBe(saves + 1);
    expect(sim.saved.at(-1)?.masters[0]).toMatchObject({
      host: '127.0.0.1',
      port: 6380,
      configEpoch: 1n,
      leaderEpoch: 1n,
      knownReplicas: [
        { host: '127.0.0.1', port: 6381 },
        { host: '127.0.0.1', port: 6379 },
      ],
      knownSentinels: [{ host: '127.0.0.1', port: 26380, runid: P1 }],
    });
    expect(sim.master.failoverState).toBe('none');
    expect(flagsString(sim.master)).toMatch(/^master(,disconnected)?$/);
    expect(sim.master.leader).toBeNull();
    expect(sim.master.sentinels.size).toBe(1);
    expect(wire(sim.command('get-master-addr-by-name', 'mymaster'))).toBe('*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6380\r\n');
  });
});

describe('an automatic failover', () => {
  it('goes from +sdown to +switch-master with a peer, and then sees the old master down as a replica', () => {
    const sim = new FailoverWorld({ peers: [{}] });
    sim.run(200);
    sim.server(MASTER_PORT).up = false;
    sim.runUntil(() => sim.types().includes('+switch-master'));
    sim.run(8000);
    expect(sim.lines().filter((l) => !l.startsWith('-role-change') && !l.startsWith('+role-change'))).toEqual([
      `+sdown ${M}`,
      `+odown ${M} #quorum 2/2`,
      '+new-epoch 1',
      `+try-failover ${M}`,
      `+vote-for-leader ${MYID} 1`,
      `+elected-leader ${M}`,
      `+failover-state-select-slave ${M}`,
      `+selected-slave ${at(6380)}`,
      `+failover-state-send-slaveof-noone ${at(6380)}`,
      `+failover-state-wait-promotion ${at(6380)}`,
      `+promoted-slave ${at(6380)}`,
      `+failover-state-reconf-slaves ${M}`,
      `+slave-reconf-sent ${at(6381)}`,
      `+slave-reconf-inprog ${at(6381)}`,
      `+slave-reconf-done ${at(6381)}`,
      `+failover-end ${M}`,
      '+switch-master mymaster 127.0.0.1 6379 127.0.0.1 6380',
      `+slave ${at(6381, 6380)}`,
      `+slave ${at(6379, 6380)}`,
      `+sdown ${at(6379, 6380)}`,
    ]);
    expect(sim.peer(P1).votedFor).toBe(MYID);
  });

  it('emits each event at the level of the reference table (§12.2)', () => {
    const sim = new FailoverWorld({ peers: [{}] });
    sim.run(200);
    sim.server(MASTER_PORT).up = false;
    sim.runUntil(() => sim.types().includes('+switch-master'));
    sim.server(MASTER_PORT).up = true;
    sim.run(25_000);
    const notice = [
      '+slave',
      '+failover-state-send-slaveof-noone',
      '+failover-state-wait-promotion',
      '+slave-reconf-sent',
      '+slave-reconf-inprog',
      '+slave-reconf-done',
      '+convert-to-slave',
    ];
    const verbose = ['+role-change', '-role-change'];
    const levels = new Map<string, string>();
    for (const e of sim.events()) if (e.level !== 'debug') levels.set(e.type, e.level);
    expect(levels.get('+convert-to-slave')).toBe('notice');
    for (const [type, level] of levels) {
      const expected = notice.includes(type) ? 'notice' : verbose.includes(type) ? 'verbose' : 'warning';
      expect(`${type} ${level}`).toBe(`${type} ${expected}`);
    }
    expect(levels.size).toBeGreaterThanOrEqual(20);
  });
});

describe('SENTINEL FAILOVER and SIMULATE-FAILURE', () => {
  it('answers -INPROG while a failover runs, and shows force_failover in the flags', () => {
    const sim = new FailoverWorld();
    sim.run(200);
    expect(wire(sim.command('failover', 'mymaster'))).toBe('+OK\r\n');
    expect(wire(sim.command('failover', 'mymaster'))).toBe('-INPROG Failover already in progress\r\n');
    const master = wire(sim.command('master', 'mymaster'));
    expect(master).toContain('$5\r\nflags\r\n$42\r\nmaster,failover_in_progress,force_failover\r\n');
    expect(master).toContain('$14\r\nfailover-state\r\n$10\r\nwait_start\r\n');
    expect(wire(sim.command('failover', 'nosuch'))).toBe('-ERR No such master with that name\r\n');
  });

  it('is elected without votes, and asks peers nothing while the master is up', () => {
    const sim = new FailoverWorld({ peers: [{ vote: 'never' }, { vote: 'never' }] });
    sim.run(200);
    sim.command('failover', 'mymaster');
    sim.runUntil(() => sim.types().includes('+switch-master'));
    expect(sim.sentTo(P1, 'SENTINEL')).toEqual([]);
    expect(sim.lines()).toContain(`+vote-for-leader ${MYID} 1`);
  });

  it('crash-after-election: logs and crashes right after +elected-leader', () => {
    const sim = new FailoverWorld();
    sim.run(200);
    expect(wire(sim.command('simulate-failure', 'crash-after-election'))).toBe('+OK\r\n');
    sim.command('failover', 'mymaster');
    sim.tick();
    const i = sim.records.findIndex((r) => r.action.kind === 'crash');
    expect(i).toBeGreaterThan(0);
    expect(sim.records[i - 2].action).toMatchObject({ kind: 'event', event: { type: '+elected-leader' } });
    expect(sim.records[i - 1].action).toMatchObject({ kind: 'log', message: 'Sentinel CRASH because of SENTINEL simulate-failure' });
  });

  it('crash-after-promotion: crashes right after the flush and +promoted-slave', () => {
    const sim = new FailoverWorld();
    sim.run(200);
    sim.command('simulate-failure', 'crash-after-promotion');
    sim.command('failover', 'mymaster');
    sim.runUntil(() => sim.records.some((r) => r.action.kind === 'crash'));
    const i = sim.records.findIndex((r) => r.action.kind === 'crash');
    expect(sim.records.slice(i - 3, i).map((r) => r.action)).toMatchObject([
      { kind: 'log', message: 'Sentinel new configuration saved on disk' },
      { kind: 'event', event: { type: '+promoted-slave' } },
      { kind: 'log', message: 'Sentinel CRASH because of SENTINEL simulate-failure' },
    ]);
    expect(sim.saved.at(-1)?.masters[0]).toMatchObject({ port: 6380, configEpoch: 1n });
    expect(sim.types()).not.toContain('+elected-leader-crash');
  });
});

describe('learning a failover from a peer hello (§5.3, §8.8 observers)', () => {
  const hello = (currentEpoch: number, port: number, configEpoch: number, from = P1, fromPort = 26380) =>
    `127.0.0.1,${fromPort},${from},${currentEpoch},mymaster,127.0.0.1,${port},${configEpoch}`;

  it('switches on a newer config epoch at a new address: +config-update-from, +switch-master, reset, flush', () => {
    const sim = new FailoverWorld({ peers: [{}], master: (m) => (m.clientReconfigScript = '/opt/reconfig.sh') });
    sim.run(200);
    const mark = sim.mark();
    sim.hello(hello(1, 6380, 1));
    expect(sim.timeline(mark)).toEqual([
      'log: Sentinel new configuration saved on disk',
      '+new-epoch 1',
      `+config-update-from ${peerDesc(P1, 26380)}`,
      '+switch-master mymaster 127.0.0.1 6379 127.0.0.1 6380',
      `+slave ${at(6381, 6380)}`,
      `+slave ${at(6379, 6380)}`,
      'log: Sentinel new configuration saved on disk',
    ]);
    expect(sim.saved.at(-1)?.masters[0]).toMatchObject({
      port: 6380,
      configEpoch: 1n,
      knownReplicas: [
        { host: '127.0.0.1', port: 6381 },
        { host: '127.0.0.1', port: 6379 },
      ],
    });
    expect(sim.state.scripts.jobs.map((j) => j.argv)).toEqual([
      ['/opt/reconfig.sh', 'mymaster', 'observer', 'start', '127.0.0.1', '6379', '127.0.0.1', '6380'],
    ]);
    expect(wire(sim.command('get-master-addr-by-name', 'mymaster'))).toBe('*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6380\r\n');
  });

  it('cancels its own failover attempt when a peer reports the switch', () => {
    const sim = new FailoverWorld({ peers: [{ vote: 'never' }] });
    sim.run(200);
    untilSdown(sim);
    sim.runUntil(() => sim.master.flags.failoverInProgress);
    sim.hello(hello(1, 6380, 1));
    sim.tick();
    expect(sim.master.flags.failoverInProgress).toBe(false);
    expect(sim.master.failoverState).toBe('none');
    expect(sim.types()).not.toContain('-failover-abort-not-elected');
  });

  it('only takes the epoch when the address is the same, without a flush', () => {
    const sim = new FailoverWorld({ peers: [{}], sentinel: (c) => (c.currentEpoch = 1n) });
    sim.run(200);
    const saves = sim.saved.length;
    const mark = sim.mark();
    sim.hello(hello(1, 6379, 1));
    expect(sim.master.configEpoch).toBe(1n);
    expect(sim.saved.length).toBe(saves);
    expect(sim.lines(mark)).toEqual([]);
  });

  it('ignores an older or equal config epoch, and a hello from an unknown master name', () => {
    const sim = new FailoverWorld({ peers: [{}], master: (m) => (m.configEpoch = 2n) });
    sim.run(200);
    sim.hello(hello(0, 6380, 2));
    sim.hello(`127.0.0.1,26380,${P1},0,othermaster,127.0.0.1,6380,9`);
    expect(sim.master.addr.port).toBe(6379);
    expect(sim.types()).not.toContain('+switch-master');
  });
});

describe('replicas that disagree with the configuration (§4.2)', () => {
  /** The world after a switch to 6380 learnt from a hello, with the old master back as a master. */
  function afterSwitch(): FailoverWorld {
    const sim = new FailoverWorld({ peers: [{}] });
    sim.run(200);
    sim.command('debug', 'info-period', '1000');
    sim.server(6380).role = 'master';
    sim.server(6381).masterPort = 6380;
    sim.hello(`127.0.0.1,26380,${P1},1,mymaster,127.0.0.1,6380,1`);
    return sim;
  }

  it('converts an old master that still says role:master, 4 publish-periods after that report', () => {
    const sim = afterSwitch();
    sim.runUntil(() => sim.types().includes('+convert-to-slave'), 20_000);
    const reported = sim.timeOf('-role-change', `${at(6379, 6380)} new reported role is master`) as number;
    const converted = sim.timeOf('+convert-to-slave') as number;
    expect(converted - reported).toBeGreaterThan(8000);
    expect(converted - reported).toBeLessThanOrEqual(9100);
    expect(sim.lines()).toContain(`+convert-to-slave ${at(6379, 6380)}`);
    expect(sim.sentTo(6379, 'SLAVEOF').map((s) => s.args)).toEqual([['SLAVEOF', '127.0.0.1', '6380']]);
    expect(sim.server(6379)).toMatchObject({ role: 'slave', masterPort: 6380 });
  });

  it('does not convert while the new master does not look sane', () => {
    const sim = afterSwitch();
    sim.server(6380).answersInfo = false;
    sim.run(20_000);
    expect(sim.types()).not.toContain('+convert-to-slave');
  });

  it('fixes a replica that replicates from another address, failover-timeout after it changed', () => {
    const sim = new FailoverWorld({ master: (m) => (m.failoverTimeoutMs = 20_000) });
    sim.run(200);
    sim.command('debug', 'info-period', '1000');
    sim.server(6381).masterHost = '10.0.0.9';
    sim.runUntil(() => sim.replica(6381).slaveMasterHost === '10.0.0.9');
    const changed = sim.now;
    sim.runUntil(() => sim.types().includes('+fix-slave-config'), 30_000);
    const fixed = sim.timeOf('+fix-slave-config') as number;
    expect(fixed - changed).toBeGreaterThan(20_000);
    expect(fixed - changed).toBeLessThanOrEqual(21_100);
    expect(sim.lines()).toContain(`+fix-slave-config ${at(6381)}`);
    expect(sim.sentTo(6381, 'SLAVEOF').map((s) => s.args)).toEqual([['SLAVEOF', '127.0.0.1', '6379']]);
    sim.run(30_000);
    expect(sim.types().filter((t) => t === '+fix-slave-config')).toHaveLength(1);
  });

  it('does not fix replicas while the master is SDOWN', () => {
    const sim = new FailoverWorld({ master: (m) => (m.failoverTimeoutMs = 10_000) });
    sim.run(200);
    sim.server(6381).masterPort = 7000;
    untilSdown(sim);
    sim.run(30_000);
    expect(sim.types()).not.toContain('+fix-slave-config');
  });

  it('fixes a replica replicating from a host name when resolve-hostnames is off, as redis-sentinel does', () => {
    // redis-sentinel 7.0.15 monitoring 127.0.0.1:<port> with a replica started with `replicaof localhost <port>`
    // logged `+fix-slave-config` failover-timeout later, and the replica then reported master_host:127.0.0.1:
    // with resolve-hostnames no, a name is never resolved for this comparison.
    const sim = new FailoverWorld({ master: (m) => (m.failoverTimeoutMs = 5000), resolve: (h) => (h === 'localhost' ? '127.0.0.1' : null) });
    sim.server(6381).masterHost = 'localhost';
    sim.run(200);
    sim.command('debug', 'info-period', '1000');
    sim.run(10_000);
    expect(sim.lines()).toContain(`+fix-slave-config ${at(6381)}`);
    expect(sim.server(6381).masterHost).toBe('127.0.0.1');
  });
});

describe('client-reconfig-script (§10)', () => {
  it('is queued with role leader when this sentinel sees the promotion', () => {
    const sim = new FailoverWorld({ master: (m) => (m.clientReconfigScript = '/opt/reconfig.sh') });
    sim.run(200);
    sim.command('failover', 'mymaster');
    sim.runUntil(() => sim.types().includes('+promoted-slave'));
    expect(sim.state.scripts.jobs.map((j) => j.argv)).toEqual([
      ['/opt/reconfig.sh', 'mymaster', 'leader', 'start', '127.0.0.1', '6379', '127.0.0.1', '6380'],
    ]);
    sim.tick();
    expect(sim.records.filter((r) => r.action.kind === 'run-script').map((r) => r.action)).toMatchObject([
      { kind: 'run-script', argv: ['/opt/reconfig.sh', 'mymaster', 'leader', 'start', '127.0.0.1', '6379', '127.0.0.1', '6380'] },
    ]);
  });

  it('uses host names with announce-hostnames', () => {
    const resolve = (h: string) => ({ 'db-a.example': '10.0.0.1', 'db-b.example': '10.0.0.2' })[h] ?? null;
    const sim = new FailoverWorld({
      replicas: [],
      resolve,
      sentinel: (c) => {
        c.resolveHostnames = true;
        c.announceHostnames = true;
      },
      master: (m) => {
        m.host = 'db-a.example';
        m.clientReconfigScript = '/opt/reconfig.sh';
        m.knownSentinels = [{ host: '10.0.0.7', port: 26380, runid: P1 }];
      },
    });
    sim.hello(`10.0.0.7,26380,${P1},1,mymaster,db-b.example,6379,1`);
    expect(sim.state.scripts.jobs.map((j) => j.argv)).toEqual([
      ['/opt/reconfig.sh', 'mymaster', 'observer', 'start', 'db-a.example', '6379', 'db-b.example', '6379'],
    ]);
  });
});

describe('TILT (§9)', () => {
  it('enters TILT when the timer runs more than 2 s late, or backwards, and says how late it ran', () => {
    const sim = new FailoverWorld();
    sim.run(200);
    sim.tick(2000);
    expect(sim.state.tilt).toBe(false);
    const mark = sim.mark();
    sim.tick(2001);
    expect(sim.state.tilt).toBe(true);
    // The second line is ours, not Redis's: the measured gap behind the TILT.
    expect(sim.timeline(mark)).toEqual([
      '+tilt #tilt mode entered',
      'log: TILT: the timer ran 2001 ms after the previous run (trigger 2000 ms)',
    ]);
    expect(sim.events().find((e) => e.type === '+tilt')).toMatchObject({ level: 'warning', masterName: null });

    const back = new FailoverWorld();
    back.run(200);
    back.tick(-1);
    expect(back.state.tilt).toBe(true);
  });

  it('freezes SDOWN, asks nobody, and leaves TILT once tilt-period has passed', () => {
    const sim = new FailoverWorld({ peers: [{}] });
    sim.run(200);
    sim.tick(3000);
    const entered = sim.now;
    sim.server(MASTER_PORT).up = false;
    sim.runUntil(() => sim.now === entered + 29_900);
    expect(sim.state.tilt).toBe(true);
    expect(sim.master.flags.sdown).toBe(false);
    expect(sim.sentTo(P1, 'SENTINEL')).toEqual([]);
    sim.tick();
    expect(sim.timeOf('-tilt')).toBe(entered + 30_000);
    expect(sim.lines()).toContain('-tilt #tilt mode exited');
    expect(sim.master.flags.sdown).toBe(true);
    expect(sim.sentTo(P1, 'SENTINEL')).toHaveLength(1);
  });

  it('keeps SDOWN set during TILT even when the master answers again', () => {
    const sim = new FailoverWorld();
    sim.run(200);
    untilSdown(sim);
    sim.server(MASTER_PORT).up = true;
    sim.tick(2500);
    sim.run(10_000);
    expect(sim.master.flags.sdown).toBe(true);
    expect(sim.types()).not.toContain('-sdown');
  });

  it('answers is-master-down with 0 during TILT, but still votes', () => {
    const sim = new FailoverWorld();
    sim.run(200);
    untilSdown(sim);
    sim.tick(2500);
    expect(wire(sim.command('is-master-down-by-addr', '127.0.0.1', '6379', '1', P1))).toBe(`*3\r\n:0\r\n$40\r\n${P1}\r\n:1\r\n`);
    expect(sim.lines()).toContain(`+vote-for-leader ${P1} 1`);
    sim.run(30_000);
    expect(sim.state.tilt).toBe(false);
    expect(wire(sim.command('is-master-down-by-addr', '127.0.0.1', '6379', '1', '*'))).toBe('*3\r\n:1\r\n$1\r\n*\r\n:0\r\n');
  });

  it('does not act on INFO during TILT: the promotion is seen only after it', () => {
    const sim = new FailoverWorld({ replicas: [{ port: 6380, obeys: false }] });
    sim.run(200);
    sim.command('failover', 'mymaster');
    sim.runUntil(() => sim.master.failoverState === 'wait_promotion');
    sim.tick(2500);
    sim.server(6380).role = 'master';
    sim.run(5000);
    expect(sim.replica(6380).roleReported).toBe('master');
    expect(sim.types()).toContain('-role-change');
    expect(sim.types()).not.toContain('+promoted-slave');
    sim.runUntil(() => sim.types().includes('+promoted-slave'), 30_000);
    expect(sim.timeOf('+promoted-slave') as number).toBeGreaterThan(sim.timeOf('-tilt') as number);
  });

  it('still follows a newer configuration from a hello during TILT', () => {
    const sim = new FailoverWorld({ peers: [{}] });
    sim.run(200);
    sim.tick(2500);
    sim.hello(`127.0.0.1,26380,${P1},1,mymaster,127.0.0.1,6380,1`);
    expect(sim.state.tilt).toBe(true);
    expect(sim.master.addr.port).toBe(6380);
    expect(sim.types()).toContain('+switch-master');
  });

  it('does not start or advance a failover during TILT', () => {
    const sim = new FailoverWorld({ quorum: 1 });
    sim.run(200);
    sim.command('failover', 'mymaster');
    sim.tick(2500);
    sim.run(20_000);
    expect(sim.master.failoverState).toBe('wait_start');
    expect(sim.types()).not.toContain('+elected-leader');
    sim.run(10_000);
    expect(sim.types()).toContain('+elected-leader');
  });
});

/*
 * Beyond Redis (the fast profile): elections that stay rare to split and cheap to lose when
 * the sentinels' event loops run late. Peers here never start failovers of their own; they
 * answer, and vote as told.
 */
describe('elections of the fast profile', () => {
  const ZZ = 'f'.repeat(40);
  /** This sentinel with the greatest run id, so that every peer comes before it. */
  const last = (c: SentinelConfig) => (c.myid = ZZ);
  /** Answers down, and in a vote request's epoch up to `selfish` votes for itself, then for the asker. */
  const selfishUntil = (runid: string, selfish: number) => (args: string[]) => {
    if (args[5] === '*') return arr(int(1), str('*'), int(0));
    const epoch = Number(args[4]);
    return arr(int(1), str(epoch <= selfish ? runid : args[5]), int(epoch));
  };
  const FAST_STEP = 10;

  it('starts at once, after the jitter only, when it comes first by run id', () => {
    const sim = new FailoverWorld({ peers: [{}, {}], tuning: FAST_TUNING });
    sim.run(200);
    untilSdown(sim);
    sim.runUntil(() => sim.types().includes('+try-failover'), 5000, FAST_STEP);
    // The jitter is 1 + rand() % 40, 21 here; ODOWN is seen in the tick after SDOWN.
    expect((sim.timeOf('+try-failover') as number) - (sim.timeOf('+odown') as number)).toBeLessThanOrEqual(30);
  });

  it('waits 100 ms and 3 timer runs per peer before it in run-id order that reports the master down', () => {
    const sim = new FailoverWorld({ peers: [{}, {}], tuning: FAST_TUNING, sentinel: last });
    sim.run(200);
    untilSdown(sim);
    sim.runUntil(() => sim.types().includes('+try-failover'), 5000, FAST_STEP);
    const odownAt = sim.timeOf('+odown') as number;
    expect((sim.timeOf('+try-failover') as number) - odownAt).toBe(2 * 100 + 21 + FAST_STEP - ((2 * 100 + 21) % FAST_STEP));

    // With a slow timer, the timer runs count: six runs after the one that first saw ODOWN.
    const slow = new FailoverWorld({ peers: [{}, {}], tuning: FAST_TUNING, sentinel: last });
    slow.run(200);
    untilSdown(slow);
    slow.runUntil(() => slow.types().includes('+try-failover'), 5000, 200);
    expect((slow.timeOf('+try-failover') as number) - (slow.timeOf('+odown') as number)).toBe(6 * 200);
  });

  it('is not held back by a peer that is down, or that sees the master up', () => {
    const sim = new FailoverWorld({ peers: [{ up: false }, { down: false }, {}], quorum: 2, tuning: FAST_TUNING, sentinel: last });
    sim.run(200);
    untilSdown(sim);
    sim.runUntil(() => sim.types().includes('+try-failover'), 5000, FAST_STEP);
    // Only the third peer counts: one place.
    expect((sim.timeOf('+try-failover') as number) - (sim.timeOf('+odown') as number)).toBeLessThan(100 + 21 + 2 * FAST_STEP);
    expect((sim.timeOf('+try-failover') as number) - (sim.timeOf('+odown') as number)).toBeGreaterThanOrEqual(100 + 21);
  });

  it('counts a peer before it that has not answered since the master went down: it may be stalled, or have started', () => {
    const sim = new FailoverWorld({ peers: [{ answer: () => null }, {}], tuning: FAST_TUNING, sentinel: last });
    sim.run(200);
    untilSdown(sim);
    sim.runUntil(() => sim.types().includes('+try-failover'), 5000, FAST_STEP);
    expect((sim.timeOf('+try-failover') as number) - (sim.timeOf('+odown') as number)).toBeGreaterThanOrEqual(2 * 100 + 21);
  });

  it('defers its own attempt once it votes for the peer that went first, as Redis does', () => {
    const sim = new FailoverWorld({ peers: [{}, {}], tuning: FAST_TUNING, sentinel: last, master: (m) => (m.failoverTimeoutMs = 10_000) });
    sim.run(200);
    untilSdown(sim);
    sim.runUntil(() => sim.master.flags.odown, 5000, FAST_STEP);
    sim.command('is-master-down-by-addr', LOCAL, '6379', '1', P1);
    sim.run(15_000, FAST_STEP);
    expect(sim.types()).not.toContain('+try-failover');
    expect(sim.logs().filter((l) => l.startsWith('Next failover delay'))).toHaveLength(1);
  });

  it('ends an election nobody can win at once, and retries it in a new epoch', () => {
    const sim = new FailoverWorld({ peers: [{}, {}], tuning: FAST_TUNING });
    sim.peer(P1).answer = selfishUntil(P1, 1);
    sim.peer(P2).answer = selfishUntil(P2, 1);
    sim.run(200);
    untilSdown(sim);
    sim.runUntil(() => sim.types().includes('+elected-leader'), 5000, FAST_STEP);
    const tried = sim.timeOf('+try-failover') as number;
    const aborted = sim.timeOf('-failover-abort-not-elected') as number;
    // Every voter answered in epoch 1, one vote each: over in the next timer run, not after the election timeout.
    expect(aborted - tried).toBeLessThanOrEqual(2 * FAST_STEP);
    const after = sim.lines().slice(sim.lines().indexOf(`-failover-abort-not-elected ${M}`));
    expect(after.filter((l) => /^\+(new-epoch|try-failover|vote-for-leader|elected-leader) /.test(l))).toEqual([
      '+new-epoch 2',
      `+try-failover ${M}`,
      `+vote-for-leader ${MYID} 2`,
      `+elected-leader ${M}`,
    ]);
    expect((sim.timeOf('+elected-leader') as number) - aborted).toBeLessThanOrEqual(21 + 3 * FAST_STEP);
    expect(sim.logs().filter((l) => l.startsWith('Next failover delay'))).toEqual([]);
  });

  it('retries at most 10 times quickly while the master stays ODOWN, then waits as Redis does', () => {
    const sim = new FailoverWorld({ peers: [{}, {}], tuning: FAST_TUNING, master: (m) => (m.failoverTimeoutMs = 10_000) });
    sim.peer(P1).answer = selfishUntil(P1, Infinity);
    sim.peer(P2).answer = selfishUntil(P2, Infinity);
    sim.run(200);
    untilSdown(sim);
    sim.run(5000, FAST_STEP);
    expect(sim.types().filter((t) => t === '+try-failover')).toHaveLength(11);
    expect(sim.types().filter((t) => t === '-failover-abort-not-elected')).toHaveLength(11);
    expect(sim.logs().filter((l) => l.startsWith('Next failover delay'))).toHaveLength(1);
  });

  it('does not retry after voting for a peer in the next epoch', () => {
    const sim = new FailoverWorld({ peers: [{}, {}], tuning: FAST_TUNING, sentinel: last, master: (m) => (m.failoverTimeoutMs = 10_000) });
    sim.peer(P1).answer = selfishUntil(P1, 1);
    sim.peer(P2).answer = selfishUntil(P2, 1);
    sim.run(200);
    untilSdown(sim);
    sim.runUntil(() => sim.types().includes('-failover-abort-not-elected'), 5000, FAST_STEP);
    sim.command('is-master-down-by-addr', LOCAL, '6379', '2', P1);
    sim.run(15_000, FAST_STEP);
    expect(sim.types().filter((t) => t === '+try-failover')).toHaveLength(1);
  });

  it('does not retry an election it knows a peer won, nor one overtaken by a newer epoch', () => {
    const lost = new FailoverWorld({ peers: [{}, {}], tuning: FAST_TUNING, master: (m) => (m.failoverTimeoutMs = 10_000) });
    for (const p of [P1, P2]) lost.peer(p).answer = (args) => (args[5] === '*' ? arr(int(1), str('*'), int(0)) : arr(int(1), str(P1), int(1)));
    lost.run(200);
    untilSdown(lost);
    lost.runUntil(() => lost.types().includes('-failover-abort-not-elected'), 5000, FAST_STEP);
    expect((lost.timeOf('-failover-abort-not-elected') as number) - (lost.timeOf('+try-failover') as number)).toBeLessThanOrEqual(2 * FAST_STEP);
    lost.run(15_000, FAST_STEP);
    expect(lost.types().filter((t) => t === '+try-failover')).toHaveLength(1);

    // A peer's hello brings epoch 2 while epoch 1 cannot elect anybody: somebody may be running a
    // newer election. As in Redis, the attempt goes on (asking in epoch 2) until the election timeout.
    const overtaken = new FailoverWorld({ peers: [{}, {}], tuning: FAST_TUNING, master: (m) => (m.failoverTimeoutMs = 10_000) });
    overtaken.peer(P1).answer = selfishUntil(P1, 2);
    overtaken.peer(P2).answer = selfishUntil(P2, 2);
    overtaken.run(200);
    untilSdown(overtaken);
    overtaken.runUntil(() => overtaken.types().includes('+try-failover'), 5000, FAST_STEP);
    overtaken.hello(`127.0.0.1,26380,${P1},2,mymaster,127.0.0.1,6379,0`);
    overtaken.run(15_000, FAST_STEP);
    expect(overtaken.types().filter((t) => t === '+try-failover')).toHaveLength(1);
    expect((overtaken.timeOf('-failover-abort-not-elected') as number) - (overtaken.timeOf('+try-failover') as number)).toBeGreaterThan(10_000);
  });

  it('does not call an election leaderless when a peer has a majority, though not our quorum', () => {
    // Quorum is per sentinel: a peer configured with quorum 2 is elected by these two votes.
    const sim = new FailoverWorld({ peers: [{}, {}], quorum: 3, tuning: FAST_TUNING, master: (m) => (m.failoverTimeoutMs = 10_000) });
    for (const p of [P1, P2]) sim.peer(p).answer = (args) => (args[5] === '*' ? arr(int(1), str('*'), int(0)) : arr(int(1), str(P1), int(Number(args[4]))));
    sim.run(200);
    untilSdown(sim);
    sim.runUntil(() => sim.types().includes('-failover-abort-not-elected'), 5000, FAST_STEP);
    sim.run(15_000, FAST_STEP);
    expect(sim.types().filter((t) => t === '+try-failover')).toHaveLength(1);
    expect(sim.types()).not.toContain('+elected-leader');
  });

  it('keeps Redis\'s election timeout and retry delay when a vote stays unknown', () => {
    const sim = new FailoverWorld({ peers: [{}, {}], tuning: FAST_TUNING, master: (m) => (m.failoverTimeoutMs = 5000) });
    sim.peer(P1).answer = selfishUntil(P1, 1);
    sim.peer(P2).answer = (args) => (args[5] === '*' ? arr(int(1), str('*'), int(0)) : null);
    sim.run(200);
    untilSdown(sim);
    sim.runUntil(() => sim.types().filter((t) => t === '+try-failover').length === 2, 60_000, FAST_STEP);
    const starts = sim.records.filter((r) => r.action.kind === 'event' && r.action.event.type === '+try-failover').map((r) => r.at);
    expect((sim.timeOf('-failover-abort-not-elected') as number) - starts[0]).toBeGreaterThan(5000);
    expect(starts[1] - starts[0]).toBeGreaterThanOrEqual(500 + 10_000);
  });
});

