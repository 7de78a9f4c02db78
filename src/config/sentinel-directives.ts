/**
 * The `sentinel ...` lines of sentinel.conf. Redis queues them while reading
 * the file and applies them afterwards in three passes (global options that
 * affect addresses, then `monitor`, then the rest), so a line may refer to a
 * master declared further down.
 */
import { atoi, strtoull } from './c-numbers.js';
import { parseIpLiteral } from './ip-literal.js';
import type { MasterConfig, SentinelConfig } from './model.js';
import { emptySentinelConfig, newMasterConfig } from './model.js';
import { yesNo } from './directive-values.js';

export interface QueuedSentinelLine {
  /** The tokens after `sentinel` (at least one). */
  args: string[];
  line: number;
  /** The trimmed line, for the error message. */
  text: string;
}

export interface SentinelLoadEffects {
  /** DNS lookup used when `resolve-hostnames yes`; null when the name does not resolve. */
  resolveHost(host: string): string | null;
  /** access(path, X_OK) for script paths. */
  isExecutable(path: string): boolean;
  /** A warning Redis logs while loading. */
  warn(message: string): void;
}

export type SentinelLoadResult =
  /** stateFile: the `state-file` path as written (Beyond Redis), null when not set. */
  | { ok: true; config: SentinelConfig; stateFile: string | null }
  | { ok: false; entry: QueuedSentinelLine; message: string };

const PRE_MONITOR = new Set([
  'announce-ip',
  'announce-port',
  'deny-scripts-reconfig',
  'sentinel-user',
  'sentinel-pass',
  'current-epoch',
  'myid',
  'resolve-hostnames',
  'announce-hostnames',
  'state-file',
]);

/** Which of the three passes a queued line belongs to. */
function passOf(sub: string): 0 | 1 | 2 {
  const lower = sub.toLowerCase();
  if (lower === 'monitor') return 1;
  return PRE_MONITOR.has(lower) ? 0 : 2;
}

const MYID_LENGTH = 40;

interface MasterState {
  config: MasterConfig;
  /** Keys of the replica table: the announced address and port. */
  replicaKeys: Set<string>;
  sentinelRunids: Set<string>;
  /** Lower-cased original command names of rename-command. */
  renamed: Set<string>;
}

class Loader {
  readonly config = emptySentinelConfig();
  stateFile: string | null = null;
  private readonly masters = new Map<string, MasterState>();

  constructor(private readonly effects: SentinelLoadEffects) {}

  finish(): SentinelConfig {
    this.config.masters = [...this.masters.values()].map((m) => m.config);
    return this.config;
  }

