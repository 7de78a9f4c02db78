import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { beforeAll, describe, it } from 'vitest';
import { useHarness, waitFor } from '../harness/index.js';
import { redisCli } from '../harness/redis-cli.js';
import type { SentinelImpl } from '../harness/sentinel.js';
import { fields, makeCertificates, startTlsRedis, startTlsSentinel, tlsCommand, type TestCertificates, type TlsProcess } from '../harness/tls.js';

/**
 * TLS as redis-sentinel 7.0 does it: sentinels with `port 0` and a `tls-port` only, watching
 * redis-servers that listen with TLS only, every link over TLS (`tls-replication yes`); the
 * group discovers itself (hellos announce the TLS port) and fails over; clients reach ours
 * over TLS, and a client without a certificate or without TLS is refused and logged as Redis logs it.
 */

const DISCOVERY_MS = 20_000;
const FAILOVER_MS = 30_000;

async function masterFields(s: TlsProcess, certs: TestCertificates): Promise<Record<string, string>> {
  return fields(await tlsCommand(s.port, ['SENTINEL', 'MASTER', 'm'], certs.client));
}

async function masterPort(s: TlsProcess, certs: TestCertificates): Promise<number | null> {
  const v = await tlsCommand(s.port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'm'], certs.client).catch(() => null);
  return v?.type === 'array' && v.items[1]?.type === 'bulk' ? Number(v.items[1].value.toString()) : null;
}

/** A master and its replica with TLS only, and three sentinels of the given kinds watching them (quorum 2). */
async function tlsGroup(h: ReturnType<typeof useHarness>, certs: TestCertificates, impls: SentinelImpl[]) {
  const master = await startTlsRedis(h, certs);
  const replica = await startTlsRedis(h, certs, master.port);
  const sentinels = await Promise.all(impls.map((impl) => startTlsSentinel(h, certs, impl, master.port, 2)));
  for (const s of sentinels) {
    await waitFor(() => masterFields(s, certs).catch(() => ({}) as Record<string, string>), {
      timeoutMs: DISCOVERY_MS,
      intervalMs: 250,
      description: `sentinel on ${s.port} to find the replica and both peers over TLS`,
      until: (f) => f['num-slaves'] === '1' && f['num-other-sentinels'] === '2' && f['flags'] === 'master',
    });
  }
  return { master, replica, sentinels };
}

/** kill -9 of the master: every sentinel names the replica as master. */
async function failsOver(group: Awaited<ReturnType<typeof tlsGroup>>, certs: TestCertificates): Promise<void> {
  group.master.proc.kill('SIGKILL');
  for (const s of group.sentinels) {
    await waitFor(() => masterPort(s, certs), {
      timeoutMs: FAILOVER_MS,
      intervalMs: 250,
      description: `sentinel on ${s.port} to switch to the replica`,
      until: (p) => p === group.replica.port,
    });
  }
}

function python(script: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    execFile('/usr/bin/python3', ['-c', script, ...args], { timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, out: `${stdout}${stderr}` });
    });
  });
}

const REDIS_PY_OVER_TLS = `
import sys
from redis.sentinel import Sentinel
port, ca, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
tls = dict(ssl=True, ssl_ca_certs=ca, ssl_certfile=cert, ssl_keyfile=key)
s = Sentinel([('127.0.0.1', port)], sentinel_kwargs=tls, socket_timeout=5, **tls)
print('master', s.discover_master('m')[1])
m = s.master_for('m', socket_timeout=5, **tls)
m.set('py-key', 'py-value')
print('read', m.get('py-key').decode())
`;

