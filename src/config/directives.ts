/**
 * Every configuration directive redis-server 7.0.15 knows (a sentinel parses its
 * file with the same loader, so all of them are accepted), with the type,
 * default and bounds that decide the load errors and the CONFIG REWRITE output.
 * The table is the Debian build's (TLS compiled in, no active defrag); CONFIG GET *
 * on the real binary lists the same names plus these aliases.
 */

export interface EnumChoice {
  readonly name: string;
  readonly value: number;
}

interface Common {
  readonly name: string;
  /** The old spelling; loading and rewriting treat it as `name`. */
  readonly alias?: string;
}

/** Extra validation some directives run after parsing (Redis's is_valid_fn). */
export type DirectiveCheck =
  | 'activedefrag'
  | 'dbfilename'
  | 'appendfilename'
  | 'appenddirname'
  | 'shutdown-flags'
  | 'hostname'
  | 'proc-title-template';

export interface BoolSpec extends Common {
  readonly kind: 'bool';
  readonly default: boolean;
  readonly check?: DirectiveCheck;
}

export interface StringSpec extends Common {
  readonly kind: 'string';
  readonly default: string | null;
  /** An empty value means "unset" (null), which a rewrite removes from the file. */
  readonly emptyIsNull: boolean;
  readonly check?: DirectiveCheck;
}

export interface EnumSpec extends Common {
  readonly kind: 'enum';
  readonly values: readonly EnumChoice[];
  readonly default: number;
  /** Several names may be given; their values are OR-ed (shutdown-on-sig*). */
  readonly multiArg?: boolean;
  readonly check?: DirectiveCheck;
}

export type CType = 'int' | 'uint' | 'long' | 'ulong' | 'longlong' | 'ulonglong' | 'size_t' | 'ssize_t' | 'off_t' | 'time_t';

export interface NumericSpec extends Common {
  readonly kind: 'numeric';
  /** The C type the value is stored in: it decides truncation and the bound check's signedness. */
  readonly ctype: CType;
  readonly min: bigint;
  readonly max: bigint;
  readonly default: bigint;
  readonly format: 'integer' | 'memory' | 'memory-percent' | 'octal';
}

/** Directives with their own parser and rewrite rule (see directive-values.ts). */
export interface SpecialSpec extends Common {
  readonly kind: 'special';
  readonly multiArg: boolean;
}

export type DirectiveSpec = BoolSpec | StringSpec | EnumSpec | NumericSpec | SpecialSpec;

const choices = (...pairs: Array<[string, number]>): EnumChoice[] => pairs.map(([name, value]) => ({ name, value }));

const SUPERVISED = choices(['upstart', 3], ['systemd', 2], ['auto', 1], ['no', 0]);
const SYSLOG_FACILITY = choices(
  ['user', 8],
  ['local0', 128],
  ['local1', 136],
  ['local2', 144],
  ['local3', 152],
  ['local4', 160],
  ['local5', 168],
  ['local6', 176],
  ['local7', 184],
);
const REPL_DISKLESS_LOAD = choices(['disabled', 0], ['on-empty-db', 1], ['swapdb', 2]);
const LOGLEVEL = choices(['debug', 0], ['verbose', 1], ['notice', 2], ['warning', 3]);
const MAXMEMORY_POLICY = choices(
  ['volatile-lru', 1],
  ['volatile-lfu', 258],
  ['volatile-random', 768],
  ['volatile-ttl', 512],
  ['allkeys-lru', 1029],
  ['allkeys-lfu', 1286],
  ['allkeys-random', 1540],
  ['noeviction', 1792],
);
const AOF_FSYNC = choices(['everysec', 2], ['always', 1], ['no', 0]);
// `yes` and `relative` share a value, so a rewrite prints `relative` as `yes`.
const OOM_SCORE_ADJ = choices(['no', 0], ['yes', 1], ['relative', 1], ['absolute', 2]);
const ACL_PUBSUB_DEFAULT = choices(['allchannels', 8], ['resetchannels', 0]);
const SANITIZE_DUMP_PAYLOAD = choices(['no', 0], ['yes', 1], ['clients', 2]);
const PROTECTED_ACTION = choices(['no', 0], ['yes', 1], ['local', 2]);
const CLUSTER_ENDPOINT_TYPE = choices(['ip', 0], ['hostname', 1], ['unknown-endpoint', 2]);
const PROPAGATION_ERROR_BEHAVIOR = choices(['ignore', 0], ['panic', 1], ['panic-on-replicas', 2]);
export const SHUTDOWN_SAVE = 1;
export const SHUTDOWN_NOSAVE = 2;
const SHUTDOWN_ON_SIGNAL = choices(['default', 0], ['save', SHUTDOWN_SAVE], ['nosave', SHUTDOWN_NOSAVE], ['now', 4], ['force', 8]);
const TLS_AUTH_CLIENTS = choices(['no', 0], ['yes', 1], ['optional', 2]);

