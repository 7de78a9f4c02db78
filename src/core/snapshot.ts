import type { MasterConfig, SentinelConfig } from '../config/model.js';
import { announced, sameAddress } from './address.js';
import type { SentinelCore } from './sentinel.js';

/** The state to persist, as the config rewrite writes it (§2.4 of the reference). */
export function toConfig(core: SentinelCore): SentinelConfig {
  const show = (a: { hostname: string; ip: string }) => announced({ ...a, port: 0 }, core.announceHostnames);
  const masters: MasterConfig[] = [...core.masters.values()].map((m) => {
    const current = core.currentMasterAddress(m);
    return {
      name: m.name,
      host: show(current),
      port: current.port,
      quorum: m.quorum,
      downAfterMs: m.downAfterMs,
      failoverTimeoutMs: m.failoverTimeoutMs,
      parallelSyncs: m.parallelSyncs,
      notificationScript: m.notificationScript,
      clientReconfigScript: m.clientReconfigScript,
      authPass: m.authPass,
      authUser: m.authUser,
      masterRebootDownAfterPeriodMs: m.masterRebootDownAfterPeriodMs,
      configEpoch: m.configEpoch,
      leaderEpoch: m.leaderEpoch,
      // A replica already promoted by a failover in progress is listed as the old master.
      knownReplicas: [...m.replicas.values()].map((r) => {
        const addr = sameAddress(r.addr, current) ? m.addr : r.addr;
        return { host: show(addr), port: addr.port };
      }),
      knownSentinels: [...m.sentinels.values()]
        .filter((s) => s.runid !== null)
        .map((s) => ({ host: show(s.addr), port: s.addr.port, runid: s.runid as string })),
      renamedCommands: [...m.renamedCommands.values()],
    };
  });
  return {
    myid: core.myid,
    currentEpoch: core.currentEpoch,
    announceIp: core.announceIp,
    announcePort: core.announcePort,
    denyScriptsReconfig: core.denyScriptsReconfig,
    sentinelUser: core.sentinelUser,
    sentinelPass: core.sentinelPass,
    resolveHostnames: core.resolveHostnames,
    announceHostnames: core.announceHostnames,
    masters,
  };
}
