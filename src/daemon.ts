import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { flushConfigFile } from './config/atomic-write.js';
import { strerror } from './config/strerror.js';
import { ConfigRenderer } from './config/rewrite-off-thread.js';
import type { RewriteDefaults } from './config/rewrite.js';
import { STATE_FILE_MODE } from './config/state-file.js';
import type { LoadedConfig } from './config/load.js';
import type { SentinelConfig } from './config/model.js';
import { clientLimits } from './config/server-options.js';
import type { Action } from './core/actions.js';
import { PersistGate } from './core/persist-gate.js';
import { toConfig } from './core/snapshot.js';
import { linkLatencies, masterNames, sentinelInfo, switchoverOutcome } from './core/operations.js';
import { Sentinel, type Input, type InputBody, type StepOutput } from './core/sentinel.js';
import type { StepContext } from './core/step-context.js';
import type { Timings, Tuning } from './core/timing.js';
import { EventPublisher } from './events/event-publisher.js';
import { logLineText } from './events/log-line.js';
import type { Logger } from './events/log.js';
import { LinkManager } from './links/link-manager.js';
import { BlockingLookup } from './links/blocking-lookup.js';
import { HostResolver } from './links/resolver.js';
import type { Reply } from './resp/reply.js';
import {
  awaitedSwitchover,
  FLUSH_FAILED_REPLY,
  OK_IF_FLUSHED,
  repliesWithVote,
  sentinelCommand,
  switchoverOutcomeReply,
  type CommandEnvironment,
} from './server/commands/sentinel-subcommands.js';
import { clientsWithinOpenFiles, readOpenFilesLimit, type ClientsWithinLimit } from './server/open-files.js';
import { SentinelServer } from './server/server.js';
import { HttpListener, httpOptions } from './http/http-listener.js';
import { masterRoute, replicaRoutes } from './core/proxy-route.js';
import { proxySpecs, proxyTls, proxyTlsWanted, Proxies } from './proxy/proxies.js';
import { buildTls, TlsConfigError, tlsWanted, type TlsSetup } from './server/tls-context.js';
import type { SentinelHooks } from './server/sentinel-hooks.js';
import { NOT_SUPERVISED, type Supervision } from './supervision/supervise.js';

export interface DaemonOptions {
  config: LoadedConfig;
  configPath: string;
  logger: Logger;
  executable: string;
  /** Hostname lookups (used when resolve-hostnames is on); default: a HostResolver of its own. */
  resolver?: HostResolver;
  timings?: Partial<Timings>;
  tuning?: Tuning;
  /** What the `supervised` setting came to; not supervised unless told. */
  supervision?: Supervision;
}

/**
 * The running sentinel: the core, the links it drives, the 26379 server, the
 * log and the config file. The only place that owns real time.
 */
export class Daemon {
  readonly sentinel: Sentinel;
  private readonly server: SentinelServer;
  private readonly links: LinkManager;
  private readonly resolver: HostResolver;
  private readonly publisher: EventPublisher;
  /** Holds what the core asks for behind its config writes (persist before send). */
  private readonly gate: PersistGate;
  /** Renders rewritten configs, off the event loop when they are big. */
  private readonly renderer = new ConfigRenderer();
  private timer: NodeJS.Timeout | null = null;
  private stopping = false;
  /** What is wrong with the tls-* settings, reported at start as Redis does. */
  private readonly tlsError: string | null = null;
  private readonly openFiles: ClientsWithinLimit;
  /** Beyond Redis: the HTTP listener, when http-port is set. */
  private readonly http: HttpListener | null = null;
  private httpError: string | null = null;
  private listening = false;
  private readonly supervision: Supervision;
  /** Beyond Redis: the proxies of `sentinel proxy-port` / `proxy-replicas-port`; null when none. */
  private readonly proxies: Proxies | null = null;
  private proxyError: string | null = null;
  private proxyRecheckQueued = false;
  /** Beyond Redis: coordinated SENTINEL FAILOVERs whose reply waits for the switchover's outcome. */
  private switchoverWaiters: Array<{ master: string; epoch: bigint; resolve: (reply: Reply) => void }> = [];