const INT_MAX = 2147483647n;
const INT_MIN = -2147483648n;
const UINT_MAX = 4294967295n;
const LONG_MAX = 9223372036854775807n;
const ULLONG_MAX = 18446744073709551615n;

/** In Redis's table order, which is also the order a rewrite emits them in. */
export const DIRECTIVES: readonly DirectiveSpec[] = [
  { name: 'rdbchecksum', kind: 'bool', default: true },
  { name: 'daemonize', kind: 'bool', default: false },
  { name: 'io-threads-do-reads', kind: 'bool', default: false },
  { name: 'always-show-logo', kind: 'bool', default: false },
  { name: 'protected-mode', kind: 'bool', default: true },
  { name: 'rdbcompression', kind: 'bool', default: true },
  { name: 'rdb-del-sync-files', kind: 'bool', default: false },
  { name: 'activerehashing', kind: 'bool', default: true },
  { name: 'stop-writes-on-bgsave-error', kind: 'bool', default: true },
  { name: 'set-proc-title', kind: 'bool', default: true },
  { name: 'dynamic-hz', kind: 'bool', default: true },
  { name: 'lazyfree-lazy-eviction', kind: 'bool', default: false },
  { name: 'lazyfree-lazy-expire', kind: 'bool', default: false },
  { name: 'lazyfree-lazy-server-del', kind: 'bool', default: false },
  { name: 'lazyfree-lazy-user-del', kind: 'bool', default: false },
  { name: 'lazyfree-lazy-user-flush', kind: 'bool', default: false },
  { name: 'repl-disable-tcp-nodelay', kind: 'bool', default: false },
  { name: 'repl-diskless-sync', kind: 'bool', default: true },
  { name: 'aof-rewrite-incremental-fsync', kind: 'bool', default: true },
  { name: 'no-appendfsync-on-rewrite', kind: 'bool', default: false },
  { name: 'cluster-require-full-coverage', kind: 'bool', default: true },
  { name: 'rdb-save-incremental-fsync', kind: 'bool', default: true },
  { name: 'aof-load-truncated', kind: 'bool', default: true },
  { name: 'aof-use-rdb-preamble', kind: 'bool', default: true },
  { name: 'aof-timestamp-enabled', kind: 'bool', default: false },
  { name: 'cluster-replica-no-failover', alias: 'cluster-slave-no-failover', kind: 'bool', default: false },
  { name: 'replica-lazy-flush', alias: 'slave-lazy-flush', kind: 'bool', default: false },
  { name: 'replica-serve-stale-data', alias: 'slave-serve-stale-data', kind: 'bool', default: true },
  { name: 'replica-read-only', alias: 'slave-read-only', kind: 'bool', default: true },
  { name: 'replica-ignore-maxmemory', alias: 'slave-ignore-maxmemory', kind: 'bool', default: true },
  { name: 'jemalloc-bg-thread', kind: 'bool', default: true },
  { name: 'activedefrag', kind: 'bool', default: false, check: 'activedefrag' },
  { name: 'syslog-enabled', kind: 'bool', default: false },
  { name: 'cluster-enabled', kind: 'bool', default: false },
  { name: 'appendonly', kind: 'bool', default: false },
  { name: 'cluster-allow-reads-when-down', kind: 'bool', default: false },
  { name: 'cluster-allow-pubsubshard-when-down', kind: 'bool', default: true },
  { name: 'crash-log-enabled', kind: 'bool', default: true },
  { name: 'crash-memcheck-enabled', kind: 'bool', default: true },
  { name: 'use-exit-on-panic', kind: 'bool', default: false },
  { name: 'disable-thp', kind: 'bool', default: true },
  { name: 'cluster-allow-replica-migration', kind: 'bool', default: true },
  { name: 'replica-announced', kind: 'bool', default: true },
  { name: 'latency-tracking', kind: 'bool', default: true },
  { name: 'aof-disable-auto-gc', kind: 'bool', default: false },
  { name: 'replica-ignore-disk-write-errors', kind: 'bool', default: false },
  { name: 'aclfile', kind: 'string', default: '', emptyIsNull: false },
  { name: 'unixsocket', kind: 'string', default: null, emptyIsNull: true },
  { name: 'pidfile', kind: 'string', default: null, emptyIsNull: true },
  { name: 'replica-announce-ip', alias: 'slave-announce-ip', kind: 'string', default: null, emptyIsNull: true },
  { name: 'masteruser', kind: 'string', default: null, emptyIsNull: true },
  { name: 'cluster-announce-ip', kind: 'string', default: null, emptyIsNull: true },
  { name: 'cluster-config-file', kind: 'string', default: 'nodes.conf', emptyIsNull: false },
  { name: 'cluster-announce-hostname', kind: 'string', default: null, emptyIsNull: true, check: 'hostname' },
  { name: 'syslog-ident', kind: 'string', default: 'redis', emptyIsNull: false },
  { name: 'dbfilename', kind: 'string', default: 'dump.rdb', emptyIsNull: false, check: 'dbfilename' },
  { name: 'appendfilename', kind: 'string', default: 'appendonly.aof', emptyIsNull: false, check: 'appendfilename' },
  { name: 'appenddirname', kind: 'string', default: 'appendonlydir', emptyIsNull: false, check: 'appenddirname' },
  { name: 'server_cpulist', kind: 'string', default: null, emptyIsNull: true },
  { name: 'bio_cpulist', kind: 'string', default: null, emptyIsNull: true },
  { name: 'aof_rewrite_cpulist', kind: 'string', default: null, emptyIsNull: true },
  { name: 'bgsave_cpulist', kind: 'string', default: null, emptyIsNull: true },
  { name: 'ignore-warnings', kind: 'string', default: '', emptyIsNull: false },
  { name: 'proc-title-template', kind: 'string', default: '{title} {listen-addr} {server-mode}', emptyIsNull: false, check: 'proc-title-template' },
  { name: 'bind-source-addr', kind: 'string', default: null, emptyIsNull: true },
  { name: 'logfile', kind: 'string', default: '', emptyIsNull: false },
  { name: 'masterauth', kind: 'string', default: null, emptyIsNull: true },
  { name: 'requirepass', kind: 'string', default: null, emptyIsNull: true },
  { name: 'supervised', kind: 'enum', values: SUPERVISED, default: 0 },
  { name: 'syslog-facility', kind: 'enum', values: SYSLOG_FACILITY, default: 128 },
  { name: 'repl-diskless-load', kind: 'enum', values: REPL_DISKLESS_LOAD, default: 0 },
  { name: 'loglevel', kind: 'enum', values: LOGLEVEL, default: 2 },
  { name: 'maxmemory-policy', kind: 'enum', values: MAXMEMORY_POLICY, default: 1792 },
  { name: 'appendfsync', kind: 'enum', values: AOF_FSYNC, default: 2 },
  { name: 'oom-score-adj', kind: 'enum', values: OOM_SCORE_ADJ, default: 0 },
  { name: 'acl-pubsub-default', kind: 'enum', values: ACL_PUBSUB_DEFAULT, default: 0 },
  { name: 'sanitize-dump-payload', kind: 'enum', values: SANITIZE_DUMP_PAYLOAD, default: 0 },
  { name: 'enable-protected-configs', kind: 'enum', values: PROTECTED_ACTION, default: 0 },
  { name: 'enable-debug-command', kind: 'enum', values: PROTECTED_ACTION, default: 0 },
  { name: 'enable-module-command', kind: 'enum', values: PROTECTED_ACTION, default: 0 },
  { name: 'cluster-preferred-endpoint-type', kind: 'enum', values: CLUSTER_ENDPOINT_TYPE, default: 0 },
  { name: 'propagation-error-behavior', kind: 'enum', values: PROPAGATION_ERROR_BEHAVIOR, default: 0 },
  { name: 'shutdown-on-sigint', kind: 'enum', values: SHUTDOWN_ON_SIGNAL, default: 0, multiArg: true, check: 'shutdown-flags' },
  { name: 'shutdown-on-sigterm', kind: 'enum', values: SHUTDOWN_ON_SIGNAL, default: 0, multiArg: true, check: 'shutdown-flags' },
  { name: 'databases', kind: 'numeric', ctype: 'int', min: 1n, max: INT_MAX, default: 16n, format: 'integer' },
  { name: 'port', kind: 'numeric', ctype: 'int', min: 0n, max: 65535n, default: 6379n, format: 'integer' },
  { name: 'io-threads', kind: 'numeric', ctype: 'int', min: 1n, max: 128n, default: 1n, format: 'integer' },
  { name: 'auto-aof-rewrite-percentage', kind: 'numeric', ctype: 'int', min: 0n, max: INT_MAX, default: 100n, format: 'integer' },
  { name: 'cluster-replica-validity-factor', alias: 'cluster-slave-validity-factor', kind: 'numeric', ctype: 'int', min: 0n, max: INT_MAX, default: 10n, format: 'integer' },
  { name: 'list-max-listpack-size', alias: 'list-max-ziplist-size', kind: 'numeric', ctype: 'int', min: INT_MIN, max: INT_MAX, default: -2n, format: 'integer' },
  { name: 'tcp-keepalive', kind: 'numeric', ctype: 'int', min: 0n, max: INT_MAX, default: 300n, format: 'integer' },
  { name: 'cluster-migration-barrier', kind: 'numeric', ctype: 'int', min: 0n, max: INT_MAX, default: 1n, format: 'integer' },
  { name: 'active-defrag-cycle-min', kind: 'numeric', ctype: 'int', min: 1n, max: 99n, default: 1n, format: 'integer' },
  { name: 'active-defrag-cycle-max', kind: 'numeric', ctype: 'int', min: 1n, max: 99n, default: 25n, format: 'integer' },
  { name: 'active-defrag-threshold-lower', kind: 'numeric', ctype: 'int', min: 0n, max: 1000n, default: 10n, format: 'integer' },
  { name: 'active-defrag-threshold-upper', kind: 'numeric', ctype: 'int', min: 0n, max: 1000n, default: 100n, format: 'integer' },
  { name: 'lfu-log-factor', kind: 'numeric', ctype: 'int', min: 0n, max: INT_MAX, default: 10n, format: 'integer' },
  { name: 'lfu-decay-time', kind: 'numeric', ctype: 'int', min: 0n, max: INT_MAX, default: 1n, format: 'integer' },
  { name: 'replica-priority', alias: 'slave-priority', kind: 'numeric', ctype: 'int', min: 0n, max: INT_MAX, default: 100n, format: 'integer' },
  { name: 'repl-diskless-sync-delay', kind: 'numeric', ctype: 'int', min: 0n, max: INT_MAX, default: 5n, format: 'integer' },
  { name: 'maxmemory-samples', kind: 'numeric', ctype: 'int', min: 1n, max: INT_MAX, default: 5n, format: 'integer' },
  { name: 'maxmemory-eviction-tenacity', kind: 'numeric', ctype: 'int', min: 0n, max: 100n, default: 10n, format: 'integer' },
  { name: 'timeout', kind: 'numeric', ctype: 'int', min: 0n, max: INT_MAX, default: 0n, format: 'integer' },
  { name: 'replica-announce-port', alias: 'slave-announce-port', kind: 'numeric', ctype: 'int', min: 0n, max: 65535n, default: 0n, format: 'integer' },
  { name: 'tcp-backlog', kind: 'numeric', ctype: 'int', min: 0n, max: INT_MAX, default: 511n, format: 'integer' },
  { name: 'cluster-port', kind: 'numeric', ctype: 'int', min: 0n, max: 65535n, default: 0n, format: 'integer' },
  { name: 'cluster-announce-bus-port', kind: 'numeric', ctype: 'int', min: 0n, max: 65535n, default: 0n, format: 'integer' },
  { name: 'cluster-announce-port', kind: 'numeric', ctype: 'int', min: 0n, max: 65535n, default: 0n, format: 'integer' },
  { name: 'cluster-announce-tls-port', kind: 'numeric', ctype: 'int', min: 0n, max: 65535n, default: 0n, format: 'integer' },
  { name: 'repl-timeout', kind: 'numeric', ctype: 'int', min: 1n, max: INT_MAX, default: 60n, format: 'integer' },
  { name: 'repl-ping-replica-period', alias: 'repl-ping-slave-period', kind: 'numeric', ctype: 'int', min: 1n, max: INT_MAX, default: 10n, format: 'integer' },
  { name: 'list-compress-depth', kind: 'numeric', ctype: 'int', min: 0n, max: INT_MAX, default: 0n, format: 'integer' },
  { name: 'rdb-key-save-delay', kind: 'numeric', ctype: 'int', min: INT_MIN, max: INT_MAX, default: 0n, format: 'integer' },
  { name: 'key-load-delay', kind: 'numeric', ctype: 'int', min: INT_MIN, max: INT_MAX, default: 0n, format: 'integer' },
  { name: 'active-expire-effort', kind: 'numeric', ctype: 'int', min: 1n, max: 10n, default: 1n, format: 'integer' },
  { name: 'hz', kind: 'numeric', ctype: 'int', min: 0n, max: INT_MAX, default: 10n, format: 'integer' },
  { name: 'min-replicas-to-write', alias: 'min-slaves-to-write', kind: 'numeric', ctype: 'int', min: 0n, max: INT_MAX, default: 0n, format: 'integer' },
  { name: 'min-replicas-max-lag', alias: 'min-slaves-max-lag', kind: 'numeric', ctype: 'int', min: 0n, max: INT_MAX, default: 10n, format: 'integer' },
  { name: 'watchdog-period', kind: 'numeric', ctype: 'int', min: 0n, max: INT_MAX, default: 0n, format: 'integer' },
  { name: 'shutdown-timeout', kind: 'numeric', ctype: 'int', min: 0n, max: INT_MAX, default: 10n, format: 'integer' },
  { name: 'repl-diskless-sync-max-replicas', kind: 'numeric', ctype: 'int', min: 0n, max: INT_MAX, default: 0n, format: 'integer' },
  { name: 'maxclients', kind: 'numeric', ctype: 'uint', min: 1n, max: UINT_MAX, default: 10000n, format: 'integer' },
  { name: 'unixsocketperm', kind: 'numeric', ctype: 'uint', min: 0n, max: 0o777n, default: 0n, format: 'octal' },
  { name: 'socket-mark-id', kind: 'numeric', ctype: 'uint', min: 0n, max: UINT_MAX, default: 0n, format: 'integer' },
  { name: 'active-defrag-max-scan-fields', kind: 'numeric', ctype: 'ulong', min: 1n, max: LONG_MAX, default: 1000n, format: 'integer' },
  { name: 'slowlog-max-len', kind: 'numeric', ctype: 'ulong', min: 0n, max: LONG_MAX, default: 128n, format: 'integer' },
  { name: 'acllog-max-len', kind: 'numeric', ctype: 'ulong', min: 0n, max: LONG_MAX, default: 128n, format: 'integer' },
  { name: 'busy-reply-threshold', alias: 'lua-time-limit', kind: 'numeric', ctype: 'longlong', min: 0n, max: LONG_MAX, default: 5000n, format: 'integer' },
  { name: 'cluster-node-timeout', kind: 'numeric', ctype: 'longlong', min: 0n, max: LONG_MAX, default: 15000n, format: 'integer' },
  { name: 'slowlog-log-slower-than', kind: 'numeric', ctype: 'longlong', min: -1n, max: LONG_MAX, default: 10000n, format: 'integer' },
  { name: 'latency-monitor-threshold', kind: 'numeric', ctype: 'longlong', min: 0n, max: LONG_MAX, default: 0n, format: 'integer' },
  { name: 'proto-max-bulk-len', kind: 'numeric', ctype: 'longlong', min: 1n << 20n, max: LONG_MAX, default: 512n << 20n, format: 'memory' },
  { name: 'stream-node-max-entries', kind: 'numeric', ctype: 'longlong', min: 0n, max: LONG_MAX, default: 100n, format: 'integer' },
  { name: 'repl-backlog-size', kind: 'numeric', ctype: 'longlong', min: 1n, max: LONG_MAX, default: 1n << 20n, format: 'memory' },
  { name: 'maxmemory', kind: 'numeric', ctype: 'ulonglong', min: 0n, max: ULLONG_MAX, default: 0n, format: 'memory' },
  { name: 'cluster-link-sendbuf-limit', kind: 'numeric', ctype: 'ulonglong', min: 0n, max: ULLONG_MAX, default: 0n, format: 'memory' },
  { name: 'hash-max-listpack-entries', alias: 'hash-max-ziplist-entries', kind: 'numeric', ctype: 'size_t', min: 0n, max: LONG_MAX, default: 512n, format: 'integer' },
  { name: 'set-max-intset-entries', kind: 'numeric', ctype: 'size_t', min: 0n, max: LONG_MAX, default: 512n, format: 'integer' },
  { name: 'zset-max-listpack-entries', alias: 'zset-max-ziplist-entries', kind: 'numeric', ctype: 'size_t', min: 0n, max: LONG_MAX, default: 128n, format: 'integer' },
  { name: 'active-defrag-ignore-bytes', kind: 'numeric', ctype: 'size_t', min: 1n, max: LONG_MAX, default: 100n << 20n, format: 'memory' },
  { name: 'hash-max-listpack-value', alias: 'hash-max-ziplist-value', kind: 'numeric', ctype: 'size_t', min: 0n, max: LONG_MAX, default: 64n, format: 'memory' },
  { name: 'stream-node-max-bytes', kind: 'numeric', ctype: 'size_t', min: 0n, max: LONG_MAX, default: 4096n, format: 'memory' },
  { name: 'zset-max-listpack-value', alias: 'zset-max-ziplist-value', kind: 'numeric', ctype: 'size_t', min: 0n, max: LONG_MAX, default: 64n, format: 'memory' },
  { name: 'hll-sparse-max-bytes', kind: 'numeric', ctype: 'size_t', min: 0n, max: LONG_MAX, default: 3000n, format: 'memory' },
  { name: 'tracking-table-max-keys', kind: 'numeric', ctype: 'size_t', min: 0n, max: LONG_MAX, default: 1000000n, format: 'integer' },
  { name: 'client-query-buffer-limit', kind: 'numeric', ctype: 'size_t', min: 1n << 20n, max: LONG_MAX, default: 1n << 30n, format: 'memory' },
  { name: 'maxmemory-clients', kind: 'numeric', ctype: 'ssize_t', min: -100n, max: LONG_MAX, default: 0n, format: 'memory-percent' },
  { name: 'repl-backlog-ttl', kind: 'numeric', ctype: 'time_t', min: 0n, max: LONG_MAX, default: 3600n, format: 'integer' },
  { name: 'auto-aof-rewrite-min-size', kind: 'numeric', ctype: 'off_t', min: 0n, max: LONG_MAX, default: 64n << 20n, format: 'memory' },
  { name: 'loading-process-events-interval-bytes', kind: 'numeric', ctype: 'off_t', min: 1024n, max: INT_MAX, default: 2n << 20n, format: 'integer' },
  { name: 'tls-port', kind: 'numeric', ctype: 'int', min: 0n, max: 65535n, default: 0n, format: 'integer' },
  { name: 'tls-session-cache-size', kind: 'numeric', ctype: 'int', min: 0n, max: INT_MAX, default: 20n << 10n, format: 'integer' },
  { name: 'tls-session-cache-timeout', kind: 'numeric', ctype: 'int', min: 0n, max: INT_MAX, default: 300n, format: 'integer' },
  { name: 'tls-cluster', kind: 'bool', default: false },
  { name: 'tls-replication', kind: 'bool', default: false },
  { name: 'tls-auth-clients', kind: 'enum', values: TLS_AUTH_CLIENTS, default: 1 },
  { name: 'tls-prefer-server-ciphers', kind: 'bool', default: false },
  { name: 'tls-session-caching', kind: 'bool', default: true },
  { name: 'tls-cert-file', kind: 'string', default: null, emptyIsNull: true },
  { name: 'tls-key-file', kind: 'string', default: null, emptyIsNull: true },
  { name: 'tls-key-file-pass', kind: 'string', default: null, emptyIsNull: true },
  { name: 'tls-client-cert-file', kind: 'string', default: null, emptyIsNull: true },
  { name: 'tls-client-key-file', kind: 'string', default: null, emptyIsNull: true },
  { name: 'tls-client-key-file-pass', kind: 'string', default: null, emptyIsNull: true },
  { name: 'tls-dh-params-file', kind: 'string', default: null, emptyIsNull: true },
  { name: 'tls-ca-cert-file', kind: 'string', default: null, emptyIsNull: true },
  { name: 'tls-ca-cert-dir', kind: 'string', default: null, emptyIsNull: true },
  { name: 'tls-protocols', kind: 'string', default: null, emptyIsNull: true },
  { name: 'tls-ciphers', kind: 'string', default: null, emptyIsNull: true },
  { name: 'tls-ciphersuites', kind: 'string', default: null, emptyIsNull: true },
  { name: 'dir', kind: 'special', multiArg: false },
  { name: 'save', kind: 'special', multiArg: true },
  { name: 'client-output-buffer-limit', kind: 'special', multiArg: true },
  { name: 'oom-score-adj-values', kind: 'special', multiArg: true },
  { name: 'notify-keyspace-events', kind: 'special', multiArg: false },
  { name: 'bind', kind: 'special', multiArg: true },
  { name: 'replicaof', alias: 'slaveof', kind: 'special', multiArg: true },
  { name: 'latency-tracking-info-percentiles', kind: 'special', multiArg: true },
];

