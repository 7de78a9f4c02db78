import { announced, sameAddress } from './address.js';
import { currentMasterAddress } from './instance.js';
import { masterSettings, type MasterConfig, type SentinelConfig } from './persisted.js';
import type { SentinelState } from './state.js';

/** The state to persist, as the config rewrite writes it (§2.4 of the reference). */
export function toConfig(state: SentinelState): SentinelConfig {
  const show = (a: { hostname: string; ip: string }) => announced({ ...a, port: 0 }, state.settings.announceHostnames);
  const masters: MasterConfig[] = [...state.masters.values()].map((m) => {
    const current = currentMasterAddress(m);
    return {
      name: m.name,
      host: show(current),
      port: current.port,
      ...masterSettings(m),
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
  return { ...state.settings, masters };
}
