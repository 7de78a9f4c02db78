import { execFileSync } from 'node:child_process';
import { startDelayProxy, proxyAddressMap } from '../../harness/delay-proxy.js';
import type { EventCollector, SentinelEvent } from '../../harness/events.js';
import { infoFields, startTunedTopology } from '../../harness/failover-kit.js';
import { Harness } from '../../harness/harness.js';
import { rawCommand } from '../../harness/raw-client.js';
import type { RedisServerProcess } from '../../harness/redis-server.js';
import { showResp, type RespValue } from '../../harness/resp.js';
import type { SentinelImpl } from '../../harness/sentinel.js';
import { waitFor } from '../../harness/wait-for.js';
import { startHaproxy } from './haproxy.js';
import { startWriters, type Ack, type ToolVersions, type Writer, type WriterInfo } from './writers.js';
import { median } from '../../harness/stats.js';

/**
 * The client matrix: one group (1 master, 2 replicas, 3 sentinels of one
 * implementation, quorum 2, down-after 1000 ms), every client writing to it
 * at once, and a series of faults on whichever server is the master:
 *
 * - `kill`: kill -9; the dead server is started again as a replica afterwards;
 * - `stop`: SIGSTOP, then SIGCONT RESUME_AFTER_SWITCH_MS after every sentinel
 *   has published +switch-master; the sentinels then demote it
 *   (+convert-to-slave), which kills its clients;
 * - `manual`: SENTINEL FAILOVER; the old master keeps running and is demoted
 *   the same way.
 *
 * Per fault and client: the write gap runs from the last write the old master
 * acknowledged that the new master also got (replicated before the promotion)
 * to the first write the new master acknowledged. Writes a hung master
 * acknowledges once resumed, and those an old master still takes after the
 * promotion, are lost when it is demoted: they do not shorten the gap. A client stalls when its first
 * write on the new master comes more than STALL_MS after the later of the
 * last sentinel's +switch-master and, for `stop`/`manual`, the old master's
 * demotion: a client still connected to a hung or not-yet-demoted master can
 * only move on once its connection is cut, with either implementation. A
 * client that wrote to the new master but then stopped writing for STALL_MS
 * before the group settled also stalled.
 */

export type FaultKind = 'kill' | 'stop' | 'manual';
export const FAULT_KINDS: readonly FaultKind[] = ['kill', 'stop', 'manual'];

export const DOWN_AFTER_MS = 1000;
export const STALL_MS = 5000;
/** How long after the last +switch-master a hung (SIGSTOPped) master is resumed. */
export const RESUME_AFTER_SWITCH_MS = 1500;
const FAILOVER_TIMEOUT_MS = 10_000;
const SWITCH_DEADLINE_MS = 30_000;
const SETTLE_DEADLINE_MS = 30_000;

export interface WriterOutcome {
  id: string;
  /**
   * ms from the last write acknowledged by the old master that the new master also has
   * to the first write acknowledged by the new master; null if none came.
   */
  gapMs: number | null;
  stalled: boolean;
  /** Why it counts as a stall. */
  stallReason?: string;
  /** Writes the old master acknowledged that the new master never got (lost when it was demoted). */
  lostAcks: number;
  detail?: string;
}

export interface RoundResult {
  impl: SentinelImpl;
  latencyMs: number;
  kind: FaultKind;
  round: number;
  oldPort: number;
  newPort: number;
  /** ms after the fault: each sentinel's +switch-master, sorted. */
  switchesMs: number[];
  /** ms after the fault: the old master's first +convert-to-slave (stop, manual). */
  demotedMs?: number;
  /** ms after the fault from which STALL_MS is counted. */
  windowStartMs: number;
  outcomes: WriterOutcome[];
  /** What had to be repaired by hand before the next fault (see waitForSteadyGroup). */
  repairs: string[];
}

export interface MatrixOptions {
  impl: SentinelImpl;
  /** Added to every chunk each way between the clients and the sentinels (0: direct). */
  latencyMs: number;
  /** The faults, in order. */
  faults: readonly FaultKind[];
  log?: (line: string) => void;
}

export interface MatrixRun {
  writers: WriterInfo[];
  rounds: RoundResult[];
}

let toolVersions: ToolVersions | undefined;