  constructor(private readonly opts: DaemonOptions) {
    this.supervision = opts.supervision ?? NOT_SUPERVISED;
    const { config, logger } = opts;
    let tls: TlsSetup | null = null;
    if (tlsWanted(config.server.tls) || proxyTlsWanted(config.server)) {
      try {
        tls = buildTls(config.server.tls);
      } catch (e) {
        if (!(e instanceof TlsConfigError)) throw e;
        this.tlsError = e.message;
      }
    }
    this.openFiles = clientsWithinOpenFiles(config.server.maxclients, readOpenFilesLimit());
    this.resolver = opts.resolver ?? new HostResolver({ blockingLookup: new BlockingLookup().lookup });
    this.sentinel = new Sentinel(
      { listeningPort: announcedPort(config), timings: opts.timings, tuning: opts.tuning, requirepass: config.server.requirepass },
      { random: Math.random, resolve: this.resolver.resolve },
    );
    this.gate = new PersistGate({
      snapshot: () => toConfig(this.sentinel.state),
      write: (c, done) => this.saveConfig(c, done),
      perform: (action) => this.perform(action),
    });
    this.input({ kind: 'load', config: config.sentinel });

    this.links = new LinkManager(
      {
        connected: (link, conn, generation, localIp) => this.input({ kind: 'connected', link, conn, generation, localIp }),
        closed: (link, conn, generation, reason, neverConnected) =>
          this.input({ kind: 'closed', link, conn, generation, reason, neverConnected }),
        reply: (link, conn, generation, tag, reply) => this.input({ kind: 'reply', link, conn, generation, tag, reply }),
        message: (link, generation, _channel, payload) => this.input({ kind: 'message', link, generation, payload }),
      },
      { sourceAddress: config.server.bindSourceAddr ?? undefined, tls: tls && config.server.tls.replication ? tls.client : undefined },
    );

    const hooks: SentinelHooks = {
      // A client's command may wait for DNS, as in Redis; input from the network never does.
      sentinelCommand: (argv) => this.command(argv, (cx) => this.resolver.blockOnMiss(() => sentinelCommand(cx, argv, COMMAND_ENVIRONMENT))),
      sentinelInfo: () => this.query(sentinelInfo),
      currentHz: () => this.sentinel.state.hz,
      masterNames: () => this.query(masterNames),
      hello: (payload) => this.input({ kind: 'hello', payload }),
      configFile: () => opts.configPath,
    };
    this.server = new SentinelServer({
      hooks,
      logger,
      requirepass: config.server.requirepass,
      protectedMode: config.server.protectedMode,
      maxclients: this.openFiles.maxclients,
      limits: clientLimits(config.server),
      port: config.server.port,
      tls: tls ? { port: config.server.tls.port, options: tls.server } : undefined,
      bind: config.server.bind,
      executable: opts.executable,
      startTime: Date.now(),
      aclUsers: config.server.users,
      onShutdown: () => void this.shutdown(0),
      supervised: this.supervision.supervised,
    });
    this.publisher = new EventPublisher((channel, message) => this.server.publish(channel, message), this.sentinel.state.tuning.switchAnnounceHoldMs);
    const specs = proxySpecs(config.sentinel.masters);
    if (specs.length > 0) {
      const clientTls = proxyTls(config.server, tls);
      if (typeof clientTls === 'string') this.proxyError = clientTls;
      else {
        this.proxies = new Proxies(specs, {
          masterRoute: (name) => this.query((cx) => masterRoute(cx, name)),
          replicaRoutes: (name) => this.query((cx) => replicaRoutes(cx, name, PROXY_REPLICA_MAX_LAG_MS)),
          bind: config.server.bind,
          tls: clientTls ?? undefined,
          upstreamTls: tls && config.server.tls.replication ? tls.client : undefined,
          holdMs: PROXY_HOLD_MS,
          log: (level, message) => logger.log(level, message),
        });
      }
    }
    const http = httpOptions(config.server, tls);
    if (typeof http === 'string') this.httpError = http;
    else if (http !== null) {
      this.http = new HttpListener(
        http,
        {
          info: () => this.query(sentinelInfo),
          command: (argv) => this.query((cx) => sentinelCommand(cx, argv, COMMAND_ENVIRONMENT)),
          currentEpoch: () => this.query((cx) => cx.settings.currentEpoch),
          linkLatencies: () => this.query(linkLatencies),
          proxies: () => this.proxies?.status() ?? [],
          ready: () => this.listening && this.query(sentinelInfo).tiltMs === null,
        },
        (level, message) => logger.log(level, message),
      );
    }
  }