/**
 * Beyond Redis: directives of our own. The HTTP listener (metrics, JSON, events), off while
 * http-port is 0; TLS for the proxies of `sentinel proxy-port`. redis-sentinel refuses these lines, so a config without them behaves as before.
 */
export const ADDITIONAL_DIRECTIVES: readonly DirectiveSpec[] = [
  { name: 'http-port', kind: 'numeric', ctype: 'int', min: 0n, max: 65535n, default: 0n, format: 'integer' },
  { name: 'http-bind', kind: 'string', default: '127.0.0.1', emptyIsNull: false },
  { name: 'http-token', kind: 'string', default: null, emptyIsNull: true },
  { name: 'http-tls', kind: 'bool', default: false },
  // The built-in proxy's client side speaks TLS, with the RESP port's certificate.
  { name: 'proxy-tls', kind: 'bool', default: false },
];

/**
 * Recognised by the loader although they are not in the table: accepted and
 * ignored when they have exactly one argument. A rewrite comments them out
 * (`# ??? ...`) because it does not know them.
 */
export const DEPRECATED_DIRECTIVES: readonly string[] = ['list-max-ziplist-entries', 'list-max-ziplist-value', 'lua-replicate-commands'];

/** Handled by the loader itself rather than through the table. */
export const LOADER_DIRECTIVES: readonly string[] = ['include', 'rename-command', 'user', 'loadmodule', 'sentinel'];