/** Versions of the external clients; fails loudly when one is missing. */
export function externalToolVersions(): ToolVersions {
  if (toolVersions) return toolVersions;
  const run = (cmd: string, args: string[], what: string): string => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    } catch (e) {
      throw new Error(`the client matrix needs ${what} ('${cmd} ${args.join(' ')}' failed: ${(e as Error).message}); install it (see README)`);
    }
  };
  toolVersions = {
    redisPy: run('/usr/bin/python3', ['-c', 'import redis; print(redis.__version__)'], 'redis-py (python3-redis) for /usr/bin/python3'),
    redisCli: /(\d+\.\d+\.\d+)/.exec(run('redis-cli', ['--version'], 'redis-cli'))?.[1] ?? '?',
    haproxy: /version (\d+\.\d+\.\d+)/.exec(run('haproxy', ['-v'], 'haproxy'))?.[1] ?? '?',
  };
  return toolVersions;
}

/** The acknowledgements of one writer that decide a round. */
export function judge(acks: readonly Ack[], r: { faultAt: number; oldPort: number; windowStart: number }): Omit<WriterOutcome, 'id'> {
  const firstNew = acks.find((a) => a.t > r.faultAt && a.port !== r.oldPort);
  // The old master's writes that the new master has: counter values below the new master's first one.
  const durable = acks.filter((a) => a.port === r.oldPort && (firstNew ? a.n < firstNew.n && a.t < firstNew.t : a.t <= r.faultAt));
  const lastDurable = durable[durable.length - 1];
  const lostAcks = firstNew ? acks.filter((a) => a.port === r.oldPort && a.n >= firstNew.n).length : 0;
  const gapMs = firstNew && lastDurable ? firstNew.t - lastDurable.t : null;
  if (!firstNew) return { gapMs, stalled: true, stallReason: 'no write on the new master', lostAcks };
  const late = firstNew.t - r.windowStart;
  if (late > STALL_MS) return { gapMs, stalled: true, stallReason: `first write on the new master ${late} ms after the window opened`, lostAcks };
  return { gapMs, stalled: false, lostAcks };
}

class MatrixGroup {
  private readonly servers = new Map<number, RedisServerProcess>();
  masterPort = 0;
  writers: Writer[] = [];
  collectors: EventCollector[] = [];

  constructor(
    readonly h: Harness,
    readonly opts: MatrixOptions,
    readonly masterName: string,
    readonly sentinelPorts: number[],
  ) {}

  addServer(s: RedisServerProcess): void {
    this.servers.set(s.port, s);
  }

  server(port: number): RedisServerProcess {
    const s = this.servers.get(port);
    if (!s) throw new Error(`no server on port ${port}`);
    return s;
  }

  get replicaPorts(): number[] {
    return [...this.servers.keys()].filter((p) => p !== this.masterPort).sort((a, b) => a - b);
  }

  log(line: string): void {
    this.opts.log?.(`[${this.opts.impl}${this.opts.latencyMs ? ` +${this.opts.latencyMs}ms` : ''}] ${line}`);
  }

