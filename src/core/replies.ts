import type { ConnKind, ObservedReply, ReplyTag } from './actions.js';
import { onHandoverMasterInfo, onHandoverReply } from './failover.js';
import { handleMasterDownReply } from './failure-detection.js';
import { processHello } from './hello-in.js';
import { refreshFromInfo } from './info-refresh.js';
import type { Instance } from './instance.js';
import { closeConnection, currentConnection, send } from './links.js';
import type { StepContext } from './step-context.js';

/** Replies and hello messages from the links, routed to what asked for them. */

export function onReply(cx: StepContext, linkId: number, conn: ConnKind, generation: number, tag: ReplyTag, reply: ObservedReply): void {
  const entry = cx.registry.link(linkId);
  if (!entry || !currentConnection(cx, linkId, conn, generation)) return;
  const link = entry.link;
  const now = cx.now;
  if (tag.purpose === 'subscribe') {
    link.pcLastActivity = now;
    // An error in the subscribed context is fatal to that connection, as in hiredis.
    if (reply.type === 'error') closeConnection(cx, link, 'pc');
    return;
  }
  if (link.pendingCommands > 0) link.pendingCommands--;
  const ri = cx.registry.instance(tag.instance);
  if (!ri || ri.link !== link) return;
  switch (tag.purpose) {
    case 'ping':
      handlePingReply(cx, ri, reply);
      break;
    case 'info':
      if (reply.type === 'string') refreshFromInfo(cx, ri, reply.value);
      // Beyond Redis: a coordinated switchover watches the master's INFO.
      if (reply.type === 'string' && ri.kind === 'master' && ri.switchover !== null) onHandoverMasterInfo(cx, ri, reply.value);
      break;
    case 'switchover':
      if (ri.kind === 'master') onHandoverReply(cx, ri, reply);
      break;
    case 'publish':
      if (reply.type !== 'error') ri.lastPubTime = now;
      break;
    case 'is-master-down':
      // Beyond Redis: an answer about the address the master had before a switch says nothing about the new one.
      if (ri.kind === 'sentinel' && tag.addressGeneration === ri.master.addressGeneration) handleMasterDownReply(cx, ri, reply);
      break;
    case 'ignore':
      break;
  }
}

/** A message on the hello subscription of a master or replica; like Redis, the channel name is not checked. */
export function onPubsubMessage(cx: StepContext, linkId: number, generation: number, payload: string): void {
  const entry = cx.registry.link(linkId);
  if (!entry || !currentConnection(cx, linkId, 'pc', generation)) return;
  entry.link.pcLastActivity = cx.now;
  if (payload.includes(cx.settings.myid)) return;
  processHello(cx, payload);
}

function handlePingReply(cx: StepContext, ri: Instance, reply: ObservedReply): void {
  const now = cx.now;
  const link = ri.link;
  if (reply.type === 'string' || reply.type === 'error') {
    const text = reply.value;
    if (text.startsWith('PONG') || text.startsWith('LOADING') || text.startsWith('MASTERDOWN')) {
      link.lastAvailTime = now;
      if (link.actPingTime !== 0) link.lastPingRttMs = now - link.actPingTime;
      link.actPingTime = 0;
      if (text.startsWith('PONG') && ri.kind === 'master') ri.flags.masterReboot = false;
    } else if (text.startsWith('BUSY') && ri.flags.sdown && !ri.flags.scriptKillSent) {
      if (send(cx, ri, 'cc', ['SCRIPT', 'KILL'], 'ignore')) ri.flags.scriptKillSent = true;
    }
  }
  link.lastPongTime = now;
}
