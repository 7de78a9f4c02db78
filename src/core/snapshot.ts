import { announced, sameAddress } from './address.js';
import { currentMasterAddress } from './instance.js';
import { masterSettings, type MasterConfig, type SentinelConfig } from './persisted.js';
import type { SentinelState } from './state.js';

/**
 * The state to persist, as the config rewrite writes it (§2.4 of the reference). Taken on
 * the event loop before each write, over every master: built field by field, without spreads.
 */
export function toConfig(state: SentinelState): SentinelConfig {
  const hostnames = state.settings.announceHostnames;
  const masters: MasterConfig[] = [];
  for (const m of state.masters.values()) {
    const current = currentMasterAddress(m);
    const knownReplicas: MasterConfig['knownReplicas'] = [];
    for (const r of m.replicas.values()) {
      // A replica already promoted by a failover in progress is listed as the old master.
      const addr = sameAddress(r.addr, current) ? m.addr : r.addr;
      knownReplicas.push({ host: announced(addr, hostnames), port: addr.port });
    }
    const knownSentinels: MasterConfig['knownSentinels'] = [];
    for (const s of m.sentinels.values()) {
      if (s.runid !== null) knownSentinels.push({ host: announced(s.addr, hostnames), port: s.addr.port, runid: s.runid });
    }
    masters.push({
      name: m.name,
      host: announced(current, hostnames),
      port: current.port,
      ...masterSettings(m),
      knownReplicas,
      knownSentinels,
      renamedCommands: [...m.renamedCommands.values()],
    });
  }
  return { ...state.settings, masters };
}