  /**
   * Every sentinel names the master and sees both replicas up and linked; the replicas are in
   * sync. A replica that still says role:master after `repairAfterMs` (redis-sentinel 7.0 with
   * a short down-after sometimes starts a second failover that it then abandons) is pointed
   * at the master by hand, as an operator would, and reported; the round was measured before.
   */
  async waitForSteadyGroup(since: number, repairAfterMs = 15_000): Promise<string[]> {
    try {
      await this.steady(repairAfterMs);
      return [];
    } catch (e) {
      const repaired: string[] = [];
      // redis-sentinel's own second failover may have ended: the group follows the master every sentinel names.
      const named = await Promise.all(
        this.sentinelPorts.map(async (port) => (await rawCommand(port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.masterName], { timeoutMs: 1000 })).value),
      );
      const ports = new Set(named.map((v) => (v.type === 'array' && v.items[1]?.type === 'bulk' ? Number(v.items[1].value) : NaN)));
      const [agreed] = [...ports];
      if (ports.size === 1 && agreed !== this.masterPort && this.servers.has(agreed)) {
        repaired.push(`every sentinel names port ${agreed} now, not ${this.masterPort}: the group follows it`);
        this.masterPort = agreed;
      }
      for (const port of this.replicaPorts) {
        const info = await infoFields(port).catch(() => undefined);
        if (info?.role === 'master') {
          await rawCommand(port, ['REPLICAOF', '127.0.0.1', String(this.masterPort)]);
          repaired.push(`port ${port} (role:master) made a replica of ${this.masterPort} by hand`);
        }
      }
      const events = this.collectors
        .map((c) => `sentinel ${c.port}:\n${c.events.filter((x) => x.time >= since).map((x) => `  ${x.time - since} ${x.channel} ${x.message}`).join('\n')}`)
        .join('\n');
      this.log(`group not steady after ${repairAfterMs} ms: ${(e as Error).message}\n${repaired.join('\n') || 'nothing to repair'}\nevents since the fault:\n${events}`);
      if (repaired.length === 0) throw e;
      await this.steady(SETTLE_DEADLINE_MS);
      return repaired;
    }
  }

  private async steady(timeoutMs: number): Promise<void> {
    const want = JSON.stringify(this.replicaPorts);
    await waitFor(
      async () => {
        const views = await Promise.all(
          this.sentinelPorts.map(async (port) => {
            const addr = await rawCommand(port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.masterName], { timeoutMs: 1000 });
            const replicas = await rawCommand(port, ['SENTINEL', 'REPLICAS', this.masterName], { timeoutMs: 1000 });
            return { port, addr: showResp(addr.value), replicas: replicaSummary(replicas.value) };
          }),
        );
        const infos = await Promise.all(this.replicaPorts.map((p) => infoFields(p)));
        return { views, links: infos.map((i) => `${i.role} of ${i.master_port} ${i.master_link_status}`) };
      },
      {
        timeoutMs,
        intervalMs: 100,
        description: `every sentinel to name port ${this.masterPort} and list replicas ${want} as 'slave' with link ok`,
        until: ({ views, links }) =>
          views.every(
            (v) =>
              v.addr.includes(String(this.masterPort)) &&
              JSON.stringify(v.replicas.filter((r) => r.ok).map((r) => r.port).sort((a, b) => a - b)) === want &&
              v.replicas.length === this.replicaPorts.length,
          ) && links.every((l) => l === `slave of ${this.masterPort} up`),
      },
    );
  }

  /** Waits until every writer has written to the master since `since`; returns the ones that did not within `timeoutMs`. */
  async writersOnMaster(since: number, timeoutMs: number): Promise<Writer[]> {
    const behind = () =>
      this.writers.filter((w) => {
        w.poll();
        return !w.acks.some((a) => a.t >= since && a.port === this.masterPort);
      });
    try {
      await waitFor(() => behind().length === 0, { timeoutMs, intervalMs: 50, description: 'every client to write to the master' });
      return [];
    } catch {
      return behind();
    }
  }
}

function replicaSummary(v: RespValue): Array<{ port: number; ok: boolean }> {
  if (v.type !== 'array') return [];
  return v.items.map((item) => {
    const fields: Record<string, string> = {};
    if (item.type === 'array') {
      for (let i = 0; i + 1 < item.items.length; i += 2) {
        const k = item.items[i];
        const val = item.items[i + 1];
        if (k.type === 'bulk' && val.type === 'bulk') fields[k.value] = val.value;
      }
    }
    return { port: Number(fields.port), ok: fields.flags === 'slave' && fields['master-link-status'] === 'ok' };
  });
}

/** Runs the faults against one group; everything it started is gone when it returns or throws. */
export async function runMatrix(opts: MatrixOptions): Promise<MatrixRun> {
  const versions = externalToolVersions();
  const h = new Harness(`matrix-${opts.impl}-${opts.latencyMs}ms`);
  let group: MatrixGroup | undefined;
  try {
    const t = await startTunedTopology(h, {
      replicas: 2,
      sentinels: [opts.impl, opts.impl, opts.impl],
      quorum: 2,
      downAfterMs: DOWN_AFTER_MS,
      failoverTimeoutMs: FAILOVER_TIMEOUT_MS,
    });
    const g = new MatrixGroup(h, opts, t.masterName, t.sentinels.map((s) => s.port));
    group = g;
    for (const s of [t.master, ...t.replicas]) g.addServer(s);
    g.masterPort = t.master.port;

    const proxy = opts.latencyMs > 0 ? await startDelayProxy(h, { delayMs: opts.latencyMs, targets: g.sentinelPorts }) : undefined;
    const haproxy = await startHaproxy(h, [t.master.port, ...t.replicas.map((r) => r.port)]);
    g.collectors = await Promise.all(g.sentinelPorts.map((p) => h.events(p)));
    g.writers = startWriters(
      {
        h,
        masterName: t.masterName,
        sentinelPorts: proxy ? g.sentinelPorts.map((p) => proxy.portFor(p)) : g.sentinelPorts,
        addressMap: proxy ? proxyAddressMap(proxy) : undefined,
        haproxyPort: haproxy.port,
      },
      versions,
    );
    const notWriting = await g.writersOnMaster(Date.now(), 20_000);
    if (notWriting.length) throw new Error(`clients not writing at the start: ${notWriting.map((w) => `${w.id} (${w.describe()})`).join('; ')}`);

    const rounds: RoundResult[] = [];
    for (const [i, kind] of opts.faults.entries()) {
      rounds.push(await runRound(g, kind, i + 1));
    }
    return { writers: g.writers.map(({ id, client, version, mode }) => ({ id, client, version, mode })), rounds };
  } finally {
    await Promise.allSettled((group?.writers ?? []).map((w) => w.close()));
    await h.dispose();
  }
}

