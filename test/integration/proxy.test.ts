import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { freeLowPort, pidAlive, procStatusField, RawConnection, rawCommand, residentBytes, useHarness, waitFor, type SentinelProcess } from '../harness/index.js';
import { makeCertificates, tlsCommand } from '../harness/tls.js';
import { FAST_DEBUG, infoFields, masterPortOf, sentinelDebug, startTunedTopology, waitForReplicaOf } from '../harness/failover-kit.js';

/**
 * Beyond Redis: `sentinel proxy-port` / `proxy-replicas-port`. Plain clients (no Sentinel
 * support) connect to a sentinel's proxy port and reach the master (or a healthy replica) as
 * that sentinel knows it; a failover cuts their sessions and new ones reach the new master.
 */

const MASTER = 'mymaster';

/** The port of the redis-server a connection through `port` reached. */
async function reachedPort(port: number): Promise<number> {
  const reply = await rawCommand(port, ['CONFIG', 'GET', 'port'], { timeoutMs: 3000 });
  if (reply.value.type !== 'array') throw new Error(`CONFIG GET port through ${port}: ${JSON.stringify(reply.value)}`);
  const second = reply.value.items[1];
  if (second?.type !== 'bulk') throw new Error('no port in CONFIG GET port');
  return Number(second.value);
}

/** Waits for the sentinel to name a master other than `oldPort` and for the proxy to route there; returns its port. */
async function proxyFollowsSwitch(via: SentinelProcess, oldPort: number, proxyPort: number): Promise<number> {
  const newMaster = await waitFor(() => masterPortOf(via.port, MASTER), { timeoutMs: 15_000, description: 'a new master', until: (p) => p !== oldPort && p !== 0 });
  await waitFor(() => reachedPort(proxyPort), { timeoutMs: 5000, description: 'the proxy to route to the new master', until: (p) => p === newMaster });
  expect((await infoFields(proxyPort)).role).toBe('master');
  expect(via.process.log()).toMatch(new RegExp(`\\+proxy-route master ${MASTER} 127\\.0\\.0\\.1:${oldPort} -> `));
  return newMaster;
}

/** The PIDs of `parent`'s proxy workers, from /proc. */
function proxyWorkers(parent: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return ppid === parent && readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('pipe-worker.js');
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

/** A plain connection through `port` that sends `request` and does not read until told to. */
async function slowReader(port: number, request: string): Promise<{ socket: Socket; readAll: (bytes: number) => Promise<Buffer> }> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.pause();
  socket.write(request);
  const readAll = (bytes: number) =>
    new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let got = 0;
      socket.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        got += chunk.length;
        if (got >= bytes) resolve(Buffer.concat(chunks));
      });
      socket.once('error', reject).once('close', () => resolve(Buffer.concat(chunks)));
      socket.resume();
    });
  return { socket, readAll };
}

async function sentinelSet(port: number, option: string, value: string): Promise<void> {
  const reply = await rawCommand(port, ['SENTINEL', 'SET', MASTER, option, value]);
  expect(reply.value).toEqual({ type: 'simple', value: 'OK' });
}

