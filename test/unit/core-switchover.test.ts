import { describe, expect, it } from 'vitest';
import { switchoverOutcome } from '../../src/core/operations.js';
import { awaitedSwitchover } from '../../src/server/commands/sentinel-subcommands.js';
import { encodeReply } from '../../src/resp/encode.js';
import type { Reply } from '../../src/resp/reply.js';
import { FailoverWorld, LOCAL, MASTER_PORT, MYID, infoText } from './core-fixture.js';

/*
 * Beyond Redis: SENTINEL FAILOVER ... COORDINATED in the core, on a fake clock: the master's
 * FAILOVER command instead of SLAVEOF NO ONE, the promotion seen at once, the rest of an
 * ordinary failover, and each way a handover can fail.
 */

const M = 'master mymaster 127.0.0.1 6379';
const at = (port: number, master = MASTER_PORT) => `slave 127.0.0.1:${port} 127.0.0.1 ${port} @ mymaster 127.0.0.1 ${master}`;

function wire(reply: Reply): string {
  return encodeReply(reply, 2).toString('utf8');
}

/** A discovered world (master 6379, replicas 6380 and 6381), FAILOVER renamed MY-FAILOVER. */
function world(): FailoverWorld {
  const sim = new FailoverWorld({ master: (m) => m.renamedCommands.push(['FAILOVER', 'MY-FAILOVER']) });
  sim.run(12_000);
  return sim;
}

function outcome(sim: FailoverWorld, epoch: bigint): string | null {
  return sim.harness.step<string | null>({ kind: 'command', run: (cx) => switchoverOutcome(cx, 'mymaster', epoch) }).result;
}

/** Starts a coordinated switch to 6381 and runs until the master was sent FAILOVER; the failover's epoch. */
function startSwitch(sim: FailoverWorld, timeout = '3000'): bigint {
  const reply = sim.command('FAILOVER', 'mymaster', 'TO', LOCAL, '6381', 'COORDINATED', 'TIMEOUT', timeout);
  expect(wire(reply)).toBe('+OK\r\n');
  const awaited = awaitedSwitchover(reply);
  expect(awaited?.master).toBe('mymaster');
  sim.runUntil(() => sim.sentTo(MASTER_PORT, 'MY-FAILOVER').length > 0, 2000);
  return awaited!.epoch;
}

