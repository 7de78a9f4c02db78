/**
 * The latency of `SENTINEL GET-MASTER-ADDR-BY-NAME` on every sentinel of
 * 1 master + 2 replicas + 3 sentinels (quorum 2) through a whole failover
 * after kill -9 of the master: from before the kill until every sentinel has
 * switched, plus a tail. The probe runs first against the sentinels idle
 * (nothing failing), which shows what the probe and the machine add by
 * themselves.
 */
import { AnswerProbe, latencyFigures, type AnswerSample, type LatencyFigures } from './answer-probe.js';
import { percentile } from './stats.js';
import { Harness } from './harness.js';
import type { SentinelImpl } from './sentinel.js';
import { startTopology, waitForDiscovery } from './topology.js';

export interface AnswerRunOptions {
  impl: SentinelImpl;
  label: string;
  sentinelArgs?: string[];
  downAfterMs?: number;
  /** How long the probe runs before the kill (the idle baseline). */
  idleMs?: number;
  /** How long the probe keeps running after the last +switch-master. */
  tailMs?: number;
  intervalMs?: number;
}

export interface SentinelAnswers {
  port: number;
  role: 'leader' | 'follower';
  idle: LatencyFigures;
  failover: LatencyFigures;
  /** The slowest request of the failover window, ms after the kill. */
  maxAfterKillMs: number;
}

export interface AnswerRun {
  label: string;
  sentinels: SentinelAnswers[];
  /** From the kill to the last +switch-master, ms. */
  switchedAfterMs: number;
  /** How late the probe's timers fired: p99 and max, ms. */
  probeLag: { p99: number; max: number };
  /** Every sentinel's samples, for a closer look. */
  samples: Map<number, AnswerSample[]>;
  killedAt: number;
}

const FAILOVER_DEADLINE_MS = 30_000;

export async function measureAnswersThroughFailover(opts: AnswerRunOptions): Promise<AnswerRun> {
  const downAfterMs = opts.downAfterMs ?? 1000;
  const h = new Harness(`answers-${opts.impl}`);
  try {
    const t = await startTopology(h, {
      replicas: 2,
      sentinels: [opts.impl, opts.impl, opts.impl],
      quorum: 2,
      downAfterMs,
      failoverTimeoutMs: 30_000,
      sentinelArgs: opts.sentinelArgs,
    });
    await waitForDiscovery(h, t, 30_000);
    const collectors = await Promise.all(t.sentinels.map((s) => h.events(s.port)));
    const ports = t.sentinels.map((s) => s.port);

    const probe = AnswerProbe.start(ports, t.masterName, opts.intervalMs ?? 2);
    await new Promise((r) => setTimeout(r, opts.idleMs ?? 1000));
    const killedAt = Date.now();
    await t.master.kill('SIGKILL');
    let result;
    try {
      await Promise.all(collectors.map((c) => c.waitFor({ channel: '+switch-master', since: killedAt }, FAILOVER_DEADLINE_MS)));
    } finally {
      await new Promise((r) => setTimeout(r, opts.tailMs ?? 1000));
      result = await probe.stop();
    }
    const switchedAfterMs = Math.max(...collectors.map((c) => c.find({ channel: '+switch-master', since: killedAt })!.time)) - killedAt;
    const sentinels = ports.map((port, i): SentinelAnswers => {
      const all = result.samples.get(port) ?? [];
      const failover = latencyFigures(all.filter((s) => s.at >= killedAt));
      return {
        port,
        role: collectors[i].find({ channel: '+elected-leader', since: killedAt }) ? 'leader' : 'follower',
        idle: latencyFigures(all.filter((s) => s.at < killedAt)),
        failover,
        maxAfterKillMs: failover.maxAt - killedAt,
      };
    });
    return {
      label: opts.label,
      sentinels,
      switchedAfterMs,
      probeLag: { p99: percentile(result.probeLagMs, 99), max: Math.max(...result.probeLagMs) },
      samples: result.samples,
      killedAt,
    };
  } finally {
    await h.dispose();
  }
}

/** One table row per sentinel: idle and failover figures. */
export function answerRows(run: AnswerRun): string[] {
  const f = (x: number) => x.toFixed(2);
  return run.sentinels.map(
    (s, i) =>
      `| ${run.label} | ${i + 1} (${s.role}) | ${f(s.idle.p50)} / ${f(s.idle.p99)} / ${f(s.idle.max)} | ${f(s.failover.p50)} / ${f(s.failover.p99)} / ${f(s.failover.max)} (at +${s.maxAfterKillMs} ms) | ${s.failover.count} |`,
  );
}

export const ANSWER_TABLE_HEADER = [
  '| sentinels | sentinel | idle p50 / p99 / max | failover p50 / p99 / max | requests |',
  '|---|---|---|---|---|',
];
