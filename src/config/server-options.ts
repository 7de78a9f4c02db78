/**
 * The non-sentinel options of sentinel.conf: typed fields for what the daemon
 * uses, everything else kept by canonical name in `other`.
 */
import type { DirectiveValue, ObufLimits } from './directive-values.js';
import { DEFAULT_BIND, defaultValue, enumName, setDirective } from './directive-values.js';
import type { DirectiveSpec, EnumSpec } from './directives.js';
import { lookupDirective } from './directives.js';
import type { ClientLimits } from '../server/limits.js';
import { SENTINEL_DEFAULT_PORT } from './model.js';
import type { LogLevel } from '../core/events.js';

export type { LogLevel };

export type Supervised = 'upstart' | 'systemd' | 'auto' | 'no';
export type ProtectedAction = 'no' | 'yes' | 'local';
export type TlsAuthClients = 'no' | 'yes' | 'optional';
/** Flag names as Redis prints them: `default`, or some of save/nosave/now/force. */
export type ShutdownFlag = 'default' | 'save' | 'nosave' | 'now' | 'force';

export interface TlsOptions {
  port: number;
  certFile: string | null;
  keyFile: string | null;
  keyFilePass: string | null;
  clientCertFile: string | null;
  clientKeyFile: string | null;
  clientKeyFilePass: string | null;
  dhParamsFile: string | null;
  caCertFile: string | null;
  caCertDir: string | null;
  authClients: TlsAuthClients;
  protocols: string | null;
  ciphers: string | null;
  ciphersuites: string | null;
  preferServerCiphers: boolean;
  sessionCaching: boolean;
  sessionCacheSize: number;
  sessionCacheTimeout: number;
  replication: boolean;
  cluster: boolean;
}

export interface ServerOptions {
  /** 26379 unless configured (the sentinel default, not redis-server's 6379). */
  port: number;
  bind: string[];
  bindSourceAddr: string | null;
  unixsocket: string | null;
  unixsocketperm: number;
  /** Off unless configured: a sentinel overrides redis-server's default of yes. */
  protectedMode: boolean;
  tcpBacklog: number;
  tcpKeepalive: number;
  /** Client idle timeout in seconds, 0 = never. */
  timeout: number;
  maxclients: number;
  daemonize: boolean;
  supervised: Supervised;
  pidfile: string | null;
  /** "" logs to stdout. */
  logfile: string;
  loglevel: LogLevel;
  syslogEnabled: boolean;
  syslogIdent: string;
  syslogFacility: string;
  /**
   * The absolute working directory. parseConfig resolves `dir` lines against
   * its `cwd` option; a rewrite writes this value as `dir "..."`, so the daemon
   * should set it to process.cwd() once it has changed directory.
   */
  dir: string;
  alwaysShowLogo: boolean;
  setProcTitle: boolean;
  procTitleTemplate: string;
  /** The configured hz (clamped to 1..500 after loading), not the randomised runtime one. */
  hz: number;
  dynamicHz: boolean;
  requirepass: string | null;
  /** "" when not set. */
  aclfile: string;
  acllogMaxLen: number;
  aclPubsubDefault: 'allchannels' | 'resetchannels';
  enableProtectedConfigs: ProtectedAction;
  enableDebugCommand: ProtectedAction;
  enableModuleCommand: ProtectedAction;
  shutdownOnSigint: ShutdownFlag[];
  shutdownOnSigterm: ShutdownFlag[];
  latencyTrackingInfoPercentiles: number[];
  tls: TlsOptions;
  /**
   * Top-level `rename-command <old> <new>` lines, in order, as written: they
   * rename this sentinel's own commands; an empty new name removes the command.
   */
  renamedCommands: Array<[string, string]>;
  /** Arguments of every `user` line (name first), in file order, for the ACL module. */
  users: string[][];
  /**
   * Input to a rewrite: the ACL users as `<name> <rules>` descriptions in name
   * order. null lets the rewrite describe the default user from `requirepass`.
   */
  aclUsers: string[] | null;
  /** `loadmodule` lines (path and arguments); a sentinel loads no modules. */
  loadModules: string[][];
  /**
   * Every other directive that was set, by canonical name, with the arguments
   * of its last line (save and client-output-buffer-limit hold their merged state).
   */
  other: Map<string, string[]>;
}

