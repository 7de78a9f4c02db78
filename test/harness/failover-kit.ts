import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventCollector, SentinelEvent } from './events.js';
import type { Harness } from './harness.js';
import { rawCommand } from './raw-client.js';
import { showResp } from './resp.js';
import type { SentinelProcess } from './sentinel.js';
import { startTopology, waitForDiscovery, type Topology, type TopologyOptions } from './topology.js';
import { waitFor } from './wait-for.js';

/**
 * Pieces shared by the failover and script integration tests: shorter
 * sentinel periods through SENTINEL DEBUG (both implementations have it),
 * INFO replication probes, and event-sequence extraction.
 */

/**
 * INFO every second for every instance (the master's replicas are found and
 * refreshed quickly) and a hello every 500 ms (followers switch quickly and a
 * returning old master is converted after 4 × 500 ms instead of 8 s).
 */
export const FAST_DEBUG: readonly string[] = ['info-period', '1000', 'publish-period', '500'];

/** `SENTINEL DEBUG <param> <value> ...`; fails unless the sentinel answered +OK. */
export async function sentinelDebug(port: number, params: readonly string[]): Promise<void> {
  const reply = await rawCommand(port, ['SENTINEL', 'DEBUG', ...params]);
  if (reply.value.type !== 'simple' || reply.value.value !== 'OK') {
    throw new Error(`SENTINEL DEBUG ${params.join(' ')} on port ${port}: ${showResp(reply.value)}`);
  }
}

/** A sentinel command's reply as text: `+OK` / `-ERR ...` / the bulk string, for exact comparisons. */
export async function sentinelReply(port: number, args: readonly string[]): Promise<string> {
  const { value } = await rawCommand(port, args);
  if (value.type === 'simple') return `+${value.value}`;
  if (value.type === 'error') return `-${value.value}`;
  if (value.type === 'bulk') return value.value;
  return showResp(value);
}

/** The master's port as the sentinel on `sentinelPort` answers GET-MASTER-ADDR-BY-NAME; 0 when it names none. */
export async function masterPortOf(sentinelPort: number, masterName: string): Promise<number> {
  const reply = await rawCommand(sentinelPort, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName]);
  if (reply.value.type !== 'array') return 0;
  const port = reply.value.items[1];
  return port?.type === 'bulk' ? Number(port.value) : 0;
}

