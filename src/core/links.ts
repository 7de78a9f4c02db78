import type { ConnKind, ReplyPurpose, ReplyTag } from './actions.js';
import { masterOf, type Connection, type Instance, type Link, type MasterInstance, type SentinelInstance } from './instance.js';
import type { StepContext } from './step-context.js';
import { HELLO_CHANNEL, PROTECTED_MASTER_RECONNECT_MS } from './timing.js';

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
export function send(cx: StepContext, ri: Instance, conn: ConnKind, args: string[], purpose: ReplyPurpose): boolean {
  const c = ri.link[conn];
  if (!c) return false;
  const master = masterOf(ri);
  const wire = [renamed(master, args[0]), ...args.slice(1)];
  const tag: ReplyTag = { instance: ri.uid, purpose };
  if (purpose === 'is-master-down') tag.addressGeneration = master.addressGeneration;
  cx.enqueue({ kind: 'send', link: ri.link.id, conn, generation: c.generation, args: wire, tag });
  if (purpose !== 'subscribe') ri.link.pendingCommands++;
  return true;
}

export function sendPing(cx: StepContext, ri: Instance): boolean {
  if (!send(cx, ri, 'cc', ['PING'], 'ping')) return false;
  const now = cx.now;
  ri.link.lastPingTime = now;
  if (ri.link.actPingTime === 0) ri.link.actPingTime = now;
  return true;
}

function authArgs(cx: StepContext, ri: Instance): string[] | null {
  if (ri.kind === 'sentinel') {
    if (cx.settings.sentinelPass !== null) return cx.settings.sentinelUser !== null ? ['AUTH', cx.settings.sentinelUser, cx.settings.sentinelPass] : ['AUTH', cx.settings.sentinelPass];
    if (cx.state.requirepass !== null) return ['AUTH', cx.state.requirepass];
    return null;
  }
  const m = masterOf(ri);
  if (m.authPass === null) return null;
  return m.authUser !== null ? ['AUTH', m.authUser, m.authPass] : ['AUTH', m.authPass];
}

export function reconnect(cx: StepContext, ri: Instance): void {
  const link = ri.link;
  const now = cx.now;
  if (!link.disconnected || ri.addr.port === 0) return;
  // Beyond Redis: a master protected from empty restarts is reconnected to on every tick and asked for INFO at
  // once, so that a restart is seen before its replicas resync (see empty-restart.ts).
  const protectedMaster = ri.kind === 'master' && ri.protectEmptyRestart;
  if (now - link.lastReconnTime < (protectedMaster ? PROTECTED_MASTER_RECONNECT_MS : cx.timings.pingPeriod)) return;
  // Beyond Redis: a few hundred instances (re)connect per tick, the rest on the next ones,
  // so that starting with thousands of masters does not hold up clients for seconds.
  if (cx.connectsLeft <= 0) return;
  cx.connectsLeft--;
  link.lastReconnTime = now;
  const clientPrefix = `sentinel-${cx.settings.myid.slice(0, 8)}`;
  const auth = authArgs(cx, ri);

  if (!link.cc) {
    link.cc = { generation: cx.registry.nextGeneration(), localIp: null };
    cx.enqueue({ kind: 'connect', link: link.id, conn: 'cc', generation: link.cc.generation, host: ri.addr.ip, port: ri.addr.port });
    link.pendingCommands = 0;
    link.ccConnTime = now;
    if (auth) send(cx, ri, 'cc', auth, 'ignore');
    send(cx, ri, 'cc', ['CLIENT', 'SETNAME', `${clientPrefix}-cmd`], 'ignore');
    sendPing(cx, ri);
    if (protectedMaster) send(cx, ri, 'cc', ['INFO'], 'info');
  }
  if (ri.kind !== 'sentinel' && !link.pc) {
    link.pc = { generation: cx.registry.nextGeneration(), localIp: null };
    cx.enqueue({ kind: 'connect', link: link.id, conn: 'pc', generation: link.pc.generation, host: ri.addr.ip, port: ri.addr.port });
    link.pcConnTime = now;
    if (auth) send(cx, ri, 'pc', auth, 'ignore');
    send(cx, ri, 'pc', ['CLIENT', 'SETNAME', `${clientPrefix}-pubsub`], 'ignore');
    send(cx, ri, 'pc', ['SUBSCRIBE', HELLO_CHANNEL], 'subscribe');
  }
  if (link.cc && (ri.kind === 'sentinel' || link.pc)) link.disconnected = false;
}

export function closeConnection(cx: StepContext, link: Link, conn: ConnKind): void {
  const c = link[conn];
  if (!c) return;
  cx.enqueue({ kind: 'close', link: link.id, conn, generation: c.generation });
  link[conn] = null;
  if (conn === 'cc') link.pendingCommands = 0;
  link.disconnected = true;
}

/** Closes an instance's connections so they are re-established (new credentials, reset). */
export function dropConnections(cx: StepContext, ri: Instance): void {
  closeConnection(cx, ri.link, 'cc');
  closeConnection(cx, ri.link, 'pc');
}

/** Closes every peer-sentinel link so they authenticate again with new credentials. */
export function dropAllSentinelLinks(cx: StepContext): void {
  for (const m of cx.masters.values()) for (const s of m.sentinels.values()) dropConnections(cx, s);
}

/** The same peer listed under several masters talks to us over one link. */
export function shareLinkWithSamePeer(cx: StepContext, s: SentinelInstance): void {
  if (s.link.refcount > 1) return;
  for (const m of cx.masters.values()) {
    if (m === s.master) continue;
    const match = m.sentinels.get(s.runid ?? '');
    if (!match || match === s) continue;
    cx.registry.forgetLink(s.link.id);
    releaseLink(cx, s.link);
    s.link = match.link;
    match.link.refcount++;
    return;
  }
}

export function releaseLink(cx: StepContext, link: Link): void {
  link.refcount--;
  if (link.refcount > 0) return;
  closeConnection(cx, link, 'cc');
  closeConnection(cx, link, 'pc');
  cx.registry.forgetLink(link.id);
}

/** The connection an event is about, if it is still the current one. */
export function currentConnection(cx: StepContext, linkId: number, conn: ConnKind, generation: number): Connection | null {
  const entry = cx.registry.link(linkId);
  const c = entry?.link[conn];
  return c && c.generation === generation ? c : null;
}

/** The connection reached the peer; `localIp` is our side of it. */
export function onConnected(cx: StepContext, linkId: number, conn: ConnKind, generation: number, localIp: string): void {
  const c = currentConnection(cx, linkId, conn, generation);
  if (c) c.localIp = localIp;
}

/** The connection failed or was closed by the other side. */
export function onConnectionClosed(
  cx: StepContext,
  linkId: number,
  conn: ConnKind,
  generation: number,
  reason: string,
  neverConnected: boolean,
): void {
  const entry = cx.registry.link(linkId);
  if (!entry || !currentConnection(cx, linkId, conn, generation)) return;
  const link = entry.link;
  link[conn] = null;
  if (conn === 'cc') link.pendingCommands = 0;
  link.disconnected = true;
  if (neverConnected) cx.emit('debug', conn === 'cc' ? '-cmd-link-reconnection' : '-pubsub-link-reconnection', entry.owner, `#${reason}`);
}
