import type { Redis } from 'ioredis';
import type { SentinelQueries } from './clients.js';
import type { EventCollector, SentinelEvent } from './events.js';
import { infoFields } from './failover-kit.js';
import { Harness } from './harness.js';
import type { RedisServerProcess } from './redis-server.js';
import type { SentinelImpl } from './sentinel.js';
import { discoveryView, startTopology, waitForDiscovery, type Topology } from './topology.js';
import { waitFor, WaitTimeoutError } from './wait-for.js';

/**
 * kill -9 failovers one after another on one group (1 master, 2 replicas,
 * 3 sentinels, quorum 2), each measured the same way: from the kill to the
 * first +switch-master and to the moment every sentinel answers
 * GET-MASTER-ADDR-BY-NAME with another address, plus what the elections did
 * (tries, distinct epochs, aborts), from every sentinel's events.
 *
 * Between two kills the killed server is restarted as a replica of the new
 * master (what the sentinels would make of it themselves, after
 * 4 × publish-period), then the group must be stable: every sentinel agrees
 * on the master, flags it `master` only, lists both replicas with their link
 * ok and both peers (no stale `master_down` flag left from the last
 * failover: redis-sentinel drops its peers' down replies only after
 * 5 × ask-period, and a kill within that time would skip the ODOWN vote),
 * the master has both replicas online, and no sentinel published a failover
 * event for QUIET_MS. Each kill thus starts from the
 * state a fresh, fully discovered topology is in.
 */

export interface FailoverLoopOptions {
  impl: SentinelImpl;
  /** Extra command-line arguments of every sentinel, e.g. ['--timing', 'redis']. */
  sentinelArgs?: string[];
  downAfterMs: number;
  failoverTimeoutMs: number;
  /** How long one failover may take from the kill before it counts as never completed. */
  deadlineMs: number;
  /** How often every sentinel is asked for the master's address after the kill. */
  pollMs?: number;
  label?: string;
}

export interface FailoverRecord {
  /** Kill to the first +switch-master any sentinel published, minus down-after; null if none before the deadline. */
  firstSwitchMs: number | null;
  /** Kill to the moment every sentinel answered a new address, minus down-after; null if not before the deadline. */
  allKnowMs: number | null;
  /** -failover-abort-not-elected events, summed over the sentinels. */
  aborts: number;
  /** +try-failover events, summed over the sentinels. */
  tries: number;
  /** The distinct epochs in which some sentinel tried (from the +new-epoch before each +try-failover). */
  epochs: number[];
  /** +elected-leader events, summed over the sentinels. */
  elected: number;
  /** The most +switch-master events one sentinel published (above 1: the group failed over again). */
  switches: number;
  /** Kill to the group being stable again (ready for the next kill), ms; null when it had to be rebuilt. */
  cycleMs: number | null;
}

/** Events that mean a failover (or its detection) is still going on: the group is not quiet. */
const FAILOVER_ACTIVITY = new Set([
  '+odown', '-odown', '+new-epoch', '+try-failover', '+vote-for-leader', '+elected-leader',
  '+failover-state-select-slave', '+selected-slave', '+failover-state-send-slaveof-noone',
  '+failover-state-wait-promotion', '+promoted-slave', '+failover-state-reconf-slaves',
  '+slave-reconf-sent', '+slave-reconf-inprog', '+slave-reconf-done', '+failover-end',
  '+switch-master', '-failover-abort-not-elected', '-failover-abort-no-good-slave',
  '-failover-abort-slave-timeout', '+failover-end-for-timeout', '+convert-to-slave', '+fix-slave-config',
]);
const QUIET_MS = 1000;
const STABLE_TIMEOUT_MS = 30_000;

export class FailoverGroup {
  /** The port every sentinel agreed on at the last stability check. */
  private masterPort = 0;

  private constructor(
    private readonly h: Harness,
    private readonly opts: FailoverLoopOptions,
    readonly topology: Topology,
    private readonly queries: SentinelQueries[],
    private readonly pollers: Redis[],
    readonly collectors: EventCollector[],
  ) {}

