import { announced, sameAddress } from './address.js';
import { adoptNewerEpoch } from './election.js';
import { parseHello } from './hello.js';
import { currentMasterAddress, type MasterInstance, type SentinelInstance } from './instance.js';
import { dropConnections } from './links.js';
import { followNewerConfig } from './reconfiguration.js';
import { createSentinel, releaseInstance } from './roster.js';
import type { StepContext } from './step-context.js';

/**
 * Peers' hellos: learning of new peers, peers that moved, newer epochs and
 * newer master configurations.
 */

/** A hello from a peer, received on a subscription or through our PUBLISH command. */
export function processHello(cx: StepContext, payload: string): void {
  const hello = parseHello(payload);
  if (!hello) return;
  const master = cx.masters.get(hello.masterName);
  if (!master) return;
  const now = cx.now;
  const helloAddr = cx.address(hello.sentinelIp, hello.sentinelPort);

  let si = [...master.sentinels.values()].find(
    (s) => s.runid === hello.runId && typeof helloAddr !== 'string' && sameAddress(s.addr, helloAddr),
  );
  if (!si) {
    if (typeof helloAddr === 'string') return;
    const removed = removeMatchingSentinels(cx, master, hello.runId);
    if (removed > 0) {
      cx.emit('notice', '+sentinel-address-switch', master, `ip ${hello.sentinelIp} port ${hello.sentinelPort} for ${hello.runId}`);
    } else {
      const other = [...master.sentinels.values()].find((s) => s.runid !== hello.runId && sameAddress(s.addr, helloAddr));
      if (other) {
        cx.emit('notice', '+sentinel-invalid-addr', other);
        const staleRunid = other.runid ?? '';
        for (const m of cx.masters.values()) removeMatchingSentinels(cx, m, staleRunid);
      }
    }
    const created = createSentinel(cx, master, helloAddr, hello.runId);
    if (created) {
      if (removed === 0) cx.emit('notice', '+sentinel', created);
      if (removed > 0) updateSentinelAddressEverywhere(cx, created);
      cx.persist();
      si = created;
    }
  }

  adoptNewerEpoch(cx, master, hello.currentEpoch);

  if (si && master.configEpoch < hello.masterConfigEpoch) {
    master.configEpoch = hello.masterConfigEpoch;
    followNewerConfig(cx, master, si, hello.masterIp, hello.masterPort);
  } else if (si && losesEpochTie(cx, master, hello.masterConfigEpoch, hello.masterIp, hello.masterPort)) {
    followNewerConfig(cx, master, si, hello.masterIp, hello.masterPort);
  }
  if (si) si.lastHelloTime = now;
}

/**
 * Beyond Redis: two SENTINEL FAILOVERs on either side of a partition can leave
 * two configurations with the same epoch, which Redis never reconciles. Elected
 * failovers never share an epoch, so this only settles forced ones: the lower
 * address wins, everywhere alike.
 */
function losesEpochTie(cx: StepContext, m: MasterInstance, epoch: bigint, ip: string, port: number): boolean {
  if (epoch === 0n || epoch !== m.configEpoch || m.flags.failoverInProgress) return false;
  const ours = currentMasterAddress(m);
  const ourIp = announced(ours, cx.settings.announceHostnames);
  if (ourIp === ip && ours.port === port) return false;
  return ip < ourIp || (ip === ourIp && port < ours.port);
}

function removeMatchingSentinels(cx: StepContext, master: MasterInstance, runid: string): number {
  let removed = 0;
  for (const [key, s] of master.sentinels) {
    if (s.runid === runid) {
      master.sentinels.delete(key);
      releaseInstance(cx, s);
      removed++;
    }
  }
  return removed;
}

/** A peer that moved: every entry for it, under every master, now points at the new address. */
function updateSentinelAddressEverywhere(cx: StepContext, fresh: SentinelInstance): void {
  let updated = 0;
  for (const m of cx.masters.values()) {
    const s = m.sentinels.get(fresh.runid ?? '');
    if (!s) continue;
    dropConnections(cx, s);
    if (s === fresh) continue;
    s.addr = { ...fresh.addr };
    updated++;
  }
  if (updated > 0) cx.emit('notice', '+sentinel-address-update', fresh, `${updated} additional matching instances`);
}