describe('coordinated switchover in the core', () => {
  it('sends the (renamed) FAILOVER to the master, sees the promotion at once, then runs an ordinary failover', () => {
    const sim = world();
    const mark = sim.mark();
    const epoch = startSwitch(sim);
    expect(sim.sentTo(MASTER_PORT, 'MY-FAILOVER').map((s) => s.args)).toEqual([['MY-FAILOVER', 'TO', LOCAL, '6381', 'TIMEOUT', '3000']]);
    expect(sim.sentTo(6381, 'SLAVEOF')).toEqual([]);
    sim.run(1000);
    expect(outcome(sim, epoch)).toBeNull();

    // What Redis's FAILOVER does once the replica has caught up.
    const handedOverAt = sim.now;
    Object.assign(sim.server(6381), { role: 'master' });
    Object.assign(sim.server(MASTER_PORT), { role: 'slave', masterHost: LOCAL, masterPort: 6381, linkUp: true });
    sim.runUntil(() => sim.timeOf('+promoted-slave') !== null, 1000);
    expect(sim.now - handedOverAt).toBeLessThanOrEqual(300);
    expect(outcome(sim, epoch)).toBe('');
    // The old master is told to follow (SLAVEOF, CONFIG REWRITE, its clients dropped), as a conversion would.
    expect(sim.sentTo(MASTER_PORT, 'SLAVEOF').map((s) => s.args)).toEqual([['SLAVEOF', LOCAL, '6381']]);

    sim.runUntil(() => sim.timeOf('+switch-master') !== null, 30_000);
    const lines = sim.lines(mark).filter((l) => !/^[+-]role-change|^\+sdown|^\+reboot/.test(l));
    expect(lines.slice(0, 13)).toEqual([
      '+new-epoch 1',
      `+try-failover ${M}`,
      `+vote-for-leader ${MYID} 1`,
      `+elected-leader ${M}`,
      `+failover-state-select-slave ${M}`,
      `+selected-slave ${at(6381)}`,
      `+failover-state-send-slaveof-noone ${at(6381)}`,
      `+failover-state-wait-promotion ${at(6381)}`,
      `+promoted-slave ${at(6381)}`,
      `+failover-state-reconf-slaves ${M}`,
      `+slave-reconf-sent ${at(6380)}`,
      `+slave-reconf-inprog ${at(6380)}`,
      `+slave-reconf-done ${at(6380)}`,
    ]);
    expect(sim.types(mark).filter((t) => t.startsWith('-failover-abort'))).toEqual([]);
    expect(sim.master.addr.port).toBe(6381);
    expect(sim.master.configEpoch).toBe(1n);
  });

  it('a master that gives up before the timeout: -failover-abort-coordinated-aborted at once, and the reason for the client', () => {
    const sim = world();
    const epoch = startSwitch(sim);
    sim.run(200);
    sim.reply(sim.master, 'info', infoText(['# Replication', 'role:master', 'master_failover_state:no-failover']));
    expect(sim.types().filter((t) => t.startsWith('-failover-abort'))).toEqual(['-failover-abort-coordinated-aborted']);
    expect(outcome(sim, epoch)).toBe(
      'ERR Failover aborted: the master gave up the handover to 127.0.0.1:6381 before the timeout; the master stays master',
    );
    expect(sim.master.flags.failoverInProgress).toBe(false);
    expect(sim.replica(6381).flags.promoted).toBe(false);
    expect(sim.logs()).toContain(
      "Coordinated failover of 'mymaster' aborted: Failover aborted: the master gave up the handover to 127.0.0.1:6381 before the timeout; the master stays master",
    );
  });

  it('INFO showing the handover under way keeps it going; one from before the +OK is not read as giving up', () => {
    const sim = world();
    const epoch = startSwitch(sim, '500');
    sim.reply(sim.master, 'info', infoText(['# Replication', 'role:master', 'master_failover_state:failover-in-progress']));
    // Past TIMEOUT and the grace: once handing over, only failover-timeout bounds it.
    sim.run(5000);
    expect(sim.master.flags.failoverInProgress).toBe(true);
    expect(outcome(sim, epoch)).toBeNull();
  });

  it('a master silent past TIMEOUT and the grace: -failover-abort-coordinated-timeout', () => {
    const sim = world();
    const epoch = startSwitch(sim, '1000');
    const sentAt = sim.sentTo(MASTER_PORT, 'MY-FAILOVER')[0].at;
    sim.server(MASTER_PORT).up = false;
    sim.runUntil(() => sim.timeOf('-failover-abort-coordinated-timeout') !== null, 10_000);
    const abortedAfter = sim.timeOf('-failover-abort-coordinated-timeout')! - sentAt;
    expect(abortedAfter).toBeGreaterThan(3000);
    expect(abortedAfter).toBeLessThanOrEqual(3200);
    expect(outcome(sim, epoch)).toBe('ERR Failover aborted: replica 127.0.0.1:6381 did not catch up within 1000 ms; the master stays master');
  });

  it('the plain form and TO without COORDINATED send SLAVEOF NO ONE and answer at once', () => {
    const sim = world();
    const reply = sim.command('FAILOVER', 'mymaster', 'TO', LOCAL, '6380');
    expect(wire(reply)).toBe('+OK\r\n');
    expect(awaitedSwitchover(reply)).toBeUndefined();
    sim.runUntil(() => sim.sentTo(6380, 'SLAVEOF').length > 0, 2000);
    expect(sim.sentTo(6380, 'SLAVEOF').map((s) => s.args)).toEqual([['SLAVEOF', 'NO', 'ONE']]);
    expect(sim.lines().filter((l) => l.startsWith('+selected-slave'))).toEqual([`+selected-slave ${at(6380)}`]);
    expect(sim.sentTo(MASTER_PORT, 'MY-FAILOVER')).toEqual([]);
  });
});
