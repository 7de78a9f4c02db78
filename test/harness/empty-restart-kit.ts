import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { FAST_DEBUG, infoFields, sentinelDebug } from './failover-kit.js';
import type { Harness } from './harness.js';
import { rawCommand } from './raw-client.js';
import type { RedisServerProcess } from './redis-server.js';
import type { SentinelImpl, SentinelProcess } from './sentinel.js';
import { waitForDiscovery, waitForReplicaSync, type Topology } from './topology.js';
import { waitFor } from './wait-for.js';

/**
 * The empty-restart experiment: a master without persistence and two replicas holding
 * KEYS keys, three sentinels; the current master is killed with SIGKILL and started again
 * at once on the same port, then, once the group has settled, did the current master (as
 * the sentinels say) keep the keys? Used by test/integration/protect-empty-restart.test.ts
 * and, with more runs, by test/bench/empty-restart.ts.
 */

export const KEYS = 1000;
const MASTER_NAME = 'mymaster';

export interface EmptyRestartGroup {
  label: string;
  /** Some sentinels are ours (which judge by what they last saw of the replicas' keys). */
  withOurs: boolean;
  servers: RedisServerProcess[];
  sentinels: SentinelProcess[];
}

export interface GroupOptions {
  label: string;
  /** Each sentinel's implementation and sentinel.conf lines after the monitor line (`%m` is the master's name). */
  sentinels: Array<{ impl: SentinelImpl; configLines: string[] }>;
  /** Extra redis-server arguments (the harness starts servers with `--repl-diskless-sync-delay 0`). */
  serverArgs: string[];
  downAfterMs: number;
  failoverTimeoutMs: number;
  /** SENTINEL DEBUG parameters for every sentinel; FAST_DEBUG unless told ([] keeps Redis's 10 s INFO period). */
  debug?: readonly string[];
}

export async function startGroup(h: Harness, o: GroupOptions): Promise<EmptyRestartGroup> {
  const master = await h.startRedis({ name: `${o.label}-master`, args: o.serverArgs });
  // Replicas by REPLICAOF, not on the command line: whichever server is restarted comes back a master.
  const replicas = await Promise.all([1, 2].map((i) => h.startRedis({ name: `${o.label}-replica${i}`, args: o.serverArgs })));
  for (const r of replicas) await rawCommand(r.port, ['REPLICAOF', master.host, String(master.port)]);
  await Promise.all(replicas.map((r) => waitForReplicaSync(r, 20_000)));
  const monitor = { name: MASTER_NAME, port: master.port, quorum: 2, downAfterMs: o.downAfterMs, failoverTimeoutMs: o.failoverTimeoutMs };
  const sentinels = await Promise.all(
    o.sentinels.map(({ impl, configLines }, i) =>
      h.startSentinel({
        impl,
        name: `${o.label}-sentinel${i + 1}-${impl}`,
        monitors: [monitor],
        configLines: configLines.map((l) => l.replaceAll('%m', MASTER_NAME)),
      }),
    ),
  );
  const debug = o.debug ?? FAST_DEBUG;
  if (debug.length > 0) await Promise.all(sentinels.map((s) => sentinelDebug(s.port, debug)));
  const t: Topology = { masterName: MASTER_NAME, quorum: 2, master, replicas, sentinels };
  await waitForDiscovery(h, t, 30_000);
  return { label: o.label, withOurs: o.sentinels.some((s) => s.impl === 'ours'), servers: [master, ...replicas], sentinels };
}

async function masterPortPerSentinels(g: EmptyRestartGroup): Promise<number | null> {
  const ports = await Promise.all(
    g.sentinels.map(async (s) => {
      const r = await rawCommand(s.port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME], { timeoutMs: 1000 });
      return r.value.type === 'array' && r.value.items[1]?.type === 'bulk' ? Number(r.value.items[1].value) : null;
    }),
  );
  return ports.every((p) => p !== null && p === ports[0]) ? ports[0] : null;
}

async function dbsize(port: number): Promise<number> {
  const r = await rawCommand(port, ['DBSIZE'], { timeoutMs: 1000 });
  if (r.value.type !== 'integer') throw new Error(`DBSIZE on ${port}: ${JSON.stringify(r.value)}`);
  return Number(r.value.value);
}

async function masterFlags(s: SentinelProcess): Promise<string> {
  const r = await rawCommand(s.port, ['SENTINEL', 'MASTER', MASTER_NAME], { timeoutMs: 1000 });
  if (r.value.type !== 'array') return '';
  const items = r.value.items.map((i) => (i.type === 'bulk' ? i.value : ''));
  return items[items.indexOf('flags') + 1] ?? '';
}

/**
 * The group at rest: every sentinel names the same master, which answers as a master (a
 * paused one does not), the two other servers replicate from it with their link up, and no
 * sentinel sees the master down or failing over. Returns the master's port.
 */
