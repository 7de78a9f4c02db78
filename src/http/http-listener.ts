import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TlsOptions } from 'node:tls';
import { lookupDirective } from '../config/directives.js';
import { directiveValue, type ServerOptions } from '../config/server-options.js';
import type { LogLevel, SentinelEvent } from '../core/events.js';
import { FailoverTimeline } from './failover-timeline.js';
import { STATUS_PAGE } from './status-page.js';
import { SentinelMetrics } from './metrics.js';
import type { ProxyStatus } from '../proxy/proxies.js';
import { takeSnapshot, type MasterDetails, type SentinelView } from './sentinel-view.js';

export interface HttpOptions {
  port: number;
  bind: string;
  /** Bearer token every request but the health probes must carry; null for none. */
  token: string | null;
  /** The RESP port's TLS settings, when http-tls is on. */
  tls: TlsOptions | null;
}

/**
 * The listener's settings from the config (`http-port`, `http-bind`, `http-token`, `http-tls`):
 * null when it is off, an error text when it cannot be set up.
 */
export function httpOptions(server: ServerOptions, tls: { server: TlsOptions } | null): HttpOptions | null | string {
  const value = (name: string) => directiveValue(lookupDirective(name)!, server);
  const port = Number(value('http-port') as bigint);
  if (port === 0) return null;
  const wantsTls = value('http-tls') as boolean;
  if (wantsTls && tls === null) return 'http-tls yes needs the TLS settings of the RESP port (tls-cert-file, tls-key-file).';
  return { port, bind: value('http-bind') as string, token: value('http-token') as string | null, tls: wantsTls && tls ? tls.server : null };
}

/** An event stream client that lets this much go unread is dropped, as an unread subscriber is. */
const EVENT_STREAM_BACKLOG_LIMIT = 1024 * 1024;
const KEEPALIVE_MS = 15_000;

/**
 * Beyond Redis: the opt-in HTTP listener (`http-port`). GET / (the status page), /metrics (Prometheus),
 * /v1/masters and /v1/masters/{name} (JSON), /v1/events (every event as Server-Sent
 * Events), /healthz and /readyz (for probes). Read-only: nothing here changes the sentinel.
 */
export class HttpListener {
  readonly metrics: SentinelMetrics;
  readonly timeline = new FailoverTimeline();
  private readonly server: Server;
  private readonly streams = new Set<ServerResponse>();
  private keepalive: NodeJS.Timeout | null = null;
  private eventId = 0;

