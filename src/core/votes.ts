import { sameAddress } from './address.js';
import type { MasterInstance } from './instance.js';
import type { SentinelCore } from './sentinel.js';

/** Epochs and leader votes, as peers ask for them and as hellos announce them. */

/** Moves our current epoch up to one seen from a peer; it is persisted before anything acts on it. */
export function adoptNewerEpoch(core: SentinelCore, m: MasterInstance, epoch: number): void {
  if (epoch <= core.currentEpoch) return;
  core.currentEpoch = epoch;
  core.flushConfig();
  core.emit('warning', '+new-epoch', m, String(core.currentEpoch), false);
}

/** Casts (or recalls) this sentinel's vote for a master's failover leader in an epoch. */
export function vote(core: SentinelCore, m: MasterInstance, reqEpoch: number, reqRunid: string): { leader: string | null; epoch: number } {
  adoptNewerEpoch(core, m, reqEpoch);
  if (m.leaderEpoch < reqEpoch && core.currentEpoch <= reqEpoch) {
    m.leader = reqRunid;
    m.leaderEpoch = core.currentEpoch;
    core.flushConfig();
    core.emit('warning', '+vote-for-leader', m, `${m.leader} ${m.leaderEpoch}`, false);
    if (m.leader.toLowerCase() !== core.myid.toLowerCase()) {
      m.failoverStartTime = core.now() + core.randomInt(core.maxDesyncMs);
      m.electionRetryEpoch = 0;
    }
  }
  return { leader: m.leader, epoch: m.leaderEpoch };
}

/** SENTINEL IS-MASTER-DOWN-BY-ADDR, as asked by a peer. */
export function isMasterDownByAddr(
  core: SentinelCore,
  ip: string,
  port: number,
  reqEpoch: number,
  runid: string,
): { down: boolean; leader: string; epoch: number } {
  const addr = core.address(ip, port);
  const m = typeof addr === 'string' ? undefined : [...core.masters.values()].find((x) => sameAddress(x.addr, addr));
  const down = !core.tilt && m !== undefined && m.flags.sdown;
  if (m && runid.toLowerCase() !== '*') {
    const v = vote(core, m, reqEpoch, runid);
    return { down, leader: v.leader ?? '*', epoch: v.epoch };
  }
  return { down, leader: '*', epoch: 0 };
}