  async start(): Promise<void> {
    const log = this.opts.logger;
    log.log('warning', 'oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo');
    log.log('warning', `Redis version=7.0.15, bits=64, commit=00000000, modified=0, pid=${process.pid}, just started`);
    log.log('warning', 'Configuration loaded');
    if (this.tlsError !== null) {
      log.log('warning', this.tlsError);
      throw new Error('Failed to configure TLS. Check logs for more info.');
    }
    for (const warning of this.openFiles.warnings) log.log('warning', warning);
    if (this.openFiles.fatal !== null) throw new Error(this.openFiles.fatal);
    log.log('notice', 'monotonic clock: POSIX clock_gettime');
    await this.server.listen();
    if (this.httpError !== null) throw new Error(this.httpError);
    if (this.http) {
      const wanted = this.http.port;
      await this.http.listen().catch((e: NodeJS.ErrnoException) => {
        throw new Error(`Could not create the HTTP listener on port ${wanted}: ${e.message}`);
      });
    }
    if (this.proxyError !== null) throw new Error(this.proxyError);
    await this.proxies?.listen().catch((e: NodeJS.ErrnoException) => {
      throw new Error(`Could not create the proxy listener: ${e.message}`);
    });
    this.listening = true;
    const { port, tls } = this.opts.config.server;
    log.log('notice', `Running mode=sentinel, port=${port !== 0 ? port : tls.port}.`);
    if (this.server.aclLoadError !== null) {
      log.log('warning', this.server.aclLoadError);
      throw new Error('Critical error while loading ACLs. Exiting.');
    }
    this.resolver.start();
    this.input({ kind: 'start' });
    if (this.supervision.tellsSystemd) {
      // redis-sentinel saves its config and logs its ID and monitors (sentinelIsRunning) before
      // READY=1, and sends it before its first timer runs.
      const started = this.gate.requests;
      await new Promise<void>((resolve) => this.gate.whenWritten(started, () => resolve()));
      // A SIGTERM during that write already sent STOPPING=1.
      if (!this.stopping) await this.supervision.ready();
    }
    this.scheduleTick(0);
  }