export function defaultServerOptions(cwd: string): ServerOptions {
  return {
    port: SENTINEL_DEFAULT_PORT,
    bind: [...DEFAULT_BIND],
    bindSourceAddr: null,
    unixsocket: null,
    unixsocketperm: 0,
    protectedMode: false,
    tcpBacklog: 511,
    tcpKeepalive: 300,
    timeout: 0,
    maxclients: 10000,
    daemonize: false,
    supervised: 'no',
    pidfile: null,
    logfile: '',
    loglevel: 'notice',
    syslogEnabled: false,
    syslogIdent: 'redis',
    syslogFacility: 'local0',
    dir: cwd,
    alwaysShowLogo: false,
    setProcTitle: true,
    procTitleTemplate: '{title} {listen-addr} {server-mode}',
    hz: 10,
    dynamicHz: true,
    requirepass: null,
    aclfile: '',
    acllogMaxLen: 128,
    aclPubsubDefault: 'resetchannels',
    enableProtectedConfigs: 'no',
    enableDebugCommand: 'no',
    enableModuleCommand: 'no',
    shutdownOnSigint: ['default'],
    shutdownOnSigterm: ['default'],
    latencyTrackingInfoPercentiles: [50, 99, 99.9],
    tls: {
      port: 0,
      certFile: null,
      keyFile: null,
      keyFilePass: null,
      clientCertFile: null,
      clientKeyFile: null,
      clientKeyFilePass: null,
      dhParamsFile: null,
      caCertFile: null,
      caCertDir: null,
      authClients: 'yes',
      protocols: null,
      ciphers: null,
      ciphersuites: null,
      preferServerCiphers: false,
      sessionCaching: true,
      sessionCacheSize: 20480,
      sessionCacheTimeout: 300,
      replication: false,
      cluster: false,
    },
    renamedCommands: [],
    users: [],
    aclUsers: null,
    loadModules: [],
    other: new Map(),
  };
}

/** Moves a directive's value between its typed field and the table's value shape. */
interface TypedBinding {
  get(s: ServerOptions): DirectiveValue;
  set(s: ServerOptions, v: DirectiveValue): void;
}

type Field<T> = { get(s: ServerOptions): T; set(s: ServerOptions, v: T): void };

function numberField(f: Field<number>): TypedBinding {
  const toBigInt = (n: number) => (Number.isFinite(n) ? BigInt(Math.trunc(n)) : 0n);
  return { get: (s) => toBigInt(f.get(s)), set: (s, v) => f.set(s, Number(v as bigint)) };
}

function plainField<T extends DirectiveValue>(f: Field<T>): TypedBinding {
  return { get: (s) => f.get(s), set: (s, v) => f.set(s, v as T) };
}

function enumField<T extends string>(name: string, f: Field<T>, multi = false): TypedBinding {
  const spec = lookupDirective(name) as EnumSpec;
  return {
    get: (s) => {
      const names = multi ? (f.get(s) as unknown as string[]) : [f.get(s)];
      let value = 0;
      for (const n of names) value |= spec.values.find((c) => c.name === n)?.value ?? 0;
      return value;
    },
    set: (s, v) => {
      const printed = enumName(spec, v as number);
      f.set(s, (multi ? printed.split(' ') : printed) as T);
    },
  };
}

function prop<K extends keyof ServerOptions>(key: K): Field<ServerOptions[K]> {
  return { get: (s) => s[key], set: (s, v) => void (s[key] = v) };
}

function tlsProp<K extends keyof TlsOptions>(key: K): Field<TlsOptions[K]> {
  return { get: (s) => s.tls[key], set: (s, v) => void (s.tls[key] = v) };
}

