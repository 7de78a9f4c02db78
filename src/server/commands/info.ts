import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { MasterSummary, SentinelInfo } from '../../core/operations.js';
import { array, bulk, bulkArray } from '../../resp/reply.js';
import type { CommandHandler, ServerContext } from '../context.js';

const SECTIONS = ['server', 'clients', 'stats', 'cpu', 'sentinel'] as const;
type Section = (typeof SECTIONS)[number];
const ALL_SECTIONS_KEYWORDS = new Set(['all', 'default', 'everything']);

/**
 * INFO [section ...]: only the five sections a sentinel has; any other name
 * selects nothing. Sections are separated by an empty line.
 */
export const info: CommandHandler = (ctx) => {
  const wanted = ctx.argc === 1 ? ALL_SECTIONS : selectSections(ctx.argv.slice(1).map((_, i) => ctx.keyword(i + 1)));
  let text = '';
  for (const s of SECTIONS) {
    if (!wanted.has(s)) continue;
    if (text !== '') text += '\r\n';
    text += SECTION_TEXT[s](ctx.server);
  }
  return bulk(text);
};

export const role: CommandHandler = (ctx) => array([bulk('sentinel'), bulkArray(ctx.server.hooks.masterNames())]);

const ALL_SECTIONS: ReadonlySet<Section> = new Set(SECTIONS);

export function selectSections(names: string[]): Set<Section> {
  if (names.length === 0 || names.some((n) => ALL_SECTIONS_KEYWORDS.has(n))) return new Set(SECTIONS);
  return new Set(SECTIONS.filter((s) => names.includes(s)));
}

/** `# Title` and `key:value` lines, each ending in CRLF. */
function section(title: string, fields: Array<[string, string | number]>): string {
  let text = `# ${title}\r\n`;
  for (let i = 0; i < fields.length; i++) text += `${fields[i][0]}:${fields[i][1]}\r\n`;
  return text;
}

const SECTION_TEXT: Record<Section, (server: ServerContext) => string> = {
  server: serverSection,
  clients: clientsSection,
  stats: statsSection,
  cpu: cpuSection,
  sentinel: (server) => sentinelSection(server.hooks.sentinelInfo()),
};

/** Build facts of the Debian redis-sentinel 7.0.15 this replaces, for tools that print them. */
const BUILD = {
  version: '7.0.15',
  gitSha1: '00000000',
  gitDirty: 0,
  buildId: 'ae4d7c971a948f0',
  gccVersion: '12.2.0',
};
/** Redis's LRU clock: seconds, 24 bits. */
const LRU_CLOCK_MAX = 0xffffff;

function serverSection(server: ServerContext): string {
  const { identity } = server;
  const now = server.now();
  const uptime = Math.max(0, Math.floor((now - identity.startTime) / 1000));
  return section('Server', [
    ['redis_version', BUILD.version],
    ['redis_git_sha1', BUILD.gitSha1],
    ['redis_git_dirty', BUILD.gitDirty],
    ['redis_build_id', BUILD.buildId],
    ['redis_mode', 'sentinel'],
    ['os', OS_TEXT],
    ['arch_bits', process.arch.endsWith('64') ? 64 : 32],
    ['monotonic_clock', 'POSIX clock_gettime'],
    ['multiplexing_api', MULTIPLEXING_API],
    ['atomicvar_api', 'c11-builtin'],
    ['gcc_version', BUILD.gccVersion],
    ['process_id', process.pid],
    ['process_supervised', identity.supervised],
    ['run_id', identity.runId],
    ['tcp_port', identity.port],
    ['server_time_usec', now * 1000],
    ['uptime_in_seconds', uptime],
    ['uptime_in_days', Math.floor(uptime / 86400)],
    ['hz', server.hooks.currentHz()],
    ['configured_hz', 10],
    ['lru_clock', Math.floor(now / 1000) & LRU_CLOCK_MAX],
    ['executable', identity.executable],
    ['config_file', server.hooks.configFile()],
    ['io_threads_active', 0],
  ]);
}

/** Read once: each of os.type(), release() and machine() is a uname() call. */
const OS_TEXT = `${os.type()} ${os.release()} ${os.machine()}`;
const MULTIPLEXING_API = multiplexingApi();

function multiplexingApi(): string {
  if (process.platform === 'linux') return 'epoll';
  if (process.platform === 'darwin' || process.platform.endsWith('bsd')) return 'kqueue';
  return 'select';
}

function clientsSection(server: ServerContext): string {
  const clients = server.clients();
  let maxInput = 0;
  let maxOutput = 0;
  let blocked = 0;
  let tracking = 0;
  for (const c of clients) {
    maxInput = Math.max(maxInput, c.queryCapacity);
    maxOutput = Math.max(maxOutput, c.outputBytes);
    if (c.blocked) blocked++;
    if (c.tracking !== null) tracking++;
  }
  return section('Clients', [
    ['connected_clients', clients.length],
    ['cluster_connections', 0],
    ['maxclients', server.identity.maxclients],
    ['client_recent_max_input_buffer', maxInput],
    ['client_recent_max_output_buffer', maxOutput],
    ['blocked_clients', blocked],
    ['tracking_clients', tracking],
    ['clients_in_timeout_table', 0],
  ]);
}