  /** Returns the error text, or null when the line was applied. */
  apply(args: string[]): string | null {
    const sub = args[0]!.toLowerCase();
    const argc = args.length;
    switch (true) {
      case sub === 'monitor' && argc === 5:
        return this.monitor(args[1]!, args[2]!, args[3]!, args[4]!);
      case sub === 'down-after-milliseconds' && argc === 3:
        return this.withMaster(args[1]!, (m) => {
          m.config.downAfterMs = atoi(args[2]!);
          return m.config.downAfterMs <= 0 ? 'negative or zero time parameter.' : null;
        });
      case sub === 'failover-timeout' && argc === 3:
        return this.withMaster(args[1]!, (m) => {
          m.config.failoverTimeoutMs = atoi(args[2]!);
          return m.config.failoverTimeoutMs <= 0 ? 'negative or zero time parameter.' : null;
        });
      case sub === 'parallel-syncs' && argc === 3:
        return this.withMaster(args[1]!, (m) => {
          m.config.parallelSyncs = atoi(args[2]!);
          return null;
        });
      case sub === 'notification-script' && argc === 3:
        return this.withMaster(args[1]!, (m) => {
          if (!this.effects.isExecutable(args[2]!)) return 'Notification script seems non existing or non executable.';
          m.config.notificationScript = args[2]!;
          return null;
        });
      case sub === 'client-reconfig-script' && argc === 3:
        return this.withMaster(args[1]!, (m) => {
          if (!this.effects.isExecutable(args[2]!)) {
            return 'Client reconfiguration script seems non existing or non executable.';
          }
          m.config.clientReconfigScript = args[2]!;
          return null;
        });
      case sub === 'auth-pass' && argc === 3:
        return this.withMaster(args[1]!, (m) => {
          m.config.authPass = args[2]!;
          return null;
        });
      case sub === 'auth-user' && argc === 3:
        return this.withMaster(args[1]!, (m) => {
          m.config.authUser = args[2]!;
          return null;
        });
      case sub === 'current-epoch' && argc === 2:
        this.raiseCurrentEpoch(strtoull(args[1]!));
        return null;
      case sub === 'myid' && argc === 2:
        if (Buffer.byteLength(args[1]!) !== MYID_LENGTH) return 'Malformed Sentinel id in myid option.';
        this.config.myid = args[1]!;
        return null;
      case sub === 'config-epoch' && argc === 3:
        return this.withMaster(args[1]!, (m) => {
          m.config.configEpoch = strtoull(args[2]!);
          this.raiseCurrentEpoch(m.config.configEpoch);
          return null;
        });
      case sub === 'leader-epoch' && argc === 3:
        return this.withMaster(args[1]!, (m) => {
          m.config.leaderEpoch = strtoull(args[2]!);
          return null;
        });
      case (sub === 'known-replica' || sub === 'known-slave') && argc === 4:
        return this.withMaster(args[1]!, (m) => this.knownReplica(m, args[2]!, args[3]!));
      case sub === 'known-sentinel' && (argc === 4 || argc === 5):
        // The old form without a run id is accepted and ignored.
        if (argc === 4) return null;
        return this.withMaster(args[1]!, (m) => this.knownSentinel(m, args[2]!, args[3]!, args[4]!));
      case sub === 'rename-command' && argc === 4:
        return this.withMaster(args[1]!, (m) => {
          const key = args[2]!.toLowerCase();
          if (m.renamed.has(key)) return 'Same command renamed multiple times with rename-command.';
          m.renamed.add(key);
          m.config.renamedCommands.push([args[2]!, args[3]!]);
          return null;
        });
      case sub === 'announce-ip' && argc === 2:
        if (args[1] !== '') this.config.announceIp = args[1]!;
        return null;
      case sub === 'announce-port' && argc === 2:
        this.config.announcePort = atoi(args[1]!);
        return null;
      case sub === 'deny-scripts-reconfig' && argc === 2:
        return this.setFlag(args[1]!, 'denyScriptsReconfig', 'Please specify yes or no for the deny-scripts-reconfig options.');
      case sub === 'sentinel-user' && argc === 2:
        if (args[1] !== '') this.config.sentinelUser = args[1]!;
        return null;
      case sub === 'sentinel-pass' && argc === 2:
        if (args[1] !== '') this.config.sentinelPass = args[1]!;
        return null;
      case sub === 'resolve-hostnames' && argc === 2:
        return this.setFlag(args[1]!, 'resolveHostnames', 'Please specify yes or no for the resolve-hostnames option.');
      case sub === 'announce-hostnames' && argc === 2:
        return this.setFlag(args[1]!, 'announceHostnames', 'Please specify yes or no for the announce-hostnames option.');
      // Beyond Redis: where the sentinel keeps what it writes for itself (see state-file.ts).
      case sub === 'state-file' && argc === 2:
        if (args[1] === '') return 'Please specify a path for the state-file option.';
        this.stateFile = args[1]!;
        return null;
      // Beyond Redis: Valkey 8's name of the same line is read too; the rewrite writes Redis's.
      case (sub === 'master-reboot-down-after-period' || sub === 'primary-reboot-down-after-period') && argc === 3:
        return this.withMaster(args[1]!, (m) => {
          m.config.masterRebootDownAfterPeriodMs = atoi(args[2]!);
          return m.config.masterRebootDownAfterPeriodMs < 0 ? 'negative time parameter.' : null;
        });
      // Beyond Redis: replicas and peers S_DOWN for longer than this are forgotten (0: never).
      case sub === 'forget-after' && argc === 3:
        return this.withMaster(args[1]!, (m) => {
          m.config.forgetAfterMs = atoi(args[2]!);
          return m.config.forgetAfterMs < 0 ? 'negative time parameter.' : null;
        });
      // Beyond Redis: see src/core/empty-restart.ts.
      case sub === 'protect-empty-restart' && argc === 3:
        return this.withMaster(args[1]!, (m) => {
          const v = yesNo(args[2]!);
          if (v === null) return 'Please specify yes or no for the protect-empty-restart option.';
          m.config.protectEmptyRestart = v;
          return null;
        });
      // Beyond Redis: a proxy listener that routes to this master, or over its replicas.
      case (sub === 'proxy-port' || sub === 'proxy-replicas-port') && argc === 3:
        return this.withMaster(args[1]!, (m) => {
          const port = atoi(args[2]!);
          if (port < 1 || port > 65535) return 'Invalid proxy port.';
          if (sub === 'proxy-port') m.config.proxyPort = port;
          else m.config.proxyReplicasPort = port;
          return null;
        });
      default:
        return 'Unrecognized sentinel configuration statement.';
    }
  }