  /** Starts the topology, waits for full discovery and stability. Cleans up after itself if that fails. */
  static async start(opts: FailoverLoopOptions): Promise<FailoverGroup> {
    const h = new Harness(opts.label ?? `failover-loop-${opts.impl}`);
    try {
      const t = await startTopology(h, {
        replicas: 2,
        sentinels: [opts.impl, opts.impl, opts.impl],
        quorum: 2,
        downAfterMs: opts.downAfterMs,
        failoverTimeoutMs: opts.failoverTimeoutMs,
        sentinelArgs: opts.sentinelArgs,
      });
      await waitForDiscovery(h, t, STABLE_TIMEOUT_MS);
      const queries = t.sentinels.map((s) => h.queries(s.port));
      const pollers = t.sentinels.map((s) => h.client(s.port, { commandTimeout: 1000 }));
      const collectors = await Promise.all(t.sentinels.map((s) => h.events(s.port)));
      const group = new FailoverGroup(h, opts, t, queries, pollers, collectors);
      await group.waitStable();
      return group;
    } catch (e) {
      await h.dispose().catch(() => {});
      throw e;
    }
  }

  get servers(): RedisServerProcess[] {
    return [this.topology.master, ...this.topology.replicas];
  }

  get currentMaster(): RedisServerProcess {
    const m = this.servers.find((s) => s.port === this.masterPort);
    if (!m) throw new Error(`no server on the agreed master port ${this.masterPort}`);
    return m;
  }

  /**
   * kill -9 of the current master, measured. With `recover` the killed server
   * is brought back and the group made stable again; `cycleMs` is null when
   * the failover did not complete or the group did not become stable (the
   * caller then replaces the group).
   */
  async killMaster(opts: { recover: boolean }): Promise<FailoverRecord> {
    const { downAfterMs, deadlineMs } = this.opts;
    const victim = this.currentMaster;
    const oldPort = String(victim.port);
    const knowsAt = new Map<number, number>();
    const killedAt = Date.now();
    victim.kill('SIGKILL');
    let completed = true;
    try {
      await waitFor(
        async () => {
          await Promise.all(
            this.pollers.map(async (c, i) => {
              if (knowsAt.has(i)) return;
              const addr = (await c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.topology.masterName).catch(() => null)) as
                | string[]
                | null;
              if (Array.isArray(addr) && addr[1] !== oldPort) knowsAt.set(i, Date.now());
            }),
          );
          return knowsAt.size;
        },
        {
          timeoutMs: deadlineMs,
          intervalMs: this.opts.pollMs ?? 10,
          description: `every sentinel to answer a master other than port ${oldPort}`,
          until: (n) => n === this.pollers.length,
        },
      );
    } catch (e) {
      if (!(e instanceof WaitTimeoutError)) throw e;
      completed = false;
    }
    const allKnownAt = completed ? Math.max(...knowsAt.values()) : null;