/** Distinct CLIENT TRACKING prefixes over all clients. */
function trackingPrefixes(server: ServerContext): number {
  let prefixes: Set<string> | null = null;
  for (const c of server.clients()) {
    if (c.tracking === null || c.tracking.prefixes.length === 0) continue;
    prefixes ??= new Set();
    for (const p of c.tracking.prefixes) prefixes.add(p);
  }
  return prefixes === null ? 0 : prefixes.size;
}

function statsSection(server: ServerContext): string {
  const { stats, pubsub } = server;
  return section('Stats', [
    ['total_connections_received', stats.connectionsReceived],
    ['total_commands_processed', stats.commandsProcessed],
    ['instantaneous_ops_per_sec', stats.opsPerSecond()],
    ['total_net_input_bytes', stats.netInputBytes],
    ['total_net_output_bytes', stats.netOutputBytes],
    ['total_net_repl_input_bytes', 0],
    ['total_net_repl_output_bytes', 0],
    ['instantaneous_input_kbps', stats.inputKbps().toFixed(2)],
    ['instantaneous_output_kbps', stats.outputKbps().toFixed(2)],
    ['instantaneous_input_repl_kbps', '0.00'],
    ['instantaneous_output_repl_kbps', '0.00'],
    ['rejected_connections', stats.rejectedConnections],
    ['sync_full', 0],
    ['sync_partial_ok', 0],
    ['sync_partial_err', 0],
    ['expired_keys', 0],
    ['expired_stale_perc', '0.00'],
    ['expired_time_cap_reached_count', 0],
    ['expire_cycle_cpu_milliseconds', 0],
    ['evicted_keys', 0],
    ['evicted_clients', 0],
    ['total_eviction_exceeded_time', 0],
    ['current_eviction_exceeded_time', 0],
    ['keyspace_hits', 0],
    ['keyspace_misses', 0],
    ['pubsub_channels', pubsub.channelCount],
    ['pubsub_patterns', pubsub.patternCount],
    ['pubsubshard_channels', 0],
    ['latest_fork_usec', 0],
    ['total_forks', 0],
    ['migrate_cached_sockets', 0],
    ['slave_expires_tracked_keys', 0],
    ['active_defrag_hits', 0],
    ['active_defrag_misses', 0],
    ['active_defrag_key_hits', 0],
    ['active_defrag_key_misses', 0],
    ['total_active_defrag_time', 0],
    ['current_active_defrag_time', 0],
    ['tracking_total_keys', 0],
    ['tracking_total_items', 0],
    ['tracking_total_prefixes', trackingPrefixes(server)],
    ['unexpected_error_replies', 0],
    ['total_error_replies', stats.errorReplies],
    ['dump_payload_sanitizations', 0],
    ['total_reads_processed', stats.readsProcessed],
    ['total_writes_processed', stats.writesProcessed],
    ['io_threaded_reads_processed', 0],
    ['io_threaded_writes_processed', 0],
    ['reply_buffer_shrinks', 0],
    ['reply_buffer_expands', 0],
  ]);
}

/**
 * getrusage() sums the time of every thread of the process (V8's and libuv's too): a few µs,
 * as much as the rest of INFO. A reading is reused for a millisecond, below what INFO shows
 * a change of at the rate clients can ask (and CPU time still never goes back).
 */
const CPU_USAGE_REUSE_MS = 1;
let cpuUsageRead: { at: number; usage: NodeJS.CpuUsage } | null = null;

function cpuUsage(): NodeJS.CpuUsage {
  const now = performance.now();
  if (cpuUsageRead === null || now - cpuUsageRead.at >= CPU_USAGE_REUSE_MS) cpuUsageRead = { at: now, usage: process.cpuUsage() };
  return cpuUsageRead.usage;
}

function cpuSection(): string {
  const usage = cpuUsage();
  const seconds = (micros: number) => (micros / 1e6).toFixed(6);
  return section('CPU', [
    ['used_cpu_sys', seconds(usage.system)],
    ['used_cpu_user', seconds(usage.user)],
    ['used_cpu_sys_children', '0.000000'],
    ['used_cpu_user_children', '0.000000'],
    ['used_cpu_sys_main_thread', seconds(usage.system)],
    ['used_cpu_user_main_thread', seconds(usage.user)],
  ]);
}

/** Sentinel-wide state, then one line per master, numbered from 0 in the order they are kept. */
export function sentinelSection(info: SentinelInfo): string {
  return section('Sentinel', [
    ['sentinel_masters', info.masters.length],
    ['sentinel_tilt', info.tiltMs === null ? 0 : 1],
    ['sentinel_tilt_since_seconds', info.tiltMs === null ? -1 : Math.floor(info.tiltMs / 1000)],
    ['sentinel_running_scripts', info.runningScripts],
    ['sentinel_scripts_queue_length', info.queuedScripts],
    ['sentinel_simulate_failure_flags', info.simulatedFailureFlags],
    ...info.masters.map((m, i): [string, string] => [`master${i}`, masterLine(m)]),
  ]);
}

function masterLine(m: MasterSummary): string {
  return `name=${m.name},status=${m.status},address=${m.host}:${m.port},slaves=${m.replicas},sentinels=${m.sentinels}`;
}