  /**
   * The tick runs from setImmediate, after the timer fires: Node runs timers before its poll
   * phase, so after a stall a tick run from the timer callback would act before reading the
   * replies and vote requests already waiting in its sockets. Redis's event loop also handles
   * file events before time events.
   */
  private scheduleTick(delayMs: number): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => {
      setImmediate(() => {
        if (this.stopping) return;
        const { nextTickMs } = this.input({ kind: 'tick' });
        this.scheduleTick(nextTickMs ?? 0);
      });
    }, delayMs);
  }

  /**
   * Runs one input through the core, then carries out what it asked for, in order (behind any config write).
   * The caller's literal gets the time of the step in place: a spread at this one site, which sees every
   * kind of input, is a megamorphic copy that cost more than the step of a query.
   */
  private input<T = void>(input: InputBody<T>): StepOutput<T> {
    const stamped = input as Input<T>;
    stamped.now = Date.now();
    return this.run(stamped);
  }

  private run<T>(input: Input<T>): StepOutput<T> {
    const output = this.sentinel.step(input);
    if (output.actions.length > 0) {
      this.gate.push(output.actions);
      // A switchover ends with events (promotion or abort): only a step with actions can end one.
      if (this.switchoverWaiters.length > 0) this.answerEndedSwitchovers();
      if (this.proxies !== null && (input.kind === 'tick' || output.actions.some((a) => a.kind === 'event'))) this.recheckProxies();
    }
    return output;
  }

  /** After the step: a master may have moved (+switch-master, +odown, a failover's state). */
  private recheckProxies(): void {
    if (this.proxyRecheckQueued) return;
    this.proxyRecheckQueued = true;
    queueMicrotask(() => {
      this.proxyRecheckQueued = false;
      if (!this.stopping) this.proxies?.recheck();
    });
  }

  /** The waiting coordinated SENTINEL FAILOVERs whose switchover is over get their reply, after the writes asked for so far. */
  private answerEndedSwitchovers(): void {
    const waiters = this.switchoverWaiters;
    const outcomes = this.sentinel.step<Array<string | null>>({
      kind: 'command',
      now: Date.now(),
      run: (cx) => waiters.map((w) => switchoverOutcome(cx, w.master, w.epoch)),
    }).result;
    this.switchoverWaiters = waiters.filter((_, i) => outcomes[i] === null);
    const upTo = this.gate.requests;
    waiters.forEach((w, i) => {
      const outcome = outcomes[i];
      if (outcome !== null) this.gate.whenWritten(upTo, () => w.resolve(switchoverOutcomeReply(outcome)));
    });
  }

  /**
   * A client's SENTINEL command. When its step asked for a config write (a vote,
   * SET, FLUSHCONFIG, ...) the reply waits for that write, and says whether it
   * failed where Redis does; a reply showing a vote waits for every write asked
   * for so far; every other reply goes at once.
   */
  private command(argv: readonly string[], run: (cx: StepContext) => Reply): Reply | Promise<Reply> {
    const { result: reply, persists } = this.run<Reply>({ kind: 'command', run, now: Date.now() });
    const awaited = awaitedSwitchover(reply);
    if (awaited !== undefined) return new Promise((resolve) => this.switchoverWaiters.push({ ...awaited, resolve }));
    const upTo = this.gate.requests;
    if (!persists && (!repliesWithVote(argv) || this.gate.isWritten(upTo))) return reply;
    return new Promise((resolve) =>
      this.gate.whenWritten(upTo, (error) => resolve(reply === OK_IF_FLUSHED && error !== null ? FLUSH_FAILED_REPLY : reply)),
    );
  }

  private perform(action: Action): void {
    switch (action.kind) {
      case 'event': {
        const e = action.event;
        this.opts.logger.log(e.level, `${e.type} ${e.message}`);
        if (e.level !== 'debug') this.publisher.publish(e.type, e.message);
        this.http?.event(e, Date.now());
        break;
      }
      case 'log':
        this.opts.logger.log(action.level, logLineText(action));
        break;
      case 'run-script':
        this.runScript(action.job, action.argv);
        break;
      case 'kill-script':
        try {
          process.kill(action.pid, 'SIGKILL');
        } catch {
          // Already gone; its exit is reported anyway.
        }
        break;
      case 'crash':
        process.exit(99);
        break;
      default:
        this.links.execute(action);
    }
  }

  private runScript(job: number, argv: string[]): void {
    const child = spawn(argv[0], argv.slice(1), { stdio: 'inherit', env: process.env });
    let pid = child.pid ?? 0;
    child.once('spawn', () => {
      pid = child.pid ?? 0;
      this.input({ kind: 'script-started', job, pid });
    });
    child.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EAGAIN' || e.code === 'ENOMEM') {
        this.input({ kind: 'script-spawn-failed', job });
        return;
      }
      // An exec failure looks, to Redis, like a child that exited with status 2.
      const fakePid = -job;
      this.input({ kind: 'script-started', job, pid: fakePid });
      this.input({ kind: 'script-exited', pid: fakePid, exitCode: 2, signal: 0 });
    });
    child.once('exit', (code, signal) => {
      const signo = signal ? (osConstants.signals[signal] ?? 0) : 0;
      this.input({ kind: 'script-exited', pid, exitCode: code ?? 0, signal: signo });
    });
  }

  /** Answers a question about the state, at the current time. */
  private query<T>(ask: (cx: StepContext) => T): T {
    return this.run<T>({ kind: 'command', run: ask, now: Date.now() }).result;
  }

  /**
   * Reads, rewrites and replaces the config file, the disk work off the event loop; `done` gets null or the strerror text.
   * Beyond Redis: with `sentinel state-file`, the state file instead, and sentinel.conf is never written.
   */
  private saveConfig(sentinel: SentinelConfig, done: (error: string | null) => void): void {
    const { stateFile } = this.opts.config;
    if (stateFile) {
      this.flushFile(stateFile, (old, defaults) => this.renderer.render(old, null, sentinel, defaults), done, STATE_FILE_MODE);
      return;
    }
    // The users as ACL commands left them, not as the file had them.
    // And maxclients as the open files limit left it, which Redis saves too.
    const server = {
      ...this.opts.config.server,
      maxclients: this.openFiles.maxclients,
      aclUsers: this.server.aclUserLines().map((l) => l.replace(/^user /, '')),
    };
    this.flushFile(this.opts.configPath, (old, defaults) => this.renderer.render(old, server, sentinel, defaults), done);
  }

  private flushFile(
    path: string,
    render: (old: string | null, defaults: RewriteDefaults) => Promise<string>,
    done: (error: string | null) => void,
    mode?: number,
  ): void {
    const { timings } = this.sentinel.state;
    const defaults = { downAfterMs: timings.defaultDownAfter, failoverTimeoutMs: timings.defaultFailoverTimeout };
    const began = performance.now();
    flushConfigFile(path, (old) => render(old, defaults), mode).then(
      () => {
        this.http?.metrics.observeConfigFlush((performance.now() - began) / 1000);
        done(null);
      },
      (e: unknown) => done(strerror(e)),
    );
  }

  async shutdown(exitCode: number, signal?: 'SIGTERM' | 'SIGINT'): Promise<never> {
    const log = this.opts.logger;
    if (signal) log.signalHandler(`Received ${signal} scheduling shutdown...`);
    log.log('warning', 'User requested shutdown...');
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    // Bounded: a stuck notification must not keep the process from exiting.
    await Promise.race([this.supervision.stopping(), new Promise((r) => setTimeout(r, STOPPING_WAIT_MS))]);
    this.resolver.stop();
    // A write under way finishes, and what waited for it goes out, before the links close.
    await new Promise<void>((resolve) => this.gate.whenIdle(resolve));
    await this.renderer.close();
    this.links.closeAll();
    this.publisher.flush();
    await this.http?.close();
    await this.proxies?.close();
    log.log('warning', 'Sentinel is now ready to exit, bye bye...');
    await Promise.race([this.server.close(), new Promise((r) => setTimeout(r, 500))]);
    await log.close();
    process.exit(exitCode);
  }
}

/** Beyond Redis: how long a new proxy connection may wait for a failover to promote a replica before it is closed. */
const PROXY_HOLD_MS = 5000;
/** Beyond Redis: a replica whose master link has been down longer than this gets no read-only proxy connections. */
const PROXY_REPLICA_MAX_LAG_MS = 10_000;

/** How long shutdown waits for STOPPING=1 to be sent; Redis's sd_notify() does not wait for anyone to read it. */
const STOPPING_WAIT_MS = 1000;

const COMMAND_ENVIRONMENT: CommandEnvironment = {
  isExecutable: (path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  },
};

/** The port our hellos announce when announce-port is not set: the TLS one when the links use TLS, as in Redis. */
function announcedPort(config: LoadedConfig): number {
  const { port, tls } = config.server;
  return tls.replication && tls.port !== 0 ? tls.port : port;
}
