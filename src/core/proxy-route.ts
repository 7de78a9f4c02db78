import { currentMasterAddress, type ReplicaInstance } from './instance.js';
import type { StepContext } from './step-context.js';

/**
 * Beyond Redis: where the built-in proxy sends a new client connection. An address, or a
 * reason to hold the connection (and cut the open ones) instead.
 */
export type ProxyRoute = { host: string; port: number } | { hold: string };

/** Failover states before the promoted replica is the master clients should use. */
const BEFORE_PROMOTION = new Set(['wait_start', 'select_slave', 'send_slaveof_noone', 'wait_promotion']);

/**
 * The master as this sentinel knows it, and only while it is safe to write to: not while it is
 * objectively down or a failover has not yet promoted its replica (writes there could be lost),
 * nor while the node we know as master says it is a replica (a failover we have not heard of).
 */
export function masterRoute(cx: StepContext, name: string): ProxyRoute {
  const m = cx.masters.get(name);
  if (!m) return { hold: 'no such master' };
  if (BEFORE_PROMOTION.has(m.failoverState)) return { hold: 'failover in progress' };
  if (m.flags.odown) return { hold: 'master is o_down' };
  const addr = currentMasterAddress(m);
  if (addr === m.addr && m.roleReported === 'slave') return { hold: 'master reports role:slave' };
  return { host: addr.ip, port: addr.port };
}

/**
 * The replicas a read-only connection may go to: up in our view, linked to the master we know,
 * with fresh INFO, and no further behind than `maxLagMs` (the time since their master link went
 * down counts as lag; 0 = no limit), in a stable order.
 */
export function replicaRoutes(cx: StepContext, name: string, maxLagMs: number): Array<{ host: string; port: number }> {
  const m = cx.masters.get(name);
  if (!m) return [];
  const master = currentMasterAddress(m);
  const healthy: ReplicaInstance[] = [];
  for (const r of m.replicas.values()) {
    if (r.flags.sdown || r.flags.odown || r.link.disconnected) continue;
    if (r.roleReported !== 'slave' || !r.slaveMasterLinkUp) continue;
    if (r.slaveMasterPort !== master.port) continue;
    if (cx.now - r.infoRefresh > cx.timings.infoPeriod * 3) continue;
    if (maxLagMs > 0 && r.masterLinkDownTime > maxLagMs) continue;
    healthy.push(r);
  }
  return healthy.map((r) => ({ host: r.addr.ip, port: r.addr.port })).sort((a, b) => a.port - b.port || a.host.localeCompare(b.host));
}
