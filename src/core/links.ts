import type { ConnKind, ReplyPurpose, ReplyTag } from './actions.js';
import { masterOf, type Connection, type Instance, type Link, type MasterInstance, type SentinelInstance } from './instance.js';
import type { SentinelCore } from './sentinel.js';
import { HELLO_CHANNEL } from './timing.js';

/**
 * The links to monitored instances and peers: (re)connecting with AUTH and
 * CLIENT SETNAME, sending, closing, and sharing one link between the entries
 * of a peer listed under several masters. Connection events from the shells
 * land here too; replies are routed in replies.ts.
 */

export function renamed(master: MasterInstance, command: string): string {
  return master.renamedCommands.get(command.toLowerCase())?.[1] ?? command;
}

/** Sends a command on an instance's link; false when the connection is gone. */
export function send(core: SentinelCore, ri: Instance, conn: ConnKind, args: string[], purpose: ReplyPurpose): boolean {
  const c = ri.link[conn];
  if (!c) return false;
  const master = masterOf(ri);
  const wire = [renamed(master, args[0]), ...args.slice(1)];
  const tag: ReplyTag = { instance: ri.uid, purpose };
  if (purpose === 'is-master-down') tag.addressGeneration = master.addressGeneration;
  core.enqueue({ kind: 'send', link: ri.link.id, conn, generation: c.generation, args: wire, tag });
  if (purpose !== 'subscribe') ri.link.pendingCommands++;
  return true;
}

export function sendPing(core: SentinelCore, ri: Instance): boolean {
  if (!send(core, ri, 'cc', ['PING'], 'ping')) return false;
  const now = core.now();
  ri.link.lastPingTime = now;
  if (ri.link.actPingTime === 0) ri.link.actPingTime = now;
  return true;
}

function authArgs(core: SentinelCore, ri: Instance): string[] | null {
  if (ri.kind === 'sentinel') {
    if (core.sentinelPass !== null) return core.sentinelUser !== null ? ['AUTH', core.sentinelUser, core.sentinelPass] : ['AUTH', core.sentinelPass];
    if (core.requirepass !== null) return ['AUTH', core.requirepass];
    return null;
  }
  const m = masterOf(ri);
  if (m.authPass === null) return null;
  return m.authUser !== null ? ['AUTH', m.authUser, m.authPass] : ['AUTH', m.authPass];
}

export function reconnect(core: SentinelCore, ri: Instance): void {
  const link = ri.link;
  const now = core.now();
  if (!link.disconnected || ri.addr.port === 0) return;
  if (now - link.lastReconnTime < core.timings.pingPeriod) return;
  link.lastReconnTime = now;
  const clientPrefix = `sentinel-${core.myid.slice(0, 8)}`;
  const auth = authArgs(core, ri);

  if (!link.cc) {
    link.cc = { generation: core.registry.nextGeneration(), localIp: null };
    core.enqueue({ kind: 'connect', link: link.id, conn: 'cc', generation: link.cc.generation, host: ri.addr.ip, port: ri.addr.port });
    link.pendingCommands = 0;
    link.ccConnTime = now;
    if (auth) send(core, ri, 'cc', auth, 'ignore');
    send(core, ri, 'cc', ['CLIENT', 'SETNAME', `${clientPrefix}-cmd`], 'ignore');
    sendPing(core, ri);
  }
  if (ri.kind !== 'sentinel' && !link.pc) {
    link.pc = { generation: core.registry.nextGeneration(), localIp: null };
    core.enqueue({ kind: 'connect', link: link.id, conn: 'pc', generation: link.pc.generation, host: ri.addr.ip, port: ri.addr.port });
    link.pcConnTime = now;
    if (auth) send(core, ri, 'pc', auth, 'ignore');
    send(core, ri, 'pc', ['CLIENT', 'SETNAME', `${clientPrefix}-pubsub`], 'ignore');
    send(core, ri, 'pc', ['SUBSCRIBE', HELLO_CHANNEL], 'subscribe');
  }
  if (link.cc && (ri.kind === 'sentinel' || link.pc)) link.disconnected = false;
}

export function closeConnection(core: SentinelCore, link: Link, conn: ConnKind): void {
  const c = link[conn];
  if (!c) return;
  core.enqueue({ kind: 'close', link: link.id, conn, generation: c.generation });
  link[conn] = null;
  if (conn === 'cc') link.pendingCommands = 0;
  link.disconnected = true;
}

/** Closes an instance's connections so they are re-established (new credentials, reset). */
export function dropConnections(core: SentinelCore, ri: Instance): void {
  closeConnection(core, ri.link, 'cc');
  closeConnection(core, ri.link, 'pc');
}

/** Closes every peer-sentinel link so they authenticate again with new credentials. */
export function dropAllSentinelLinks(core: SentinelCore): void {
  for (const m of core.masters.values()) for (const s of m.sentinels.values()) dropConnections(core, s);
}

/** The same peer listed under several masters talks to us over one link. */
export function shareLinkWithSamePeer(core: SentinelCore, s: SentinelInstance): void {
  if (s.link.refcount > 1) return;
  for (const m of core.masters.values()) {
    if (m === s.master) continue;
    const match = m.sentinels.get(s.runid ?? '');
    if (!match || match === s) continue;
    core.registry.forgetLink(s.link.id);
    releaseLink(core, s.link);
    s.link = match.link;
    match.link.refcount++;
    return;
  }
}

export function releaseLink(core: SentinelCore, link: Link): void {
  link.refcount--;
  if (link.refcount > 0) return;
  closeConnection(core, link, 'cc');
  closeConnection(core, link, 'pc');
  core.registry.forgetLink(link.id);
}

/** The connection an event is about, if it is still the current one. */
export function currentConnection(core: SentinelCore, linkId: number, conn: ConnKind, generation: number): Connection | null {
  const entry = core.registry.link(linkId);
  const c = entry?.link[conn];
  return c && c.generation === generation ? c : null;
}

/** The connection reached the peer; `localIp` is our side of it. */
export function onConnected(core: SentinelCore, linkId: number, conn: ConnKind, generation: number, localIp: string): void {
  const c = currentConnection(core, linkId, conn, generation);
  if (c) c.localIp = localIp;
}

/** The connection failed or was closed by the other side. */
export function onConnectionClosed(
  core: SentinelCore,
  linkId: number,
  conn: ConnKind,
  generation: number,
  reason: string,
  neverConnected: boolean,
): void {
  const entry = core.registry.link(linkId);
  if (!entry || !currentConnection(core, linkId, conn, generation)) return;
  const link = entry.link;
  link[conn] = null;
  if (conn === 'cc') link.pendingCommands = 0;
  link.disconnected = true;
  if (neverConnected) core.emit('debug', conn === 'cc' ? '-cmd-link-reconnection' : '-pubsub-link-reconnection', entry.owner, `#${reason}`);
}