const BY_NAME = new Map<string, DirectiveSpec>();
for (const spec of [...DIRECTIVES, ...ADDITIONAL_DIRECTIVES]) {
  BY_NAME.set(spec.name, spec);
  if (spec.alias !== undefined) BY_NAME.set(spec.alias, spec);
}

/** The directive a name (or alias) refers to, case-insensitively. */
export function lookupDirective(name: string): DirectiveSpec | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/** The canonical name for a name or alias (`slaveof` -> `replicaof`); unknown names come back lower-cased. */
export function canonicalDirectiveName(name: string): string {
  const lower = name.toLowerCase();
  return BY_NAME.get(lower)?.name ?? lower;
}

/** Alias -> canonical name, e.g. `slave-priority` -> `replica-priority`. */
export const DIRECTIVE_ALIASES: ReadonlyMap<string, string> = new Map(
  DIRECTIVES.filter((s) => s.alias !== undefined).map((s) => [s.alias!, s.name]),
);

/** Every name the 7.0.15 loader accepts as a first token (table names, aliases, deprecated, loader-handled). */
export const ALL_DIRECTIVE_NAMES: ReadonlySet<string> = new Set([
  ...BY_NAME.keys(),
  ...DEPRECATED_DIRECTIVES,
  ...LOADER_DIRECTIVES,
]);

/**
 * The command table of a 7.0.15 sentinel: the only names a top-level
 * `rename-command` can rename (anything else is `No such command in rename-command`).
 */
export const SENTINEL_COMMAND_NAMES: readonly string[] = [
  'acl',
  'auth',
  'client',
  'command',
  'hello',
  'info',
  'ping',
  'psubscribe',
  'publish',
  'punsubscribe',
  'role',
  'sentinel',
  'shutdown',
  'subscribe',
  'unsubscribe',
];
