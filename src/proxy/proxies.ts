import { availableParallelism } from 'node:os';
import type { ConnectionOptions, TlsOptions } from 'node:tls';
import { lookupDirective } from '../config/directives.js';
import { directiveValue, type ServerOptions } from '../config/server-options.js';
import type { MasterConfig } from '../core/persisted.js';
import type { ProxyRoute } from '../core/proxy-route.js';
import { PipeWorkers } from './pipe-workers.js';
import { TcpProxy, type ProxyCounters } from './tcp-proxy.js';

/** The listeners the masters' `sentinel proxy-port` / `proxy-replicas-port` lines ask for. */
export function proxySpecs(masters: readonly MasterConfig[]): ProxySpec[] {
  return masters.flatMap((m): ProxySpec[] => [
    ...(m.proxyPort !== 0 ? [{ master: m.name, role: 'master' as const, port: m.proxyPort }] : []),
    ...(m.proxyReplicasPort !== 0 ? [{ master: m.name, role: 'replicas' as const, port: m.proxyReplicasPort }] : []),
  ]);
}

export function proxyTlsWanted(server: ServerOptions): boolean {
  return directiveValue(lookupDirective('proxy-tls')!, server) as boolean;
}

/** The client side's TLS options when `proxy-tls yes`, null without it, or an error text. */
export function proxyTls(server: ServerOptions, tls: { server: TlsOptions } | null): TlsOptions | null | string {
  if (!proxyTlsWanted(server)) return null;
  return tls?.server ?? 'proxy-tls yes needs the TLS settings of the RESP port (tls-cert-file, tls-key-file).';
}

/** One listener: the master's (read-write) or its replicas' (read-only). */
export interface ProxySpec {
  master: string;
  role: 'master' | 'replicas';
  port: number;
}

export interface ProxyDeps {
  masterRoute: (master: string) => ProxyRoute;
  replicaRoutes: (master: string) => Array<{ host: string; port: number }>;
  bind: string[];
  /** The client side's TLS (`proxy-tls yes`). */
  tls?: TlsOptions;
  /** The Redis side's TLS, as the sentinel's own links use it (`tls-replication yes`). */
  upstreamTls?: ConnectionOptions;
  /** How long a new connection may wait for a route (a failover under way) before it is closed. */
  holdMs: number;
  log: (level: 'verbose' | 'notice' | 'warning', message: string) => void;
}

export interface ProxyStatus extends ProxySpec {
  /** `host:port` of each node new connections go to now; empty while they are held. */
  targets: string[];
  /** Why new connections are held, when they are. */
  held: string | null;
  openSessions: number;
  routeChanges: number;
  counters: ProxyCounters;
}

class RoutedProxy {
  readonly proxy: TcpProxy;
  targets: string[] = [];
  held: string | null = null;
  routeChanges = 0;
  private next = 0;
  private first = true;

  constructor(
    readonly spec: ProxySpec,
    private readonly deps: ProxyDeps,
    workers: PipeWorkers,
  ) {
    this.proxy = new TcpProxy({
      workers,
      port: spec.port,
      bind: deps.bind,
      tls: deps.tls,
      upstreamTls: deps.upstreamTls,
      holdMs: deps.holdMs,
      label: `${spec.role} ${spec.master}`,
      log: deps.log,
      route: () => this.pick(),
      keeps: (target) => this.targets.includes(target),
    });
  }

  /** Reads the routes again, logs a change, then cuts what may no longer be used. */
  recheck(): void {
    if (this.refresh()) this.proxy.recheck();
  }

  /** True when the targets changed. */
  private refresh(): boolean {
    let targets: string[];
    let held: string | null = null;
    if (this.spec.role === 'master') {
      const route = this.deps.masterRoute(this.spec.master);
      if ('host' in route) targets = [`${route.host}:${route.port}`];
      else {
        targets = [];
        held = route.hold;
      }
    } else {
      targets = this.deps.replicaRoutes(this.spec.master).map((r) => `${r.host}:${r.port}`);
      if (targets.length === 0) held = 'no healthy replica';
    }
    const changed = this.first || targets.join(' ') !== this.targets.join(' ');
    const from = this.targets;
    this.targets = targets;
    this.held = held;
    if (changed) {
      if (!this.first) this.routeChanges++;
      const to = targets.length > 0 ? targets.join(' ') : `none (${held})`;
      this.deps.log('notice', `+proxy-route ${this.spec.role} ${this.spec.master} ${from.join(' ') || 'none'} -> ${to}`);
    }
    this.first = false;
    return changed;
  }

  private pick(): ProxyRoute {
    if (this.targets.length === 0) return { hold: this.held ?? 'no route' };
    const target = this.targets[this.next++ % this.targets.length];
    const colon = target.lastIndexOf(':');
    return { host: target.slice(0, colon), port: Number(target.slice(colon + 1)) };
  }
}

/**
 * Beyond Redis: the proxies of every master that has `sentinel proxy-port` (and
 * `proxy-replicas-port`). The daemon calls `recheck()` after every step that may have moved a
 * master (events, ticks); a proxy whose routes changed cuts its sessions to the old nodes.
 */
export class Proxies {
  private readonly proxies: RoutedProxy[];
  private readonly workers: PipeWorkers;

  constructor(specs: ProxySpec[], deps: ProxyDeps) {
    this.workers = new PipeWorkers(availableParallelism(), (level, message) => deps.log(level, message));
    this.proxies = specs.map((spec) => new RoutedProxy(spec, deps, this.workers));
  }

  get size(): number {
    return this.proxies.length;
  }

  /** Opens every listener, then logs where each routes. */
  async listen(): Promise<void> {
    this.workers.start();
    for (const p of this.proxies) await p.proxy.listen();
    this.recheck();
  }

  recheck(): void {
    for (const p of this.proxies) p.recheck();
  }

  status(): ProxyStatus[] {
    return this.proxies.map((p) => ({
      ...p.spec,
      targets: [...p.targets],
      held: p.held,
      openSessions: p.proxy.openSessions,
      routeChanges: p.routeChanges,
      counters: { ...p.proxy.counters },
    }));
  }

  async close(): Promise<void> {
    await Promise.all(this.proxies.map((p) => p.proxy.close()));
    this.workers.close();
  }
}
