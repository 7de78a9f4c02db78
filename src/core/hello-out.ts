import { announced } from './address.js';
import { formatHello } from './hello.js';
import { currentMasterAddress, masterOf, type Instance, type MasterInstance } from './instance.js';
import { send } from './links.js';
import type { StepContext } from './step-context.js';
import { HELLO_CHANNEL } from './timing.js';

/** Our hello: published to every master, replica and peer on the publish period, or at once after a change. */

function announcedPort(cx: StepContext): number {
  return cx.settings.announcePort !== 0 ? cx.settings.announcePort : cx.state.listeningPort;
}

export function sendHello(cx: StepContext, ri: Instance): void {
  if (ri.link.disconnected || !ri.link.cc) return;
  const ip = cx.settings.announceIp ?? ri.link.cc.localIp;
  if (ip === null) return;
  const master = masterOf(ri);
  const addr = currentMasterAddress(master);
  const payload = formatHello({
    sentinelIp: ip,
    sentinelPort: announcedPort(cx),
    runId: cx.settings.myid,
    currentEpoch: cx.settings.currentEpoch,
    masterName: master.name,
    masterIp: announced(addr, cx.settings.announceHostnames),
    masterPort: addr.port,
    masterConfigEpoch: master.configEpoch,
  });
  send(cx, ri, 'cc', ['PUBLISH', HELLO_CHANNEL, payload], 'publish');
}

/** Publishes our hello to everything around a master on the next tick. */
export function forceHelloUpdate(cx: StepContext, m: MasterInstance): void {
  const step = cx.timings.publishPeriod + 1;
  for (const ri of [m, ...m.replicas.values(), ...m.sentinels.values()]) {
    if (ri.lastPubTime >= step) ri.lastPubTime -= step;
  }
}