  constructor(
    private readonly opts: HttpOptions,
    private readonly view: SentinelView,
    private readonly log: (level: LogLevel, message: string) => void,
  ) {
    this.metrics = new SentinelMetrics(() => takeSnapshot(view));
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    this.server = opts.tls ? createHttpsServer(opts.tls, handler) : createServer(handler);
    this.server.on('clientError', (_e, socket) => socket.destroy());
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ port: this.opts.port, host: this.opts.bind }, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.keepalive = setInterval(() => this.broadcast(': keepalive\n\n'), KEEPALIVE_MS);
    this.keepalive.unref();
    this.log('notice', `HTTP listener on ${this.opts.tls ? 'https' : 'http'}://${this.opts.bind}:${this.port}/ (metrics, status, events)`);
  }

  get port(): number {
    const a = this.server.address();
    return a !== null && typeof a === 'object' ? a.port : this.opts.port;
  }

  /** Every event, as the log and the pub/sub channels get it. */
  event(e: SentinelEvent, now: number): void {
    this.metrics.observeEvent(e, now);
    this.timeline.observe(e, now);
    if (e.level === 'debug' || this.streams.size === 0) return;
    const data = JSON.stringify({ time: new Date(now).toISOString(), level: e.level, type: e.type, message: e.message, master: e.masterName });
    this.broadcast(`id: ${++this.eventId}\nevent: sentinel\ndata: ${data}\n\n`);
  }

  async close(): Promise<void> {
    if (this.keepalive) clearInterval(this.keepalive);
    for (const s of this.streams) s.destroy();
    this.streams.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private broadcast(chunk: string): void {
    for (const res of this.streams) {
      if (res.socket !== null && res.socket.writableLength > EVENT_STREAM_BACKLOG_LIMIT) {
        this.streams.delete(res);
        res.destroy();
        continue;
      }
      res.write(chunk);
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'Method Not Allowed\n', { Allow: 'GET, HEAD' });
      if (path === '/healthz') return send(res, 200, 'text/plain', 'ok\n');
      if (path === '/readyz') return this.view.ready() ? send(res, 200, 'text/plain', 'ready\n') : send(res, 503, 'text/plain', 'not ready\n');
      if (!this.authorized(req, url)) return send(res, 401, 'text/plain', 'Unauthorized\n', { 'WWW-Authenticate': 'Bearer' });
      if (path === '/') return send(res, 200, 'text/html; charset=utf-8', STATUS_PAGE);
      if (path === '/metrics') return send(res, 200, this.metrics.registry.contentType, await this.metrics.render());
      if (path === '/v1/masters') {
        const snapshot = takeSnapshot(this.view);
        return json(res, 200, snapshot.masters.map((m) => this.masterJson(m, snapshot.proxies)));
      }
      const one = /^\/v1\/masters\/([^/]+)$/.exec(path);
      if (one) {
        const name = decodeURIComponent(one[1]);
        const snapshot = takeSnapshot(this.view);
        const m = snapshot.masters.find((x) => x.name === name);
        return m ? json(res, 200, this.masterJson(m, snapshot.proxies)) : json(res, 404, { error: 'No such master with that name' });
      }
      if (path === '/v1/events') return this.openStream(res);
      return send(res, 404, 'text/plain', 'Not Found\n');
    } catch (e) {
      this.log('warning', `HTTP ${req.method} ${path}: ${e instanceof Error ? e.message : String(e)}`);
      if (!res.headersSent) send(res, 500, 'text/plain', 'Internal Server Error\n');
      else res.destroy();
    }
  }

  /** The bearer token, or `?token=` (the status page's EventSource cannot send headers). */
  private authorized(req: IncomingMessage, url: URL): boolean {
    if (this.opts.token === null) return true;
    const expected = Buffer.from(this.opts.token);
    const header = req.headers.authorization ?? '';
    const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : (url.searchParams.get('token') ?? ''));
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private openStream(res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    res.write(': sentinel events\n\n');
    this.streams.add(res);
    res.on('close', () => this.streams.delete(res));
  }

  private masterJson(m: MasterDetails, proxies: readonly ProxyStatus[]): object {
    const f = m.fields;
    return {
      name: m.name,
      status: m.status,
      address: { ip: f.ip, port: Number(f.port) },
      flags: (f.flags ?? '').split(','),
      runId: f.runid ?? '',
      quorum: Number(f.quorum),
      epochs: { config: f['config-epoch'], leader: f['leader-epoch'] ?? null },
      failover: f['failover-state'] ? { state: f['failover-state'], leader: f['leader'] ?? null } : null,
      ckquorum: m.ckquorum,
      replicas: m.replicas.map(replicaJson),
      sentinels: m.sentinels.map(sentinelJson),
      lastFailovers: this.timeline.of(m.name),
      proxies: proxies
        .filter((p) => p.master === m.name)
        .map((p) => ({ role: p.role, port: p.port, routesTo: p.targets, held: p.held, openSessions: p.openSessions, routeChanges: p.routeChanges, ...p.counters })),
      fields: f,
    };
  }
}

function replicaJson(r: Record<string, string>): object {
  return {
    ip: r.ip,
    port: Number(r.port),
    flags: (r.flags ?? '').split(','),
    linkPendingCommands: Number(r['link-pending-commands']),
    lastOkPingReplyMs: Number(r['last-ok-ping-reply']),
    masterLinkStatus: r['master-link-status'],
    priority: Number(r['slave-priority']),
    offset: Number(r['slave-repl-offset']),
  };
}

function sentinelJson(s: Record<string, string>): object {
  return {
    ip: s.ip,
    port: Number(s.port),
    runId: s.runid,
    flags: (s.flags ?? '').split(','),
    lastOkPingReplyMs: Number(s['last-ok-ping-reply']),
    lastHelloMessageMs: Number(s['last-hello-message']),
    votedLeader: s['voted-leader'] ?? null,
  };
}

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function json(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json', `${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
}
