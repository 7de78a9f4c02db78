import type { SentinelQueries } from './clients.js';
import type { Harness } from './harness.js';
import { rawCommand } from './raw-client.js';
import type { RedisServerProcess } from './redis-server.js';
import { implUnderTest, type SentinelImpl, type SentinelProcess } from './sentinel.js';
import { waitFor } from './wait-for.js';

export interface TopologyOptions {
  /** Prefix of the process names (and directories), to tell several topologies of one harness apart. */
  label?: string;
  masterName?: string;
  replicas?: number;
  /** One entry per sentinel: which implementation runs it. */
  sentinels: SentinelImpl[];
  quorum?: number;
  downAfterMs?: number;
  failoverTimeoutMs?: number;
  /** Extra command line arguments for every sentinel. */
  sentinelArgs?: string[];
  /** Extra sentinel.conf lines for every sentinel, or for each by its index. */
  sentinelConfigLines?: string[] | ((index: number) => string[]);
}

export interface Topology {
  masterName: string;
  quorum: number;
  master: RedisServerProcess;
  replicas: RedisServerProcess[];
  sentinels: SentinelProcess[];
}

/** `n` sentinels of the implementation under test (env SENTINEL_IMPL). */
export function sentinelsUnderTest(n: number): SentinelImpl[] {
  return Array.from({ length: n }, () => implUnderTest());
}

/**
 * A master, its replicas and the sentinels that monitor it, all on loopback.
 * The master comes first (everyone needs its port), then the replicas, which
 * must be in sync before the sentinels start: a sentinel that first sees a
 * replica's link down only looks again at the next INFO, 10 s later.
 */
export async function startTopology(h: Harness, opts: TopologyOptions): Promise<Topology> {
  const masterName = opts.masterName ?? 'mymaster';
  const quorum = opts.quorum ?? 2;
  const prefix = opts.label ? `${opts.label}-` : '';
  const master = await h.startRedis({ name: `${prefix}master` });
  const replicas = await Promise.all(
    Array.from({ length: opts.replicas ?? 0 }, (_, i) =>
      h.startRedis({ name: `${prefix}replica${i + 1}`, replicaOf: { port: master.port } }),
    ),
  );
  await Promise.all(replicas.map((r) => waitForReplicaSync(r, REPLICA_SYNC_TIMEOUT_MS)));
  const monitor = {
    name: masterName,
    port: master.port,
    quorum,
    downAfterMs: opts.downAfterMs,
    failoverTimeoutMs: opts.failoverTimeoutMs,
  };
  const sentinels = await Promise.all(
    opts.sentinels.map((impl, i) =>
      h.startSentinel({
        impl,
        name: `${prefix}sentinel${i + 1}-${impl}`,
        monitors: [monitor],
        args: opts.sentinelArgs,
        configLines: typeof opts.sentinelConfigLines === 'function' ? opts.sentinelConfigLines(i) : opts.sentinelConfigLines,
      }),
    ),
  );
  return { masterName, quorum, master, replicas, sentinels };
}

export interface DiscoveryView {
  port: number;
  replicas: string[];
  sentinels: string[];
}

/**
 * What one sentinel knows: `ip:port flags [link status]` per replica and
 * `port flags` per peer, for readable timeout messages.
 */
export async function discoveryView(q: SentinelQueries, port: number, masterName: string): Promise<DiscoveryView> {
  const [replicas, sentinels] = await Promise.all([q.replicas(masterName), q.sentinels(masterName)]);
  return {
    port,
    replicas: replicas.map((r) => `${r.ip}:${r.port} ${r.flags} link=${r['master-link-status']}`),
    sentinels: sentinels.map((s) => `${s.port} ${s.flags}`),
  };
}

/**
 * Waits until every sentinel lists every replica (flags `slave`, link ok) and
 * every other sentinel (flags `sentinel`: not down, not disconnected).
 */
export async function waitForDiscovery(h: Harness, t: Topology, timeoutMs: number): Promise<void> {
  const expectedReplicas = t.replicas.map((r) => `${r.host}:${r.port} slave link=ok`).sort();
  const views = t.sentinels.map((s) => ({ s, q: h.queries(s.port) }));
  await waitFor(() => Promise.all(views.map(({ s, q }) => discoveryView(q, s.port, t.masterName))), {
    timeoutMs,
    intervalMs: 200,
    description: `every sentinel to know ${t.replicas.length} replicas and ${t.sentinels.length - 1} other sentinels`,
    until: (all) =>
      all.every((v) => {
        const peers = t.sentinels.filter((s) => s.port !== v.port).map((s) => `${s.port} sentinel`);
        return (
          JSON.stringify([...v.replicas].sort()) === JSON.stringify(expectedReplicas) &&
          JSON.stringify([...v.sentinels].sort()) === JSON.stringify(peers.sort())
        );
      }),
  });
  for (const { q } of views) q.client.disconnect();
  // Our sentinels answer from their state at once, while the events of a step wait behind its
  // config write (persist before send): a FLUSHCONFIG's reply waits for every earlier write, so
  // once it is in, the discovery's +slave/+sentinel events have gone out too.
  await Promise.all(
    t.sentinels.map(async (s) => {
      const reply = await rawCommand(s.port, ['SENTINEL', 'FLUSHCONFIG'], { timeoutMs });
      if (reply.value.type !== 'simple' || reply.value.value !== 'OK') throw new Error(`SENTINEL FLUSHCONFIG on port ${s.port}: ${JSON.stringify(reply.value)}`);
    }),
  );
}

const REPLICA_SYNC_TIMEOUT_MS = 10_000;

/** Waits until a replica reports `master_link_status:up`. */
export async function waitForReplicaSync(replica: RedisServerProcess, timeoutMs: number): Promise<void> {
  await waitFor(
    async () => {
      const reply = await rawCommand(replica.port, ['INFO', 'replication']);
      return reply.value.type === 'bulk' ? /master_link_status:(\w+)/.exec(reply.value.value)?.[1] : undefined;
    },
    { timeoutMs, intervalMs: 20, description: `replica on port ${replica.port} to be in sync`, until: (status) => status === 'up' },
  );
}