/** Directives (canonical names) that live in typed fields rather than in `other`. */
export const TYPED_DIRECTIVES: ReadonlyMap<string, TypedBinding> = new Map<string, TypedBinding>([
  ['port', numberField(prop('port'))],
  ['bind', plainField(prop('bind'))],
  ['bind-source-addr', plainField(prop('bindSourceAddr'))],
  ['unixsocket', plainField(prop('unixsocket'))],
  ['unixsocketperm', numberField(prop('unixsocketperm'))],
  ['protected-mode', plainField(prop('protectedMode'))],
  ['tcp-backlog', numberField(prop('tcpBacklog'))],
  ['tcp-keepalive', numberField(prop('tcpKeepalive'))],
  ['timeout', numberField(prop('timeout'))],
  ['maxclients', numberField(prop('maxclients'))],
  ['daemonize', plainField(prop('daemonize'))],
  ['supervised', enumField('supervised', prop('supervised'))],
  ['pidfile', plainField(prop('pidfile'))],
  ['logfile', plainField(prop('logfile'))],
  ['loglevel', enumField('loglevel', prop('loglevel'))],
  ['syslog-enabled', plainField(prop('syslogEnabled'))],
  ['syslog-ident', plainField(prop('syslogIdent'))],
  ['syslog-facility', enumField('syslog-facility', prop('syslogFacility'))],
  ['dir', plainField(prop('dir'))],
  ['always-show-logo', plainField(prop('alwaysShowLogo'))],
  ['set-proc-title', plainField(prop('setProcTitle'))],
  ['proc-title-template', plainField(prop('procTitleTemplate'))],
  ['hz', numberField(prop('hz'))],
  ['dynamic-hz', plainField(prop('dynamicHz'))],
  ['requirepass', plainField(prop('requirepass'))],
  ['aclfile', plainField(prop('aclfile'))],
  ['acllog-max-len', numberField(prop('acllogMaxLen'))],
  ['acl-pubsub-default', enumField('acl-pubsub-default', prop('aclPubsubDefault'))],
  ['enable-protected-configs', enumField('enable-protected-configs', prop('enableProtectedConfigs'))],
  ['enable-debug-command', enumField('enable-debug-command', prop('enableDebugCommand'))],
  ['enable-module-command', enumField('enable-module-command', prop('enableModuleCommand'))],
  ['shutdown-on-sigint', enumField('shutdown-on-sigint', prop('shutdownOnSigint') as unknown as Field<string>, true)],
  ['shutdown-on-sigterm', enumField('shutdown-on-sigterm', prop('shutdownOnSigterm') as unknown as Field<string>, true)],
  ['latency-tracking-info-percentiles', plainField(prop('latencyTrackingInfoPercentiles'))],
  ['tls-port', numberField(tlsProp('port'))],
  ['tls-cert-file', plainField(tlsProp('certFile'))],
  ['tls-key-file', plainField(tlsProp('keyFile'))],
  ['tls-key-file-pass', plainField(tlsProp('keyFilePass'))],
  ['tls-client-cert-file', plainField(tlsProp('clientCertFile'))],
  ['tls-client-key-file', plainField(tlsProp('clientKeyFile'))],
  ['tls-client-key-file-pass', plainField(tlsProp('clientKeyFilePass'))],
  ['tls-dh-params-file', plainField(tlsProp('dhParamsFile'))],
  ['tls-ca-cert-file', plainField(tlsProp('caCertFile'))],
  ['tls-ca-cert-dir', plainField(tlsProp('caCertDir'))],
  ['tls-auth-clients', enumField('tls-auth-clients', tlsProp('authClients'))],
  ['tls-protocols', plainField(tlsProp('protocols'))],
  ['tls-ciphers', plainField(tlsProp('ciphers'))],
  ['tls-ciphersuites', plainField(tlsProp('ciphersuites'))],
  ['tls-prefer-server-ciphers', plainField(tlsProp('preferServerCiphers'))],
  ['tls-session-caching', plainField(tlsProp('sessionCaching'))],
  ['tls-session-cache-size', numberField(tlsProp('sessionCacheSize'))],
  ['tls-session-cache-timeout', numberField(tlsProp('sessionCacheTimeout'))],
  ['tls-replication', plainField(tlsProp('replication'))],
  ['tls-cluster', plainField(tlsProp('cluster'))],
]);

/** The value in effect of any directive: its typed field, else its last line in `other`, else its default. */
export function directiveValue(spec: DirectiveSpec, server: ServerOptions): DirectiveValue {
  const binding = TYPED_DIRECTIVES.get(spec.name);
  if (binding) return binding.get(server);
  const args = server.other.get(spec.name);
  if (args === undefined) return defaultValue(spec);
  const parsed = setDirective(spec, args, {
    current: (name) => {
      const s = lookupDirective(name);
      return s ? defaultValue(s) : null;
    },
    chdir: () => null,
    saveSeen: false,
  });
  return parsed.ok ? parsed.value : defaultValue(spec);
}

/** What the client port enforces: proto-max-bulk-len, client-query-buffer-limit, timeout, client-output-buffer-limit. */
export function clientLimits(server: ServerOptions): ClientLimits {
  const value = (name: string) => directiveValue(lookupDirective(name)!, server);
  const obuf = value('client-output-buffer-limit') as ObufLimits;
  const limit = (cls: 'normal' | 'pubsub') => ({ hard: Number(obuf[cls].hard), soft: Number(obuf[cls].soft), seconds: obuf[cls].seconds });
  return {
    maxBulkLength: Number(value('proto-max-bulk-len') as bigint),
    queryBufferLimit: Number(value('client-query-buffer-limit') as bigint),
    idleTimeoutSeconds: server.timeout,
    output: { normal: limit('normal'), pubsub: limit('pubsub') },
  };
}