async function runRound(g: MatrixGroup, kind: FaultKind, round: number): Promise<RoundResult> {
  const oldPort = g.masterPort;
  const old = g.server(oldPort);
  const name = g.masterName;
  const faultAt = Date.now();
  if (kind === 'kill') old.kill('SIGKILL');
  else if (kind === 'stop') old.kill('SIGSTOP');
  else {
    const port = g.sentinelPorts[round % g.sentinelPorts.length];
    const reply = await rawCommand(port, ['SENTINEL', 'FAILOVER', name]);
    if (reply.value.type !== 'simple' || reply.value.value !== 'OK') throw new Error(`SENTINEL FAILOVER on ${port}: ${showResp(reply.value)}`);
  }

  const switchPrefix = `${name} 127.0.0.1 ${oldPort} `;
  const switches: SentinelEvent[] = await waitFor(
    () => {
      const seen = g.collectors.map((c) => c.find({ channel: '+switch-master', since: faultAt, message: new RegExp(`^${switchPrefix}`) }));
      return seen.every(Boolean) ? (seen as SentinelEvent[]) : undefined;
    },
    { timeoutMs: SWITCH_DEADLINE_MS, intervalMs: 10, description: `+switch-master from port ${oldPort} on every sentinel (${kind})` },
  ).catch(async (e: Error) => {
    if (kind === 'stop') old.kill('SIGCONT');
    throw e;
  }) as SentinelEvent[];
  const switchTimes = switches.map((e) => e.time).sort((a, b) => a - b);
  const lastSwitch = switchTimes[switchTimes.length - 1];
  const newPort = Number(switches[0].message.split(' ')[4]);
  if (kind === 'stop') {
    // Resumed a fixed time after the group switched, with either implementation, so that HAProxy's
    // checks have seen the hung master fail and the new one pass before the old one answers again.
    await waitFor(() => Date.now() >= lastSwitch + RESUME_AFTER_SWITCH_MS, {
      timeoutMs: RESUME_AFTER_SWITCH_MS + 1000,
      intervalMs: 20,
      description: 'the moment to resume the hung master',
    });
    old.kill('SIGCONT');
  }

  let demotedAt: number | undefined;
  if (kind !== 'kill') {
    const converted = await waitFor(
      () => {
        const all = g.collectors.flatMap((c) => c.all({ channel: '+convert-to-slave', since: faultAt, message: new RegExp(`^slave 127\\.0\\.0\\.1:${oldPort} `) }));
        return all.length ? Math.min(...all.map((e) => e.time)) : undefined;
      },
      { timeoutMs: SWITCH_DEADLINE_MS, intervalMs: 10, description: `+convert-to-slave of the old master on port ${oldPort}` },
    );
    demotedAt = converted;
  }
  const windowStart = Math.max(lastSwitch, demotedAt ?? 0);

  // Ends as soon as every client wrote to the new master, at the end of the stall window otherwise.
  const deadline = windowStart + STALL_MS + 100;
  await waitFor(
    () => {
      for (const w of g.writers) w.poll();
      return Date.now() >= deadline || g.writers.every((w) => w.acks.some((a) => a.t > faultAt && a.port !== oldPort));
    },
    { timeoutMs: Math.max(deadline - Date.now(), 0) + 2000, intervalMs: 20, description: 'the stall window to end' },
  );

  const outcomes: WriterOutcome[] = g.writers.map((w) => ({
    id: w.id,
    ...judge(w.acks, { faultAt, oldPort, windowStart }),
  }));
  for (const [i, w] of g.writers.entries()) if (outcomes[i].stalled) outcomes[i].detail = w.describe();

  g.masterPort = newPort;
  if (kind === 'kill') {
    g.addServer(await g.h.startRedis({ name: `server-${oldPort}`, port: oldPort, replicaOf: { port: newPort } }));
  }
  // A client that wrote to the new master and then stopped again also stalled.
  const settleFrom = Date.now();
  const stillBehind = await g.writersOnMaster(settleFrom, STALL_MS);
  for (const w of stillBehind) {
    const o = outcomes.find((x) => x.id === w.id)!;
    if (!o.stalled) Object.assign(o, { stalled: true, stallReason: 'stopped writing after the failover', detail: w.describe() });
  }
  const repairs = await g.waitForSteadyGroup(faultAt);
  // Every fault is a fresh trial: a client that stalled is replaced by a new one.
  for (const o of outcomes.filter((x) => x.stalled)) await g.writers.find((w) => w.id === o.id)!.restart();
  const lagging = await g.writersOnMaster(Date.now(), 20_000);
  if (lagging.length) {
    throw new Error(`after round ${round} (${kind}) these clients do not write to the master on port ${g.masterPort}, even restarted: ${lagging.map((w) => `${w.id} (${w.describe()})`).join('; ')}`);
  }

  const rel = (t: number) => t - faultAt;
  const result: RoundResult = {
    impl: g.opts.impl,
    latencyMs: g.opts.latencyMs,
    kind,
    round,
    oldPort,
    newPort,
    switchesMs: switchTimes.map(rel),
    demotedMs: demotedAt === undefined ? undefined : rel(demotedAt),
    windowStartMs: rel(windowStart),
    outcomes,
    repairs,
  };
  g.log(
    `round ${round} ${kind}: switches ${result.switchesMs.join('/')} ms${result.demotedMs !== undefined ? `, demoted ${result.demotedMs} ms` : ''}; ` +
      (repairs.length ? `REPAIRED ${repairs.join('; ')}; ` : '') +
      outcomes.map((o) => `${o.id} ${o.stalled ? `STALL(${o.stallReason})` : `${o.gapMs}ms`}${o.lostAcks ? ` lost=${o.lostAcks}` : ''}`).join(', '),
  );
  return result;
}

