import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SentinelEvent } from '../core/events.js';
import type { ProxyStatus } from '../proxy/proxies.js';
import type { MasterDetails, SentinelSnapshot } from './sentinel-view.js';

/**
 * Beyond Redis: the metrics behind GET /metrics. The `redis_sentinel_*` families are the ones
 * redis_exporter derives from INFO and SENTINEL MASTERS/REPLICAS/SENTINELS/CKQUORUM, under its
 * names and labels, so dashboards and alerts built on it work unchanged; they are read from the
 * sentinel at each scrape. The `sentinel_*` families count what only the sentinel itself sees
 * (failovers, elections, TILT, scripts, config writes), from its events.
 */
export class SentinelMetrics {
  readonly registry = new Registry();
  private snapshot: SentinelSnapshot | null = null;

  private readonly failoversStarted: Counter<'master_name'>;
  private readonly failoversSucceeded: Counter<'master_name'>;
  private readonly failoversAborted: Counter<'master_name' | 'reason'>;
  private readonly failoverDuration: Histogram<'master_name'>;
  private readonly switches: Counter<'master_name'>;
  private readonly electionsWon: Counter<'master_name'>;
  private readonly votes: Counter<'master_name'>;
  private readonly tilts: Counter;
  private readonly tiltSeconds: Counter;
  private readonly scriptRuns: Counter;
  private readonly scriptFailures: Counter<'reason'>;
  private readonly configFlush: Histogram;
  private readonly failoverStartedAt = new Map<string, number>();
  /** In TILT: up to when its time is counted in sentinel_tilt_seconds_total; null otherwise. */
  private tiltAccountedTo: number | null = null;

  constructor(private readonly read: () => SentinelSnapshot) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.exporterFamilies();