describe('proxy', () => {
  const h = useHarness('proxy', { scope: 'test' });

  async function topology(extraLines: (proxyPort: number, replicasPort: number) => string[] = () => [], opts: { plainProbe?: boolean } = {}) {
    const proxyPort = await freeLowPort();
    const replicasPort = await freeLowPort();
    const t = await startTunedTopology(h, {
      replicas: 2,
      sentinels: ['ours', 'ours', 'ours'],
      quorum: 2,
      downAfterMs: 1000,
      failoverTimeoutMs: 5000,
      sentinelConfigLines: (i: number) =>
        i === 0 ? [`sentinel proxy-port ${MASTER} ${proxyPort}`, `sentinel proxy-replicas-port ${MASTER} ${replicasPort}`, ...extraLines(proxyPort, replicasPort)] : [],
    });
    if (opts.plainProbe !== false) {
      await waitFor(() => reachedPort(proxyPort), { timeoutMs: 5000, description: 'the proxy to route to the master', until: (p) => p === t.master.port });
    }
    return { t, proxyPort, replicasPort, via: t.sentinels[0] };
  }

  it('routes a plain client to the master, and read-only clients over the healthy replicas', async () => {
    const { t, proxyPort, replicasPort, via } = await topology();
    // Kept by the config rewrites like any line.
    await waitFor(() => via.configLines('sentinel myid'), { timeoutMs: 5000, description: 'the first rewrite', until: (l) => l.length === 1 });
    expect(via.configLines('sentinel proxy-port')).toEqual([`sentinel proxy-port ${MASTER} ${proxyPort}`]);
    expect(via.configLines('sentinel proxy-replicas-port')).toEqual([`sentinel proxy-replicas-port ${MASTER} ${replicasPort}`]);
    const client = h.client(proxyPort);
    await client.set('k', 'v');
    expect(await client.get('k')).toBe('v');
    expect((await infoFields(proxyPort)).role).toBe('master');

    const seen = new Set<number>();
    for (let i = 0; i < 6; i++) seen.add(await reachedPort(replicasPort));
    expect([...seen].sort()).toEqual(t.replicas.map((r) => r.port).sort());
    expect((await infoFields(replicasPort)).role).toBe('slave');
  });

  it('new connections reach the new master after a kill -9 failover', async () => {
    const { t, proxyPort, via } = await topology();
    t.master.kill('SIGKILL');
    await proxyFollowsSwitch(via, t.master.port, proxyPort);
  });

  it('cuts the sessions to the old master at SENTINEL FAILOVER, while the old master is still up; metrics and JSON say so', async () => {
    const httpPort = await freeLowPort();
    const { t, proxyPort, via } = await topology(() => [`http-port ${httpPort}`]);
    const session = h.client(proxyPort, { retryStrategy: () => null });
    await session.ping();
    const closed = new Promise<void>((resolve) => session.once('close', () => resolve()));
    await waitFor(() => rawCommand(via.port, ['SENTINEL', 'FAILOVER', MASTER]), {
      timeoutMs: 10_000,
      description: 'SENTINEL FAILOVER to be accepted',
      until: (r) => r.value.type === 'simple',
    });
    await closed;
    expect((await infoFields(t.master.port)).role, 'the old master was up when the session was cut').toBeDefined();
    await via.process.waitForLog(new RegExp(`-proxy-sessions master ${MASTER} 1 cut`), { timeoutMs: 2000 });
    const newMaster = await proxyFollowsSwitch(via, t.master.port, proxyPort);

    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    const labels = `master_name="${MASTER}",role="master"`;
    expect(metrics).toContain(`sentinel_proxy_route{${labels},address="127.0.0.1:${newMaster}"} 1`);
    expect(metrics).not.toContain(`sentinel_proxy_route{${labels},address="127.0.0.1:${t.master.port}"}`);
    expect(Number(new RegExp(`sentinel_proxy_sessions_cut_total\\{${labels}\\} (\\d+)`).exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    expect(Number(new RegExp(`sentinel_proxy_route_changes_total\\{${labels}\\} (\\d+)`).exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    expect(Number(new RegExp(`sentinel_proxy_bytes_total\\{${labels},direction="to_client"\\} (\\d+)`).exec(metrics)?.[1])).toBeGreaterThan(0);
    const master = (await (await fetch(`http://127.0.0.1:${httpPort}/v1/masters/${MASTER}`)).json()) as { proxies: Array<{ role: string; port: number; routesTo: string[] }> };
    expect(master.proxies.find((p) => p.role === 'master')).toMatchObject({ port: proxyPort, routesTo: [`127.0.0.1:${newMaster}`] });
  });

  it('never routes to a restarted old master that still says role:master', async () => {
    const { t, proxyPort, via } = await topology();
    const oldPort = t.master.port;
    t.master.kill('SIGKILL');
    const newMaster = await waitFor(() => masterPortOf(via.port, MASTER), { timeoutMs: 15_000, description: 'a new master', until: (p) => p !== oldPort && p !== 0 });
    await t.master.restart();
    // The old master answers role:master until a sentinel converts it; through the proxy every
    // connection must reach the new master meanwhile.
    const reached: number[] = [];
    let oldSaidMaster = 0;
    const until = Date.now() + 6000;
    let converted = false;
    while (Date.now() < until && !converted) {
      reached.push(await reachedPort(proxyPort));
      const old = await infoFields(oldPort).catch(() => ({}) as Record<string, string>);
      if (old.role === 'master') oldSaidMaster++;
      converted = old.role === 'slave';
    }
    expect(oldSaidMaster, 'the window in which the restarted old master said role:master').toBeGreaterThan(0);
    expect(new Set(reached)).toEqual(new Set([newMaster]));
    await waitForReplicaOf(oldPort, newMaster, 15_000);
  });

  it('holds new connections while the failover has not promoted a replica, then lets them through to the new master', async () => {
    const { t, proxyPort, via } = await topology();
    await Promise.all(t.sentinels.map((s) => sentinelDebug(s.port, FAST_DEBUG)));
    // This sentinel must be the one that sees the master down and fails over: the others, slower
    // to judge, could otherwise switch before it sees the master down, with nothing to hold for.
    await sentinelSet(via.port, 'quorum', '1');
    for (const other of t.sentinels.slice(1)) await sentinelSet(other.port, 'down-after-milliseconds', '3000');
    t.master.kill('SIGKILL');
    await via.process.waitForLog(new RegExp(`\\+proxy-route master ${MASTER} \\S+ -> none`), { timeoutMs: 10_000 });
    const started = Date.now();
    const port = await reachedPort(proxyPort);
    expect(port).not.toBe(t.master.port);
    expect(port).toBe(await masterPortOf(via.port, MASTER));
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('pipes sessions in one worker process per CPU; a worker that dies is replaced; the workers end with the sentinel', async () => {
    const httpPort = await freeLowPort();
    const { proxyPort, via } = await topology(() => [`http-port ${httpPort}`]);
    const workers = proxyWorkers(via.pid);
    expect(workers).toHaveLength(availableParallelism());
    // Each on a CPU of its own (with more than one CPU).
    const onOwnCpu = (pids: number[]) =>
      waitFor(() => pids.map((pid) => procStatusField(pid, 'Cpus_allowed_list')), { timeoutMs: 3000, description: 'each worker on a CPU of its own', until: (cpus) => new Set(cpus).size === pids.length && cpus.every((c) => /^\d+$/.test(c)) });
    if (availableParallelism() > 1) await onOwnCpu(workers);
    else console.warn('*** NOT CHECKED: proxy workers kept on their own CPUs (this machine has one CPU) ***');
    const clients = [h.client(proxyPort), h.client(proxyPort), h.client(proxyPort)];
    await Promise.all(clients.map((c, i) => c.set(`k${i}`, 'v')));
    // Byte counts come from the workers, at most half a second late.
    const toServer = new RegExp(`sentinel_proxy_bytes_total\\{master_name="${MASTER}",role="master",direction="to_server"\\} (\\d+)`);
    await waitFor(async () => Number(toServer.exec(await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text())?.[1]), {
      timeoutMs: 3000,
      description: 'the bytes piped by the workers in the metrics',
      until: (bytes) => bytes > 0,
    });

    // Wherever the three sessions are, killing every worker closes them all.
    const closed = clients.map((c) => new Promise<void>((resolve) => c.once('close', () => resolve())));
    for (const pid of workers) process.kill(pid, 'SIGKILL');
    for (const pid of workers) await via.process.waitForLog(new RegExp(`Proxy worker ${pid} exited`), { timeoutMs: 5000 });
    await Promise.all(closed);
    await waitFor(() => proxyWorkers(via.pid), { timeoutMs: 5000, description: 'new workers', until: (w) => w.length === workers.length && w.every((pid) => !workers.includes(pid)) });
    if (availableParallelism() > 1) await onOwnCpu(proxyWorkers(via.pid));
    const again = [h.client(proxyPort), h.client(proxyPort), h.client(proxyPort)];
    for (const c of again) expect(await c.get('k0')).toBe('v');

    const now = proxyWorkers(via.pid);
    via.kill('SIGKILL');
    await waitFor(() => now.filter(pidAlive), { timeoutMs: 5000, description: 'the workers to exit with the sentinel', until: (w) => w.length === 0 });
  });

  it('carries large replies to a client that reads slowly without buffering them, and what Redis says before it closes', async () => {
    const { proxyPort, via } = await topology();
    const value = randomBytes(4 * 1024 * 1024).toString('hex');
    await h.client(proxyPort).set('big', value);
    const reply = `$${value.length}\r\n${value}\r\n`;
    const workers = proxyWorkers(via.pid);
    const workersResident = () => workers.reduce((sum, pid) => sum + residentBytes(pid), 0);
    const before = workersResident();

    // 32 MB of replies asked for and not read: the worker stops reading from Redis once the
    // client's socket is full, instead of holding what Redis sends.
    const slow = await slowReader(proxyPort, 'GET big\r\n'.repeat(4));
    try {
      await waitFor(() => h.client(proxyPort).info('clients'), {
        timeoutMs: 5000,
        description: 'Redis holding the replies the proxy did not take',
        until: (info) => Number(/client_recent_max_output_buffer:(\d+)/.exec(info)?.[1]) > 8 * 1024 * 1024,
      });
      expect(await h.client(proxyPort).ping()).toBe('PONG');
      expect(workersResident() - before).toBeLessThan(8 * 1024 * 1024);
      const got = await slow.readAll(reply.length * 4);
      expect(got.length).toBe(reply.length * 4);
      expect(got.toString() === reply.repeat(4)).toBe(true);
    } finally {
      slow.socket.destroy();
    }

    const quit = await slowReader(proxyPort, 'SET after quit\r\nQUIT\r\n');
    try {
      expect((await quit.readAll(Number.MAX_SAFE_INTEGER)).toString()).toBe('+OK\r\n+OK\r\n');
    } finally {
      quit.socket.destroy();
    }
    expect(await h.client(proxyPort).get('after')).toBe('quit');
  });

  it('speaks TLS to clients with the RESP port certificate when proxy-tls is yes', async () => {
    const certs = makeCertificates(h.root);
    const tlsLines = [`tls-cert-file ${certs.certFile}`, `tls-key-file ${certs.keyFile}`, `tls-ca-cert-file ${certs.caFile}`, 'tls-auth-clients no', 'proxy-tls yes'];
    const { proxyPort } = await topology(() => tlsLines, { plainProbe: false });
    const role = await waitFor(() => tlsCommand(proxyPort, ['ROLE'], certs.client), { timeoutMs: 5000, description: 'ROLE over TLS through the proxy' });
    expect(role.type === 'array' && role.items[0].type === 'bulk' && String(role.items[0].value)).toBe('master');
    await expect(rawCommand(proxyPort, ['PING'], { timeoutMs: 1000 })).rejects.toThrow();
  });

  it('passes AUTH through to Redis untouched', async () => {
    const { proxyPort } = await topology();
    await h.client(proxyPort).call('ACL', 'SETUSER', 'app', 'on', '>app-secret', '~*', '+@all');
    const wrong = await rawCommand(proxyPort, ['AUTH', 'app', 'nope']);
    expect(wrong.value).toEqual({ type: 'error', value: 'WRONGPASS invalid username-password pair or user is disabled.' });
    const app = h.client(proxyPort, { username: 'app', password: 'app-secret' });
    expect(await app.call('ACL', 'WHOAMI')).toBe('app');
  });

  it("listens on Redis's default bind addresses (no bind line: * -::*) as the sentinel port does", async () => {
    // The harness writes `bind 127.0.0.1`; a later bind line replaces it, as in Redis.
    const { t, proxyPort } = await topology(() => ['bind * -::*']);
    expect(await reachedPort(proxyPort)).toBe(t.master.port);
    const viaIpv6 = await RawConnection.open(proxyPort, { host: '::1', timeoutMs: 3000 }).catch((e: NodeJS.ErrnoException) => e);
    if (viaIpv6 instanceof Error && ['EADDRNOTAVAIL', 'ENETUNREACH', 'EAFNOSUPPORT'].includes(viaIpv6.code ?? '')) {
      console.warn(`*** NOT CHECKED: the proxy on ::1 (this machine has no IPv6 loopback: ${viaIpv6.code}) ***`);
      return;
    }
    if (viaIpv6 instanceof Error) throw viaIpv6;
    try {
      const role = (await viaIpv6.command(['ROLE'])).value;
      expect(role.type === 'array' && role.items[0]).toEqual({ type: 'bulk', value: 'master' });
    } finally {
      viaIpv6.close();
    }
  });
});
