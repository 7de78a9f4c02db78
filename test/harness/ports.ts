import { createServer } from 'node:net';

/** Ports other tooling on the CI hosts owns; never hand them out. */
const RESERVED_RANGES: ReadonlyArray<readonly [number, number]> = [
  [20000, 20010],
  [30000, 30010],
];

const handedOut = new Set<number>();

function reserved(port: number): boolean {
  return RESERVED_RANGES.some(([lo, hi]) => port >= lo && port <= hi);
}

function ephemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('listen on 127.0.0.1:0 gave no port'));
      });
    });
  });
}

/**
 * A loopback port the OS just found free, outside the reserved ranges and not
 * handed out before by this process. Something else may still take it before
 * our child binds it; starters retry on "Address already in use".
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await ephemeralPort();
    if (reserved(port) || handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('could not find a free loopback port in 50 attempts');
}

const LOW_PORT_MIN = 10000;
const LOW_PORT_END = 32768;

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * A free loopback port below 32768, for a process that must listen outside Linux's
 * ephemeral range (32768-60999), where a port found free can be taken meanwhile by
 * any outgoing connection on the machine; same rules as `freePort` otherwise.
 */
export async function freeLowPort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOW_PORT_MIN + Math.floor(Math.random() * (LOW_PORT_END - LOW_PORT_MIN));
    if (reserved(port) || handedOut.has(port)) continue;
    if (!(await bindable(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`could not find a free loopback port below ${LOW_PORT_END} in 200 attempts`);
}

/** Several distinct free ports at once. */
export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < count; i++) ports.push(await freePort());
  return ports;
}
