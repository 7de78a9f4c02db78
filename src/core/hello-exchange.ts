import { announced, sameAddress } from './address.js';
import { followNewerConfig } from './failover.js';
import { formatHello, parseHello } from './hello.js';
import { masterOf, type Instance, type MasterInstance, type SentinelInstance } from './instance.js';
import { dropConnections, send } from './links.js';
import { createSentinel, releaseInstance } from './roster.js';
import type { SentinelCore } from './sentinel.js';
import { HELLO_CHANNEL } from './timing.js';
import { adoptNewerEpoch } from './votes.js';

/**
 * The hello gossip: publishing ours, and from peers' hellos learning of new
 * peers, peers that moved, newer epochs and newer master configurations.
 */

function announcedPort(core: SentinelCore): number {
  return core.announcePort !== 0 ? core.announcePort : core.listeningPort;
}

export function sendHello(core: SentinelCore, ri: Instance): void {
  if (ri.link.disconnected || !ri.link.cc) return;
  const ip = core.announceIp ?? ri.link.cc.localIp;
  if (ip === null) return;
  const master = masterOf(ri);
  const addr = core.currentMasterAddress(master);
  const payload = formatHello({
    sentinelIp: ip,
    sentinelPort: announcedPort(core),
    runId: core.myid,
    currentEpoch: core.currentEpoch,
    masterName: master.name,
    masterIp: announced(addr, core.announceHostnames),
    masterPort: addr.port,
    masterConfigEpoch: master.configEpoch,
  });
  send(core, ri, 'cc', ['PUBLISH', HELLO_CHANNEL, payload], 'publish');
}

/** Publishes our hello to everything around a master on the next tick. */
export function forceHelloUpdate(core: SentinelCore, m: MasterInstance): void {
  const step = core.timings.publishPeriod + 1;
  for (const ri of [m, ...m.replicas.values(), ...m.sentinels.values()]) {
    if (ri.lastPubTime >= step) ri.lastPubTime -= step;
  }
}

/** A hello from a peer, received on a subscription or through our PUBLISH command. */
export function processHello(core: SentinelCore, payload: string): void {
  const hello = parseHello(payload);
  if (!hello) return;
  const master = core.masters.get(hello.masterName);
  if (!master) return;
  const now = core.now();
  const helloAddr = core.address(hello.sentinelIp, hello.sentinelPort);

  let si = [...master.sentinels.values()].find(
    (s) => s.runid === hello.runId && typeof helloAddr !== 'string' && sameAddress(s.addr, helloAddr),
  );
  if (!si) {
    if (typeof helloAddr === 'string') return;
    const removed = removeMatchingSentinels(core, master, hello.runId);
    if (removed > 0) {
      core.emit('notice', '+sentinel-address-switch', master, `ip ${hello.sentinelIp} port ${hello.sentinelPort} for ${hello.runId}`);
    } else {
      const other = [...master.sentinels.values()].find((s) => s.runid !== hello.runId && sameAddress(s.addr, helloAddr));
      if (other) {
        core.emit('notice', '+sentinel-invalid-addr', other);
        const staleRunid = other.runid ?? '';
        for (const m of core.masters.values()) removeMatchingSentinels(core, m, staleRunid);
      }
    }
    const created = createSentinel(core, master, helloAddr, hello.runId);
    if (created) {
      if (removed === 0) core.emit('notice', '+sentinel', created);
      if (removed > 0) updateSentinelAddressEverywhere(core, created);
      core.flushConfig();
      si = created;
    }
  }

  adoptNewerEpoch(core, master, hello.currentEpoch);

  if (si && master.configEpoch < hello.masterConfigEpoch) {
    master.configEpoch = hello.masterConfigEpoch;
    followNewerConfig(core, master, si, hello.masterIp, hello.masterPort);
  } else if (si && losesEpochTie(core, master, hello.masterConfigEpoch, hello.masterIp, hello.masterPort)) {
    followNewerConfig(core, master, si, hello.masterIp, hello.masterPort);
  }
  if (si) si.lastHelloTime = now;
}

/**
 * Beyond Redis: two SENTINEL FAILOVERs on either side of a partition can leave
 * two configurations with the same epoch, which Redis never reconciles. Elected
 * failovers never share an epoch, so this only settles forced ones: the lower
 * address wins, everywhere alike.
 */
function losesEpochTie(core: SentinelCore, m: MasterInstance, epoch: number, ip: string, port: number): boolean {
  if (epoch === 0 || epoch !== m.configEpoch || m.flags.failoverInProgress) return false;
  const ours = core.currentMasterAddress(m);
  const ourIp = announced(ours, core.announceHostnames);
  if (ourIp === ip && ours.port === port) return false;
  return ip < ourIp || (ip === ourIp && port < ours.port);
}

function removeMatchingSentinels(core: SentinelCore, master: MasterInstance, runid: string): number {
  let removed = 0;
  for (const [key, s] of master.sentinels) {
    if (s.runid === runid) {
      master.sentinels.delete(key);
      releaseInstance(core, s);
      removed++;
    }
  }
  return removed;
}

/** A peer that moved: every entry for it, under every master, now points at the new address. */
function updateSentinelAddressEverywhere(core: SentinelCore, fresh: SentinelInstance): void {
  let updated = 0;
  for (const m of core.masters.values()) {
    const s = m.sentinels.get(fresh.runid ?? '');
    if (!s) continue;
    dropConnections(core, s);
    if (s === fresh) continue;
    s.addr = { ...fresh.addr };
    updated++;
  }
  if (updated > 0) core.emit('notice', '+sentinel-address-update', fresh, `${updated} additional matching instances`);
}