// ---- Summaries -------------------------------------------------------------

export interface CellStats {
  n: number;
  stalls: number;
  /** Gaps with a stall counted as infinite. */
  gaps: number[];
  medianGap: number;
  maxGap: number;
  /** Infinite when a fault stalled the client. */
  meanGap: number;
}

/** Per client and fault kind (and `all`): stalls and gaps. */
export function cellStats(rounds: readonly RoundResult[], id: string, kind: FaultKind | 'all'): CellStats {
  const outcomes = rounds.filter((r) => kind === 'all' || r.kind === kind).flatMap((r) => r.outcomes.filter((o) => o.id === id));
  const gaps = outcomes.map((o) => (o.stalled || o.gapMs === null ? Infinity : o.gapMs));
  return {
    n: outcomes.length,
    stalls: outcomes.filter((o) => o.stalled).length,
    gaps,
    medianGap: median(gaps),
    maxGap: gaps.length ? Math.max(...gaps) : NaN,
    meanGap: gaps.length ? Math.round(gaps.reduce((a, b) => a + b, 0) / gaps.length) : NaN,
  };
}

const ms = (x: number) => (Number.isFinite(x) ? String(Math.round(x)) : x === Infinity ? '∞' : '-');

/** A markdown table, ours next to redis-sentinel, one row per client and fault kind. */
export function comparisonTable(writers: readonly WriterInfo[], redis: readonly RoundResult[], ours: readonly RoundResult[], kinds: readonly FaultKind[]): string {
  const lines = [
    '| client | version | mode | fault | stalls redis-sentinel | stalls ours | median gap redis-sentinel | median gap ours | max gap redis-sentinel | max gap ours |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const w of writers) {
    for (const kind of kinds) {
      const r = cellStats(redis, w.id, kind);
      const o = cellStats(ours, w.id, kind);
      lines.push(
        `| ${w.client} | ${w.version} | ${w.mode} | ${kind} | ${r.stalls}/${r.n} | ${o.stalls}/${o.n} | ${ms(r.medianGap)} | ${ms(o.medianGap)} | ${ms(r.maxGap)} | ${ms(o.maxGap)} |`,
      );
    }
  }
  return lines.join('\n');
}

/** The faults for `perKind` rounds of each kind, interleaved (kill, stop, manual, kill, ...). */
export function faultSequence(perKind: number): FaultKind[] {
  return Array.from({ length: perKind }, () => [...FAULT_KINDS]).flat();
}
