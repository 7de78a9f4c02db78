import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Harness } from '../../harness/harness.js';
import { freePort } from '../../harness/ports.js';
import type { ManagedProcess } from '../../harness/process.js';
import { rawCommand } from '../../harness/raw-client.js';
import { LOOPBACK } from '../../harness/redis-server.js';
import { waitFor } from '../../harness/wait-for.js';

export const HAPROXY_BIN = process.env.HAPROXY_BIN ?? 'haproxy';

/**
 * The usual HAProxy setup in front of a Sentinel-managed group: every server
 * is checked with INFO replication and only the one reporting role:master
 * gets traffic; sessions to a server marked down are cut so that clients
 * reconnect to the new master.
 */
export function haproxyConfig(frontendPort: number, serverPorts: readonly number[], checkIntervalMs = 200): string {
  return [
    'global',
    '  maxconn 1024',
    'defaults',
    '  mode tcp',
    '  timeout connect 1s',
    '  timeout client 1m',
    '  timeout server 1m',
    '  timeout check 500ms',
    'frontend redis_write',
    `  bind ${LOOPBACK}:${frontendPort}`,
    '  default_backend redis_master',
    'backend redis_master',
    '  option tcp-check',
    '  tcp-check connect',
    '  tcp-check send PING\\r\\n',
    '  tcp-check expect string +PONG',
    '  tcp-check send info\\ replication\\r\\n',
    '  tcp-check expect string role:master',
    '  tcp-check send QUIT\\r\\n',
    '  tcp-check expect string +OK',
    ...serverPorts.map((p) => `  server redis-${p} ${LOOPBACK}:${p} check inter ${checkIntervalMs}ms fall 2 rise 2 on-marked-down shutdown-sessions`),
    '',
  ].join('\n');
}

export interface HaproxyProcess {
  port: number;
  process: ManagedProcess;
}

/** HAProxy in the foreground as a child process of the harness, ready once a PING through it reaches a master. */
export async function startHaproxy(h: Harness, serverPorts: readonly number[], checkIntervalMs?: number): Promise<HaproxyProcess> {
  const port = await freePort();
  const configPath = join(h.root, 'haproxy.cfg');
  writeFileSync(configPath, haproxyConfig(port, serverPorts, checkIntervalMs));
  const proc = h.startProcess({ name: 'haproxy', command: HAPROXY_BIN, args: ['-db', '-f', configPath] });
  await waitFor(
    async () => {
      if (!proc.running) throw new Error(`haproxy exited ${JSON.stringify(proc.exited)}: ${proc.logTail(10)}`);
      const reply = await rawCommand(port, ['PING'], { timeoutMs: 500 });
      return reply.value.type === 'simple' && reply.value.value === 'PONG';
    },
    { timeoutMs: 10_000, intervalMs: 100, description: `HAProxy on port ${port} to route a PING to the master` },
  );
  return { port, process: proc };
}