    let stableAt: number | null = null;
    if (completed && opts.recover) {
      try {
        await this.restartAsReplica(victim);
        await this.waitStable();
        stableAt = Date.now();
      } catch {
        stableAt = null;
      }
    }
    const windowEnd = stableAt ?? Date.now();
    const events = this.collectors.map((c) => c.events.filter((e) => e.time >= killedAt && e.time <= windowEnd));
    const firstSwitch = events
      .flat()
      .filter((e) => e.channel === '+switch-master')
      .reduce<number | null>((min, e) => (min === null || e.time < min ? e.time : min), null);
    const beyond = (at: number | null) => (at === null ? null : at - killedAt - downAfterMs);
    return {
      firstSwitchMs: beyond(firstSwitch),
      allKnowMs: beyond(allKnownAt),
      ...electionSummary(events),
      cycleMs: stableAt === null ? null : stableAt - killedAt,
    };
  }

  /**
   * Starts the killed server again as a replica of the master every sentinel
   * now answers, from its first moment: `--replicaof` is set on its command
   * line. Restarted with its old command line, a former master would come up
   * as a master, and a sentinel that saw it so would (like redis-sentinel)
   * only look at it again after its 10 s INFO period.
   */
  private async restartAsReplica(server: RedisServerProcess): Promise<void> {
    const agreed = await waitFor(() => this.agreedMasterPort(), {
      timeoutMs: STABLE_TIMEOUT_MS,
      intervalMs: 50,
      description: 'every sentinel to answer the same master address',
    });
    const args = server.process.spec.args;
    const at = args.indexOf('--replicaof');
    if (at >= 0) args.splice(at, 3);
    args.push('--replicaof', server.host, String(agreed));
    await server.restart();
  }

  /** Waits until the group is stable (see the file comment) and remembers its master. */
  async waitStable(): Promise<void> {
    const name = this.topology.masterName;
    const port = await waitFor(() => this.stablePort(), {
      until: (p) => p !== undefined,
      timeoutMs: STABLE_TIMEOUT_MS,
      intervalMs: 100,
      description: `the group of ${name} to be stable (one master, 2 replicas in sync, 3 sentinels that agree, ${QUIET_MS} ms without failover events)`,
    });
    this.masterPort = port!;
  }

  /** Have the group's processes' log tails printed when it is disposed (a test failed). */
  noteFailure(what: string): void {
    this.h.noteFailure(what);
  }

  async dispose(): Promise<void> {
    await this.h.dispose();
  }

  /** The master port every sentinel answers, or undefined while they differ. */
  private async agreedMasterPort(): Promise<number | undefined> {
    const addrs = await Promise.all(this.queries.map((q) => q.masterAddr(this.topology.masterName)));
    const ports = new Set(addrs.map((a) => (a ? Number(a[1]) : 0)));
    const [port] = [...ports];
    return ports.size === 1 && port ? port : undefined;
  }

  private async stablePort(): Promise<number | undefined> {
    const name = this.topology.masterName;
    const port = await this.agreedMasterPort();
    if (port === undefined) return undefined;
    const others = this.servers.filter((s) => s.port !== port);
    if (others.length !== this.servers.length - 1) return undefined;
    const info = await infoFields(port);
    const online = others.every((r) =>
      Object.entries(info).some(([k, v]) => /^slave\d+$/.test(k) && v.includes(`port=${r.port},`) && v.includes('state=online')),
    );
    if (info.role !== 'master' || !online) return undefined;
    const expectedReplicas = others.map((r) => `${r.host}:${r.port} slave link=ok`).sort();
    const views = await Promise.all(this.queries.map((q, i) => discoveryView(q, this.topology.sentinels[i].port, name)));
    const masters = await Promise.all(this.queries.map((q) => q.master(name)));
    const consistent =
      masters.every((m) => m.flags === 'master') &&
      views.every((v) => {
        const peers = this.topology.sentinels.filter((s) => s.port !== v.port).map((s) => `${s.port} sentinel`);
        return (
          JSON.stringify([...v.replicas].sort()) === JSON.stringify(expectedReplicas) &&
          JSON.stringify([...v.sentinels].sort()) === JSON.stringify(peers.sort())
        );
      });
    if (!consistent) return undefined;
    const quietSince = Date.now() - QUIET_MS;
    const busy = this.collectors.some((c) => c.events.some((e) => e.time >= quietSince && FAILOVER_ACTIVITY.has(e.channel)));
    return busy ? undefined : port;
  }
}

/** What the elections of one failover did, from each sentinel's own events (one list per sentinel, in arrival order). */
export function electionSummary(perSentinel: readonly (readonly SentinelEvent[])[]): Pick<
  FailoverRecord,
  'aborts' | 'tries' | 'epochs' | 'elected' | 'switches'
> {
  const epochs = new Set<number>();
  let aborts = 0;
  let tries = 0;
  let elected = 0;
  let switches = 0;
  for (const events of perSentinel) {
    let epoch: number | undefined;
    let mine = 0;
    for (const e of events) {
      if (e.channel === '+new-epoch') epoch = Number(e.message);
      else if (e.channel === '+try-failover') {
        tries++;
        if (epoch !== undefined) epochs.add(epoch);
      } else if (e.channel === '-failover-abort-not-elected') aborts++;
      else if (e.channel === '+elected-leader') elected++;
      else if (e.channel === '+switch-master') mine++;
    }
    switches = Math.max(switches, mine);
  }
  return { aborts, tries, epochs: [...epochs].sort((a, b) => a - b), elected, switches };
}