describe('TLS on every link', () => {
  const h = useHarness('tls');
  let certs: TestCertificates;

  beforeAll(() => {
    const dir = join(h.root, 'certs');
    mkdirSync(dir, { recursive: true });
    certs = makeCertificates(dir);
  });

  it('three of ours, TLS only: discovery, clients over TLS, refusals logged as Redis logs them, failover', async ({ expect }) => {
    const group = await tlsGroup(h, certs, ['ours', 'ours', 'ours']);
    const ours = group.sentinels[0];

    // Peers are known by the port their hellos announce: the TLS one.
    const peers = await tlsCommand(ours.port, ['SENTINEL', 'SENTINELS', 'm'], certs.client);
    const peerPorts = peers.type === 'array' ? peers.items.map((p) => Number(fields(p)['port'])).sort() : [];
    expect(peerPorts).toEqual(group.sentinels.slice(1).map((s) => s.port).sort());
    const info = await tlsCommand(ours.port, ['INFO', 'server'], certs.client);
    expect(info.type === 'bulk' ? info.value.toString() : '').toContain(`tcp_port:${ours.port}\r\n`);

    const tlsArgs = ['--tls', '--cacert', certs.caFile, '--cert', certs.certFile, '--key', certs.keyFile];
    expect((await redisCli(ours.port, [...tlsArgs, 'PING'])).stdout.trim()).toBe('PONG');
    expect((await redisCli(ours.port, ['PING'])).stdout.trim()).not.toBe('PONG');
    expect((await redisCli(ours.port, ['--tls', '--cacert', certs.caFile, 'PING'])).stdout.trim()).not.toBe('PONG');
    await waitFor(() => ours.proc.log(), {
      timeoutMs: 5000,
      intervalMs: 100,
      description: 'both refusals in the log',
      until: (log) =>
        log.includes('# Error accepting a client connection: error:0A00010B:SSL routines::wrong version number') &&
        log.includes('# Error accepting a client connection: error:0A0000C7:SSL routines::peer did not return a certificate'),
    });
    expect((await redisCli(ours.port, [...tlsArgs, 'PING'])).stdout.trim()).toBe('PONG');

    // ioredis finds the TLS-only master through ours, both connections over TLS.
    const client = new Redis({
      sentinels: [{ host: '127.0.0.1', port: ours.port }],
      name: 'm',
      enableTLSForSentinelMode: true,
      sentinelTLS: certs.client,
      tls: certs.client,
      maxRetriesPerRequest: 1,
      lazyConnect: true,
    });
    try {
      await client.connect();
      await client.set('io-key', 'io-value');
      expect(await client.get('io-key')).toBe('io-value');
    } finally {
      client.disconnect();
    }

    const py = await python(REDIS_PY_OVER_TLS, [String(ours.port), certs.caFile, certs.certFile, certs.keyFile]);
    expect(py.out).toContain(`master ${group.master.port}`);
    expect(py.out).toContain('read py-value');

    await failsOver(group, certs);
  }, 90_000);

  it('tls-auth-clients optional and a CA directory: a client may come without a certificate, not with a bad one', async ({ expect }) => {
    const caDir = join(h.root, 'ca-dir');
    mkdirSync(caDir, { recursive: true });
    copyFileSync(certs.caFile, join(caDir, 'ca.pem'));
    const other = makeCertificates(mkdtempSync(join(h.root, 'other-ca-')));
    const master = await startTlsRedis(h, certs);
    const ours = await startTlsSentinel(h, certs, 'ours', master.port, 1, ['tls-auth-clients optional', `tls-ca-cert-dir ${caDir}`]);
    const ping = (options: ConnectionOptions) => tlsCommand(ours.port, ['PING'], options).then((v) => (v.type === 'simple' ? v.value : v.type), (e: Error) => `refused: ${e.message}`);
    expect(await ping({ ca: certs.client.ca })).toBe('PONG');
    expect(await ping(certs.client)).toBe('PONG');
    // A certificate from another CA is refused.
    expect(await ping({ ca: certs.client.ca, cert: other.client.cert, key: other.client.key })).toMatch(/^refused/);
    // The links use the CA directory too: the master is monitored over TLS.
    await waitFor(() => masterFields(ours, certs), { timeoutMs: 10_000, intervalMs: 200, description: 'the master monitored', until: (f) => f['flags'] === 'master' && f['role-reported'] === 'master' });
  }, 60_000);

  it('a mixed group over TLS: two redis-sentinel and one of ours discover each other and fail over', async ({ expect }) => {
    const group = await tlsGroup(h, certs, ['redis', 'redis', 'ours']);
    const viewOfOurs = await masterFields(group.sentinels[0], certs);
    expect(viewOfOurs['num-other-sentinels']).toBe('2');
    await failsOver(group, certs);
    const ours = group.sentinels[2];
    expect(ours.proc.log()).toMatch(/\+switch-master m 127\.0\.0\.1 \d+ 127\.0\.0\.1 \d+/);
  }, 90_000);
});