  private setFlag(text: string, key: 'denyScriptsReconfig' | 'resolveHostnames' | 'announceHostnames', error: string): string | null {
    const v = yesNo(text);
    if (v === null) return error;
    this.config[key] = v;
    return null;
  }

  private raiseCurrentEpoch(epoch: bigint): void {
    if (epoch > this.config.currentEpoch) this.config.currentEpoch = epoch;
  }

  private withMaster(name: string, fn: (m: MasterState) => string | null): string | null {
    const master = this.masters.get(name);
    return master ? fn(master) : 'No such master with specified name.';
  }

  private monitor(name: string, host: string, portText: string, quorumText: string): string | null {
    const quorum = atoi(quorumText);
    if (quorum <= 0) return 'Quorum must be 1 or greater.';
    const port = atoi(portText);
    const address = this.address(host, port);
    if (typeof address === 'string') return address;
    if (this.masters.has(name)) return 'Duplicate master name.';
    this.masters.set(name, {
      config: newMasterConfig(name, host, port, quorum),
      replicaKeys: new Set(),
      sentinelRunids: new Set(),
      renamed: new Set(),
    });
    return null;
  }

  private knownReplica(master: MasterState, host: string, portText: string): string | null {
    const port = atoi(portText);
    const address = this.address(host, port);
    if (typeof address === 'string') return address;
    const announced = this.config.announceHostnames ? host : address.ip;
    const key = announced.includes(':') ? `[${announced}]:${port}` : `${announced}:${port}`;
    if (master.replicaKeys.has(key)) return 'Duplicate hostname and port for replica.';
    master.replicaKeys.add(key);
    master.config.knownReplicas.push({ host, port });
    return null;
  }

  private knownSentinel(master: MasterState, host: string, portText: string, runid: string): string | null {
    const port = atoi(portText);
    const address = this.address(host, port);
    if (typeof address === 'string') return address;
    if (master.sentinelRunids.has(runid)) return 'Duplicate runid for sentinel.';
    master.sentinelRunids.add(runid);
    master.config.knownSentinels.push({ host, port, runid });
    return null;
  }

  /** Validates an instance address as createSentinelAddr does; returns the error text on failure. */
  private address(host: string, port: number): { ip: string } | string {
    if (port < 0 || port > 65535) return 'Invalid port number.';
    const resolve = this.config.resolveHostnames;
    const ip = parseIpLiteral(host) ?? (resolve ? this.effects.resolveHost(host) : null);
    if (ip !== null) return { ip };
    this.effects.warn(`Failed to resolve hostname '${host}'`);
    // With resolve-hostnames an unresolvable name is kept, with an empty IP.
    return resolve ? { ip: '' } : "Can't resolve instance hostname.";
  }
}

/** Applies the queued `sentinel` lines in Redis's three passes; the first error stops loading. */
export function applySentinelLines(lines: readonly QueuedSentinelLine[], effects: SentinelLoadEffects): SentinelLoadResult {
  const loader = new Loader(effects);
  for (const pass of [0, 1, 2] as const) {
    for (const entry of lines) {
      if (passOf(entry.args[0]!) !== pass) continue;
      const error = loader.apply(entry.args);
      if (error !== null) return { ok: false, entry, message: error };
    }
  }
  return { ok: true, config: loader.finish(), stateFile: loader.stateFile };
}