    this.failoversStarted = new Counter({ name: 'sentinel_failovers_started_total', help: 'Failovers this sentinel started as leader (+try-failover)', labelNames: ['master_name'], registers });
    this.failoversSucceeded = new Counter({ name: 'sentinel_failovers_succeeded_total', help: 'Failovers this sentinel led to the end (+failover-end)', labelNames: ['master_name'], registers });
    this.failoversAborted = new Counter({ name: 'sentinel_failovers_aborted_total', help: 'Failovers aborted, by reason (-failover-abort-<reason>)', labelNames: ['master_name', 'reason'], registers });
    this.failoverDuration = new Histogram({
      name: 'sentinel_failover_duration_seconds',
      help: 'From +try-failover to +failover-end, for the failovers this sentinel led',
      labelNames: ['master_name'],
      buckets: [0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120, 300],
      registers,
    });
    this.switches = new Counter({ name: 'sentinel_master_switches_total', help: 'Master address changes seen (+switch-master), whoever led them', labelNames: ['master_name'], registers });
    this.electionsWon = new Counter({ name: 'sentinel_elections_won_total', help: 'Elections this sentinel won (+elected-leader)', labelNames: ['master_name'], registers });
    this.votes = new Counter({ name: 'sentinel_votes_total', help: 'Votes this sentinel saw cast for a failover leader (+vote-for-leader)', labelNames: ['master_name'], registers });
    this.tilts = new Counter({ name: 'sentinel_tilt_total', help: 'Times TILT mode was entered', registers });
    const metrics = this;
    this.tiltSeconds = new Counter({
      name: 'sentinel_tilt_seconds_total',
      help: 'Time spent in TILT mode, the current one included',
      registers,
      collect() {
        metrics.accountTilt(Date.now());
      },
    });
    this.scriptRuns = new Counter({ name: 'sentinel_script_runs_total', help: 'Notification and reconfiguration scripts that ran to their end', registers });
    this.scriptFailures = new Counter({ name: 'sentinel_script_failures_total', help: 'Scripts that failed, by reason', labelNames: ['reason'], registers });
    this.configFlush = new Histogram({
      name: 'sentinel_config_flush_duration_seconds',
      help: 'Config rewrites: read, render, write, fsync and rename',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    });
    new Gauge({
      name: 'sentinel_link_ping_rtt_seconds',
      help: 'Round trip of the last PING answered on each link (masters, replicas, sentinels)',
      labelNames: ['master_name', 'role', 'address'],
      registers,
      collect() {
        this.reset();
        for (const l of metrics.current().links) {
          if (l.rttMs >= 0) this.set({ master_name: l.master, role: l.role, address: l.address }, l.rttMs / 1000);
        }
      },
    });
    this.proxyFamilies();
    new Gauge({
      name: 'sentinel_current_epoch',
      help: "The sentinel's current epoch",
      registers,
      collect() {
        this.set(Number(metrics.current().currentEpoch));
      },
    });
  }

  /** The families redis_exporter exports for a sentinel, filled from one snapshot per scrape. */
  private exporterFamilies(): void {
    const registers = [this.registry];
    const master = ['master_name', 'master_address'] as const;
    const families: Array<{ name: string; help: string; labels: readonly string[]; fill: (g: Gauge<string>, s: SentinelSnapshot) => void }> = [
      { name: 'sentinel_masters', help: 'The number of masters this sentinel is watching', labels: [], fill: (g, s) => g.set(s.masters.length) },
      { name: 'sentinel_tilt', help: 'Sentinel is in TILT mode', labels: [], fill: (g, s) => g.set(s.tilt ? 1 : 0) },
      { name: 'sentinel_running_scripts', help: 'Number of scripts in execution right now', labels: [], fill: (g, s) => g.set(s.runningScripts) },
      { name: 'sentinel_scripts_queue_length', help: 'Queue of user scripts to execute', labels: [], fill: (g, s) => g.set(s.queuedScripts) },
      { name: 'sentinel_simulate_failure_flags', help: 'Failures simulations', labels: [], fill: (g, s) => g.set(s.simulateFailureFlags) },
      {
        name: 'sentinel_master_status',
        help: 'Master status on Sentinel',
        labels: [...master, 'master_status'],
        fill: (g, s) => each(s, (m, l) => g.set({ ...l, master_status: m.status }, m.status === 'ok' ? 1 : 0)),
      },
      { name: 'sentinel_master_slaves', help: 'The number of slaves of the master', labels: master, fill: (g, s) => each(s, (m, l) => g.set(l, m.replicas.length)) },
      { name: 'sentinel_master_sentinels', help: 'The number of sentinels monitoring this master', labels: master, fill: (g, s) => each(s, (m, l) => g.set(l, m.sentinels.length + 1)) },
      { name: 'sentinel_master_ok_slaves', help: 'The number of okay slaves of the master', labels: master, fill: (g, s) => each(s, (m, l) => g.set(l, m.replicas.filter(okFlags).length)) },
      {
        name: 'sentinel_master_ok_sentinels',
        help: 'The number of okay sentinels monitoring this master',
        labels: master,
        fill: (g, s) => each(s, (m, l) => g.set(l, m.sentinels.filter(okFlags).length + 1)),
      },
      {
        name: 'sentinel_master_ckquorum_status',
        help: 'Master ckquorum status',
        labels: ['master_name', 'message'],
        fill: (g, s) => each(s, (m) => g.set({ master_name: m.name, message: m.ckquorum.message }, m.ckquorum.ok ? 1 : 0)),
      },
      { name: 'sentinel_master_setting_ckquorum', help: 'Show the current ckquorum config for each master', labels: master, fill: (g, s) => each(s, (m, l) => g.set(l, num(m.fields.quorum))) },
      {
        name: 'sentinel_master_setting_failover_timeout',
        help: 'Show the current failover-timeout config for each master',
        labels: master,
        fill: (g, s) => each(s, (m, l) => g.set(l, num(m.fields['failover-timeout']))),
      },
      {
        name: 'sentinel_master_setting_parallel_syncs',
        help: 'Show the current parallel-syncs config for each master',
        labels: master,
        fill: (g, s) => each(s, (m, l) => g.set(l, num(m.fields['parallel-syncs']))),
      },
      {
        name: 'sentinel_master_setting_down_after_milliseconds',
        help: 'Show the current down-after-milliseconds config for each master',
        labels: master,
        fill: (g, s) => each(s, (m, l) => g.set(l, num(m.fields['down-after-milliseconds']))),
      },
      { name: 'sentinel_master_config_epoch', help: 'Get the config epoch for this master', labels: master, fill: (g, s) => each(s, (m, l) => g.set(l, num(m.fields['config-epoch']))) },
      {
        name: 'sentinel_master_last_ok_ping_reply_seconds',
        help: 'Seconds since the last ok ping reply from the master',
        labels: master,
        fill: (g, s) => each(s, (m, l) => g.set(l, num(m.fields['last-ok-ping-reply']) / 1000)),
      },
    ];
    const metrics = this;
    for (const f of families) {
      new Gauge({
        name: `redis_${f.name}`,
        help: f.help,
        labelNames: [...f.labels],
        registers,
        collect() {
          this.reset();
          f.fill(this, metrics.current());
        },
      });
    }
  }

  /** The built-in proxies (`sentinel proxy-port`): where each routes, its connections and bytes. */
  private proxyFamilies(): void {
    const registers = [this.registry];
    const metrics = this;
    const labels = ['master_name', 'role'] as const;
    const counters: Array<{ name: string; help: string; value: (p: ProxyStatus) => number }> = [
      { name: 'sentinel_proxy_connections_total', help: 'Client connections the proxy routed to a node', value: (p) => p.counters.accepted },
      { name: 'sentinel_proxy_refused_total', help: 'Client connections closed after waiting for a route (failover) too long', value: (p) => p.counters.refused },
      { name: 'sentinel_proxy_sessions_cut_total', help: 'Sessions cut because their node stopped being the route', value: (p) => p.counters.closedOnSwitch },
      { name: 'sentinel_proxy_route_changes_total', help: 'Times the nodes the proxy routes to changed', value: (p) => p.routeChanges },
    ];
    for (const c of counters) {
      new Counter({
        name: c.name,
        help: c.help,
        labelNames: labels,
        registers,
        collect() {
          this.reset();
          for (const p of metrics.current().proxies) this.inc({ master_name: p.master, role: p.role }, c.value(p));
        },
      });
    }
    new Counter({
      name: 'sentinel_proxy_bytes_total',
      help: 'Bytes the proxy passed, by direction',
      labelNames: [...labels, 'direction'],
      registers,
      collect() {
        this.reset();
        for (const p of metrics.current().proxies) {
          this.inc({ master_name: p.master, role: p.role, direction: 'to_server' }, p.counters.bytesToServer);
          this.inc({ master_name: p.master, role: p.role, direction: 'to_client' }, p.counters.bytesToClient);
        }
      },
    });
    new Gauge({
      name: 'sentinel_proxy_open_connections',
      help: 'Sessions open through the proxy',
      labelNames: labels,
      registers,
      collect() {
        this.reset();
        for (const p of metrics.current().proxies) this.set({ master_name: p.master, role: p.role }, p.openSessions);
      },
    });
    new Gauge({
      name: 'sentinel_proxy_route',
      help: 'The nodes the proxy routes new connections to (1 each); none while they are held',
      labelNames: [...labels, 'address'],
      registers,
      collect() {
        this.reset();
        for (const p of metrics.current().proxies) for (const address of p.targets) this.set({ master_name: p.master, role: p.role, address }, 1);
      },
    });
  }

  /** One snapshot per scrape, shared by every family: taken by the first family collected. */
  private current(): SentinelSnapshot {
    this.snapshot ??= this.read();
    return this.snapshot;
  }

  async render(): Promise<string> {
    this.snapshot = null;
    try {
      return await this.registry.metrics();
    } finally {
      this.snapshot = null;
    }
  }

  observeEvent(e: SentinelEvent, nowMs: number): void {
    const master = e.masterName ?? '';
    switch (e.type) {
      case '+try-failover':
        this.failoversStarted.inc({ master_name: master });
        this.failoverStartedAt.set(master, nowMs);
        break;
      case '+failover-end': {
        this.failoversSucceeded.inc({ master_name: master });
        const began = this.failoverStartedAt.get(master);
        if (began !== undefined) this.failoverDuration.observe({ master_name: master }, (nowMs - began) / 1000);
        this.failoverStartedAt.delete(master);
        break;
      }
      case '+switch-master':
        this.switches.inc({ master_name: e.message.split(' ')[0] ?? '' });
        break;
      case '+elected-leader':
        this.electionsWon.inc({ master_name: master });
        break;
      case '+vote-for-leader':
        this.votes.inc({ master_name: master });
        break;
      case '+tilt':
        this.tilts.inc();
        this.tiltAccountedTo = nowMs;
        break;
      case '-tilt':
        this.accountTilt(nowMs);
        this.tiltAccountedTo = null;
        break;
      case '-script-child':
        this.scriptRuns.inc();
        break;
      case '-script-error':
      case '-script-timeout':
        this.scriptFailures.inc({ reason: e.type.slice('-script-'.length) });
        break;
      default:
        if (e.type.startsWith('-failover-abort-')) {
          this.failoversAborted.inc({ master_name: master, reason: e.type.slice('-failover-abort-'.length) });
          this.failoverStartedAt.delete(master);
        }
    }
  }

  private accountTilt(nowMs: number): void {
    if (this.tiltAccountedTo === null || nowMs <= this.tiltAccountedTo) return;
    this.tiltSeconds.inc((nowMs - this.tiltAccountedTo) / 1000);
    this.tiltAccountedTo = nowMs;
  }

  observeConfigFlush(seconds: number): void {
    this.configFlush.observe(seconds);
  }
}

function each(s: SentinelSnapshot, set: (m: MasterDetails, labels: { master_name: string; master_address: string }) => void): void {
  for (const m of s.masters) set(m, { master_name: m.name, master_address: `${m.fields.ip}:${m.fields.port}` });
}

/** Not SDOWN nor ODOWN, as redis_exporter counts them. */
function okFlags(instance: Record<string, string>): boolean {
  const flags = instance.flags ?? '';
  return !flags.includes('s_down') && !flags.includes('o_down');
}

function num(text: string | undefined): number {
  const n = Number(text);
  return Number.isFinite(n) ? n : 0;
}
