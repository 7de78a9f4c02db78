import type { MasterInstance } from './instance.js';
import { send } from './links.js';
import { atoi } from './numbers.js';
import type { StepContext } from './step-context.js';

/**
 * Beyond Redis (`sentinel protect-empty-restart <master> yes`): a master without persistence
 * that is restarted before anyone sees it down comes back with a new run id, no keys and a
 * replication offset started over. Its replicas ask it for a partial resync, are refused, and
 * a full sync from the empty master wipes them (Redis 7.0 starts that sync 5 s after the first
 * replica asks, `repl-diskless-sync-delay`, or at once without it).
 *
 * Instead the master is held: its replicas' replication connections are closed and all its
 * clients paused (`CLIENT PAUSE <ms> ALL` also blocks the replication handshake, which does
 * not come from a replica yet). A paused master answers nobody, so every sentinel of the group,
 * real redis-sentinel peers included, finds it down after down-after-milliseconds and the usual
 * ODOWN, election and failover promote the replica with the most data. We find it down at once.
 * The pause outlasts that (down-after plus failover-timeout); once it ends the old master is
 * turned into a replica as after any failover. If no failover happened by then, the master
 * answers again and its replicas resync from it, as they would have with Redis.
 */

/** What the pause must outlast: the peers' down-after, then an election and a promotion. */
export function emptyRestartPauseMs(m: MasterInstance): number {
  return m.downAfterMs + m.failoverTimeoutMs;
}

interface DataFields {
  replOffset: number;
  keys: number;
}

/** `master_repl_offset` and the keys of every `dbN:keys=...` line of an INFO reply. */
function dataFields(text: string): DataFields {
  const fields: DataFields = { replOffset: 0, keys: 0 };
  for (const line of text.split('\r\n')) {
    if (line.startsWith('master_repl_offset:')) fields.replOffset = atoi(line.slice(19));
    else if (line.startsWith('db') && line.includes(':keys=')) fields.keys += atoi(line.slice(line.indexOf(':keys=') + 6));
  }
  return fields;
}

/**
 * The master, whose run id just changed, reports no keys and an offset behind a replica that,
 * as last seen, held keys: following it would wipe that replica.
 */
export function restartedEmpty(m: MasterInstance, infoText: string): boolean {
  const master = dataFields(infoText);
  if (master.keys > 0) return false;
  for (const r of m.replicas.values()) {
    if (r.flags.sdown || r.info === null || r.slaveReplOffset <= master.replOffset) continue;
    if (dataFields(r.info).keys > 0) return true;
  }
  return false;
}

/** Closes the replicas' syncs and pauses every client of the master; it is down for us from now on. */
export function holdEmptyMaster(cx: StepContext, m: MasterInstance): void {
  const pauseMs = emptyRestartPauseMs(m);
  // One transaction: no replica gets in between the kill and the pause.
  const commands = [['MULTI'], ['CLIENT', 'KILL', 'TYPE', 'slave'], ['CLIENT', 'PAUSE', String(pauseMs), 'ALL'], ['EXEC']];
  for (const args of commands) if (!send(cx, m, 'cc', args, 'ignore')) return;
  m.flags.emptyRestart = true;
  m.emptyRestartSince = cx.now;
  cx.emit('warning', '+empty-restart', m, `#paused ${pauseMs} ms, replicas hold the data`);
}

/** Down for us while held: until it answers a PING sent after the hold (the pause ended or never took). */
export function heldAfterEmptyRestart(m: MasterInstance): boolean {
  if (!m.flags.emptyRestart) return false;
  const link = m.link;
  return !(link.actPingTime === 0 && link.lastPingTime > m.emptyRestartSince && link.lastAvailTime >= link.lastPingTime);
}

/** Lets go of a master that answers again. */
export function releaseEmptyRestartHold(cx: StepContext, m: MasterInstance): void {
  if (!m.flags.emptyRestart || heldAfterEmptyRestart(m)) return;
  m.flags.emptyRestart = false;
  cx.emit('warning', '-empty-restart', m);
}
