import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type ConnectionOptions } from 'node:tls';
import { ReplyParser, type RespValue } from '../../src/resp/reply-parser.js';
import type { Harness } from './harness.js';
import type { ManagedProcess } from './process.js';
import { REDIS_SERVER_BIN } from './redis-server.js';
import { REDIS_SENTINEL_BIN, type SentinelImpl } from './sentinel.js';
import { waitFor } from './wait-for.js';

const OUR_BIN = join(process.cwd(), 'bin', 'sentinel.js');

/** A CA, and a certificate for 127.0.0.1 / localhost signed by it (used by servers and clients alike). */
export interface TestCertificates {
  caFile: string;
  certFile: string;
  keyFile: string;
  /** For node:tls clients. */
  client: ConnectionOptions;
}

/** Made with Debian's openssl, fresh for each run. */
export function makeCertificates(dir: string): TestCertificates {
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path('ca.key'), '-out', path('ca.crt'), '-days', '2', '-subj', '/CN=sentinel test CA');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', path('node.key'), '-out', path('node.csr'), '-subj', '/CN=localhost');
  writeFileSync(path('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl('x509', '-req', '-in', path('node.csr'), '-CA', path('ca.crt'), '-CAkey', path('ca.key'), '-CAcreateserial', '-out', path('node.crt'), '-days', '2', '-extfile', path('san.ext'));
  const files = { caFile: path('ca.crt'), certFile: path('node.crt'), keyFile: path('node.key') };
  return {
    ...files,
    client: { ca: readFileSync(files.caFile), cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) },
  };
}

/** redis-server and sentinel.conf lines for TLS with these certificates. */
export function tlsDirectives(certs: TestCertificates): Array<[string, string]> {
  return [
    ['tls-cert-file', certs.certFile],
    ['tls-key-file', certs.keyFile],
    ['tls-ca-cert-file', certs.caFile],
    ['tls-replication', 'yes'],
  ];
}

/** One command over TLS on a fresh connection; rejects on a handshake failure or a closed connection. */
export function tlsCommand(port: number, args: string[], options: ConnectionOptions, timeoutMs = 2000): Promise<RespValue> {
  return new Promise((resolve, reject) => {
    const socket = connect({ ...options, host: '127.0.0.1', port });
    const parser = new ReplyParser();
    const timer = setTimeout(() => socket.destroy(new Error(`no reply to ${args[0]} on ${port} within ${timeoutMs} ms`)), timeoutMs);
    const done = (e: Error | null, v?: RespValue) => {
      clearTimeout(timer);
      socket.destroy();
      if (e) reject(e);
      else resolve(v!);
    };
    socket.on('secureConnect', () => socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`));
    socket.on('data', (chunk: Buffer) => {
      parser.feed(chunk);
      const v = parser.next();
      if (v !== undefined) done(null, v);
    });
    socket.on('error', (e) => done(e));
    socket.on('close', () => done(new Error('connection closed without a reply')));
  });
}

async function answersTlsPing(port: number, certs: TestCertificates): Promise<boolean> {
  const v = await tlsCommand(port, ['PING'], certs.client, 1000).catch(() => null);
  return v !== null && v.type === 'simple' && v.value === 'PONG';
}

export interface TlsProcess {
  port: number;
  proc: ManagedProcess;
}

/** A redis-server listening with TLS only (`port 0`). */
export async function startTlsRedis(h: Harness, certs: TestCertificates, replicaOf?: number): Promise<TlsProcess> {
  const port = await h.port();
  const args = ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  for (const [k, v] of tlsDirectives(certs)) args.push(`--${k}`, v);
  if (replicaOf !== undefined) args.push('--replicaof', '127.0.0.1', String(replicaOf));
  const proc = h.startProcess({ name: `redis-tls-${port}`, command: REDIS_SERVER_BIN, args });
  await waitFor(() => answersTlsPing(port, certs), { timeoutMs: 10_000, intervalMs: 100, description: `redis-server to answer PING over TLS on ${port}`, until: (v) => v });
  return { port, proc };
}

/** A sentinel (ours or redis-sentinel) with `port 0` and a TLS port only, its links over TLS. */
export async function startTlsSentinel(h: Harness, certs: TestCertificates, impl: SentinelImpl, master: number, quorum: number, extraLines: string[] = []): Promise<TlsProcess> {
  const port = await h.port();
  const name = `${impl}-sentinel-tls-${port}`;
  const dir = join(h.root, `${name}-conf`);
  execFileSync('mkdir', ['-p', dir]);
  const configPath = join(dir, 'sentinel.conf');
  const lines = [
    'port 0',
    `tls-port ${port}`,
    'bind 127.0.0.1',
    `dir "${dir}"`,
    ...tlsDirectives(certs).map(([k, v]) => `${k} ${v}`),
    `sentinel monitor m 127.0.0.1 ${master} ${quorum}`,
    'sentinel down-after-milliseconds m 1000',
    'sentinel failover-timeout m 10000',
    ...extraLines,
  ];
  writeFileSync(configPath, `${lines.join('\n')}\n`);
  const proc =
    impl === 'redis'
      ? h.startProcess({ name, command: REDIS_SENTINEL_BIN, args: [configPath] })
      : h.startProcess({ name, command: process.execPath, args: [OUR_BIN, configPath] });
  await waitFor(() => answersTlsPing(port, certs), { timeoutMs: 15_000, intervalMs: 100, description: `${name} to answer PING over TLS`, until: (v) => v });
  return { port, proc };
}

/** A `SENTINEL MASTER`-style flat array reply as a record. */
export function fields(v: RespValue): Record<string, string> {
  const out: Record<string, string> = {};
  if (v.type !== 'array') return out;
  const items = v.items.map((i) => (i.type === 'bulk' ? i.value.toString() : i.type === 'simple' ? i.value : ''));
  for (let i = 0; i + 1 < items.length; i += 2) out[items[i]] = items[i + 1];
  return out;
}