/** `INFO <section>` of a redis-server as `field -> value`. */
export async function infoFields(port: number, section = 'replication'): Promise<Record<string, string>> {
  const reply = await rawCommand(port, ['INFO', section], { timeoutMs: 1000 });
  if (reply.value.type !== 'bulk') throw new Error(`INFO ${section} on port ${port}: ${showResp(reply.value)}`);
  const fields: Record<string, string> = {};
  for (const line of reply.value.value.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return fields;
}

/** Waits until the server on `port` is a replica of `masterPort` with its link up. */
export async function waitForReplicaOf(port: number, masterPort: number, timeoutMs: number): Promise<Record<string, string>> {
  return waitFor(() => infoFields(port), {
    timeoutMs,
    intervalMs: 100,
    description: `the server on port ${port} to replicate from port ${masterPort} with master_link_status:up`,
    until: (i) => i.role === 'slave' && i.master_port === String(masterPort) && i.master_link_status === 'up',
  });
}

/** Starts a topology, shortens the sentinels' periods, waits for full discovery. */
export async function startTunedTopology(
  h: Harness,
  opts: TopologyOptions & { debug?: readonly string[]; discoveryTimeoutMs?: number },
): Promise<Topology> {
  const t = await startTopology(h, opts);
  await Promise.all(t.sentinels.map((s) => sentinelDebug(s.port, opts.debug ?? FAST_DEBUG)));
  await waitForDiscovery(h, t, opts.discoveryTimeoutMs ?? 20_000);
  return t;
}

/** The `%@` text of a master, as events print it. */
export function masterAt(name: string, server: { host: string; port: number }): string {
  return `master ${name} ${server.host} ${server.port}`;
}

/** The `%@` text of a replica of `master`, as events print it. */
export function replicaAt(replica: { host: string; port: number }, masterName: string, master: { host: string; port: number }): string {
  return `slave ${replica.host}:${replica.port} ${replica.host} ${replica.port} @ ${masterName} ${master.host} ${master.port}`;
}

/** `channel message` lines of the events received since `since`, in arrival order. */
export function eventLines(events: readonly SentinelEvent[], opts: { since?: number; channels?: ReadonlySet<string> } = {}): string[] {
  return events
    .filter((e) => (opts.since === undefined || e.time >= opts.since) && (!opts.channels || opts.channels.has(e.channel)))
    .map((e) => `${e.channel} ${e.message}`);
}

/** How many events of this channel the collector received (since `since`). */
export function countEvents(c: EventCollector, channel: string, since?: number): number {
  return c.all({ channel, since }).length;
}

/** Every received event, one per line, for assertion messages. */
export function dumpEvents(c: EventCollector): string {
  return c.events.map((e) => `  ${e.channel} ${e.message}`).join('\n') || '  (none)';
}

/** The one sentinel (by index) whose collector saw `channel`; fails on none or several. */
export function theOneThatSaw(collectors: readonly EventCollector[], channel: string, since?: number): number {
  const which = collectors.flatMap((c, i) => (c.find({ channel, since }) ? [i] : []));
  if (which.length !== 1) {
    throw new Error(
      `expected exactly one sentinel to publish ${channel}, got ${which.length}:\n` +
        collectors.map((c) => `port ${c.port}:\n${dumpEvents(c)}`).join('\n'),
    );
  }
  return which[0];
}

/** The `sentinel monitor` line of a config file, e.g. `sentinel monitor mymaster 127.0.0.1 6380 2`. */
export function monitorLine(s: SentinelProcess, masterName: string): string | undefined {
  return s.configLines(`sentinel monitor ${masterName}`)[0];
}

/** The value of a one-word config directive such as `sentinel config-epoch mymaster`. */
export function configValue(s: SentinelProcess, prefix: string): string | undefined {
  const line = s.configLines(prefix)[0];
  return line?.slice(prefix.length).trim();
}

/**
 * An executable shell script `<dir>/<name>.sh` that appends its argv (after
 * the script path, joined by `|`) as one line to a log, then runs `tail`
 * (more shell, e.g. `exit 1`). The log is `<dir>/<name>.log`, or with
 * `logInCwd` `<name>.log` in the directory the script runs in (a sentinel
 * runs its scripts in its own `dir`), so one script serves several sentinels.
 */
export function writeArgvScript(dir: string, name: string, opts: { tail?: string; logInCwd?: boolean } = {}): { path: string; logPath: string } {
  const path = join(dir, `${name}.sh`);
  const logPath = opts.logInCwd ? `${name}.log` : join(dir, `${name}.log`);
  writeFileSync(path, `#!/bin/sh\nIFS='|'\necho "$*" >> '${logPath}'\n${opts.tail ?? 'exit 0'}\n`);
  chmodSync(path, 0o755);
  return { path, logPath };
}

/** The lines a script written by `writeArgvScript` logged so far. */
export function scriptLog(logPath: string): string[] {
  if (!existsSync(logPath)) return [];
  return readFileSync(logPath, 'utf8').split('\n').filter(Boolean);
}

/** The channels a failover's leader publishes, in order; tests ignore the others. */
export const FAILOVER_CHANNELS: ReadonlySet<string> = new Set([
  '+sdown', '+odown', '+new-epoch', '+try-failover', '+vote-for-leader', '+elected-leader',
  '+failover-state-select-slave', '+selected-slave', '+failover-state-send-slaveof-noone',
  '+failover-state-wait-promotion', '+promoted-slave', '+failover-state-reconf-slaves',
  '+slave-reconf-sent', '+slave-reconf-inprog', '+slave-reconf-done', '+failover-end',
  '+switch-master', '+slave', '-failover-abort-not-elected', '-failover-abort-no-good-slave',
  '-failover-abort-slave-timeout', '+failover-end-for-timeout',
]);