export async function settle(g: EmptyRestartGroup, timeoutMs: number): Promise<number> {
  return waitFor<number | undefined>(
    async () => {
      const port = await masterPortPerSentinels(g);
      if (port === null) return undefined;
      const role = await infoFields(port);
      if (role.role !== 'master') return undefined;
      for (const other of g.servers.filter((s) => s.port !== port)) {
        const i = await infoFields(other.port);
        if (i.role !== 'slave' || i.master_port !== String(port) || i.master_link_status !== 'up') return undefined;
      }
      const flags = await Promise.all(g.sentinels.map(masterFlags));
      return flags.every((f) => f === 'master') ? port : undefined;
    },
    { timeoutMs, intervalMs: 200, description: `the ${g.label} group to settle on one master with two replicas in sync` },
  ) as Promise<number>;
}

/**
 * Writes the keys to the current master if it lost them, waits until every server holds them
 * and every sentinel has read the replicas' INFO since (what they know of the replicas' data).
 */
export async function ensureData(h: Harness, g: EmptyRestartGroup, masterPort: number): Promise<void> {
  if ((await dbsize(masterPort)) !== KEYS) {
    const c = h.client(masterPort);
    const p = c.pipeline();
    for (let i = 0; i < KEYS; i++) p.set(`key:${i}`, `value:${i}`);
    await p.exec();
    c.disconnect();
  }
  await waitFor(() => Promise.all(g.servers.map((s) => dbsize(s.port))), {
    timeoutMs: 20_000,
    intervalMs: 100,
    description: `every server of ${g.label} to hold ${KEYS} keys`,
    until: (sizes) => sizes.every((n) => n === KEYS),
  });
  // What ours judge by; redis-sentinel does not look at the replicas' keys.
  if (!g.withOurs) return;
  const since = Date.now();
  await waitFor(
    async () => {
      const ages = await Promise.all(g.sentinels.map((s) => replicaInfoAges(s)));
      return ages.flat();
    },
    {
      timeoutMs: 25_000,
      intervalMs: 100,
      description: `every sentinel of ${g.label} to have read its replicas' INFO since they hold the keys`,
      until: (ages) => ages.length === 2 * g.sentinels.length && ages.every((a) => a < Date.now() - since),
    },
  );
}

async function replicaInfoAges(s: SentinelProcess): Promise<number[]> {
  const r = await rawCommand(s.port, ['SENTINEL', 'REPLICAS', MASTER_NAME], { timeoutMs: 1000 });
  if (r.value.type !== 'array') return [];
  return r.value.items.map((entry) => {
    if (entry.type !== 'array') return Infinity;
    const items = entry.items.map((i) => (i.type === 'bulk' ? i.value : ''));
    return Number(items[items.indexOf('info-refresh') + 1]);
  });
}

export interface RunOutcome {
  survived: boolean;
  failedOver: boolean;
  /** Keys on the master the group settled on. */
  keys: number;
  settleMs: number;
}

/** One kill -9 and immediate restart of the current master, and what the group kept. */
export async function killAndRestartMaster(h: Harness, g: EmptyRestartGroup, settleTimeoutMs: number): Promise<RunOutcome> {
  const before = await settle(g, settleTimeoutMs);
  await ensureData(h, g, before);
  const server = g.servers.find((s) => s.port === before)!;
  const killedAt = Date.now();
  // SIGKILL, wait for the exit, start again with the same command line; no PING, which a held master would not answer.
  // A server that once was a replica keeps the RDB of its last full sync (rdb-del-sync-files no), which it would
  // load: without it, it comes back empty like a master that never was a replica.
  await server.process.stop();
  rmSync(join(server.dir, 'dump.rdb'), { force: true });
  server.process.start();
  await server.process.waitForLog(/Ready to accept connections/, { timeoutMs: 10_000 });
  const after = await settle(g, settleTimeoutMs);
  const keys = await dbsize(after);
  return { survived: keys === KEYS, failedOver: after !== before, keys, settleMs: Date.now() - killedAt };
}

export interface SurvivalCount {
  label: string;
  runs: RunOutcome[];
  survived: number;
}

export async function survivalCount(h: Harness, o: GroupOptions, runs: number, settleTimeoutMs: number): Promise<SurvivalCount> {
  const g = await startGroup(h, o);
  const outcomes: RunOutcome[] = [];
  for (let i = 0; i < runs; i++) outcomes.push(await killAndRestartMaster(h, g, settleTimeoutMs));
  return { label: o.label, runs: outcomes, survived: outcomes.filter((r) => r.survived).length };
}

export function describeCount(c: SurvivalCount): string {
  const detail = c.runs.map((r) => `${r.survived ? 'kept' : 'lost'}${r.failedOver ? '+failover' : ''}(${r.settleMs} ms)`).join(' ');
  return `${c.label}: data survived ${c.survived}/${c.runs.length} restarts [${detail}]`;
}
