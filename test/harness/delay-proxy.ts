import type { Harness } from './harness.js';
import { freePort } from './ports.js';
import type { ManagedProcess } from './process.js';
import { LOOPBACK } from './redis-server.js';
import { waitFor } from './wait-for.js';

/**
 * The proxy itself, run by `node -e` in its own process so that the delays do
 * not depend on how busy the test worker's event loop is. argv: delay in ms,
 * then `listenPort:targetPort` pairs. Every chunk, in both directions, and the
 * end of a stream are forwarded `delay` ms after they arrived; timers of equal
 * duration fire in the order they were set, so the byte order is kept.
 */
const PROXY_SOURCE = String.raw`
const net = require('node:net');
const [delayArg, ...pairs] = process.argv.slice(1);
const delay = Number(delayArg);
function forward(from, to) {
  from.on('data', (chunk) => setTimeout(() => { if (!to.destroyed) to.write(chunk); }, delay));
  from.on('end', () => setTimeout(() => { if (!to.destroyed) to.end(); }, delay));
  from.on('error', () => setTimeout(() => to.destroy(), delay));
  from.on('close', () => setTimeout(() => to.destroy(), delay + 1));
}
for (const pair of pairs) {
  const [listen, target] = pair.split(':').map(Number);
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: target });
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    forward(client, upstream);
    forward(upstream, client);
  });
  server.on('error', (e) => { console.error('proxy ' + listen + ': ' + e.message); process.exit(1); });
  server.listen(listen, '127.0.0.1', () => console.log('listening ' + listen + ' -> ' + target));
}
`;

export interface DelayProxy {
  readonly delayMs: number;
  readonly process: ManagedProcess;
  /** Proxy port -> target port. */
  readonly ports: ReadonlyMap<number, number>;
  /** The proxy port in front of `target`. */
  portFor(target: number): number;
}

/**
 * One TCP proxy per target port on loopback, each adding `delayMs` to every
 * chunk in each direction (like `tc qdisc ... netem delay` on the interface:
 * a round trip through it costs 2 × delayMs more). One child process serves
 * every port; the harness kills it by PID at cleanup.
 */
export async function startDelayProxy(h: Harness, opts: { delayMs: number; targets: readonly number[]; name?: string }): Promise<DelayProxy> {
  const listen = new Map<number, number>();
  for (const target of opts.targets) listen.set(target, await freePort());
  const proc = h.startProcess({
    name: opts.name ?? 'delay-proxy',
    command: process.execPath,
    args: ['-e', PROXY_SOURCE, String(opts.delayMs), ...[...listen].map(([target, port]) => `${port}:${target}`)],
  });
  await waitFor(() => (proc.running ? (proc.log().match(/^listening /gm) ?? []).length : -1), {
    timeoutMs: 5000,
    intervalMs: 20,
    description: `the delay proxy to listen on ${listen.size} ports`,
    until: (n) => n === listen.size || n === -1,
  }).then((n) => {
    if (n === -1) throw new Error(`the delay proxy exited: ${proc.logTail(10)}`);
  });
  return {
    delayMs: opts.delayMs,
    process: proc,
    ports: new Map([...listen].map(([target, port]) => [port, target])),
    portFor(target: number): number {
      const port = listen.get(target);
      if (port === undefined) throw new Error(`no proxy in front of port ${target}`);
      return port;
    },
  };
}

/** `host:port` of each target -> its proxy, as ioredis's natMap and node-redis's nodeAddressMap take it. */
export function proxyAddressMap(proxy: DelayProxy): Record<string, { host: string; port: number }> {
  const map: Record<string, { host: string; port: number }> = {};
  for (const [port, target] of proxy.ports) map[`${LOOPBACK}:${target}`] = { host: LOOPBACK, port };
  return map;
}
