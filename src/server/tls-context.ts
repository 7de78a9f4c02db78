import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext, type ConnectionOptions, type SecureContext, type SecureContextOptions, type SecureVersion, type TlsOptions as NodeTlsServerOptions } from 'node:tls';
import type { TlsOptions } from '../config/server-options.js';
import { strerror } from '../config/strerror.js';

/**
 * The TLS settings of `sentinel.conf` (tls-*) as node:tls options, checked as Redis's
 * tlsConfigure checks them, with its log lines: one for what is wrong, then
 * `Failed to configure TLS. Check logs for more info.` and the process exits.
 */

export class TlsConfigError extends Error {}

export interface TlsSetup {
  /** For the tls-port listener. */
  server: NodeTlsServerOptions;
  /** For links to instances and peers with tls-replication: the client certificate if one is configured, else the server's. */
  client: ConnectionOptions;
}

/** Whether Redis would configure TLS at start: a TLS port, or TLS links. */
export function tlsWanted(tls: TlsOptions): boolean {
  return tls.port !== 0 || tls.replication || tls.cluster;
}

export function buildTls(tls: TlsOptions): TlsSetup {
  if (!tls.certFile) throw new TlsConfigError('No tls-cert-file configured!');
  if (!tls.keyFile) throw new TlsConfigError('No tls-key-file configured!');
  if ((tls.authClients !== 'no' || tls.cluster || tls.replication) && !tls.caCertFile && !tls.caCertDir) {
    throw new TlsConfigError('Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!');
  }
  const cert = readPem(tls.certFile, 'Failed to load certificate');
  const key = readPem(tls.keyFile, 'Failed to load private key');
  const ca = [...(tls.caCertFile ? [readPem(tls.caCertFile, 'Failed to configure CA certificate(s) file/directory')] : []), ...caDir(tls.caCertDir)];
  const versions = protocolRange(tls.protocols);
  const ciphers = [tls.ciphersuites, tls.ciphers].filter((c): c is string => c !== null && c !== '').join(':') || undefined;
  const dhparam = tls.dhParamsFile ? readPem(tls.dhParamsFile, `Failed to load ${tls.dhParamsFile}`) : undefined;

  const common = { ca: ca.length > 0 ? ca : undefined, ...versions, ciphers };
  const server: NodeTlsServerOptions = {
    ...common,
    cert,
    key,
    passphrase: tls.keyFilePass ?? undefined,
    dhparam,
    honorCipherOrder: tls.preferServerCiphers,
    // `optional` asks for a certificate and checks one that is sent; see acceptsPeer.
    requestCert: tls.authClients !== 'no',
    rejectUnauthorized: tls.authClients === 'yes',
    sessionTimeout: tls.sessionCaching ? tls.sessionCacheTimeout : 0,
  };
  const clientContext = {
    ...common,
    cert: tls.clientCertFile ? readPem(tls.clientCertFile, 'Failed to load certificate') : cert,
    key: tls.clientKeyFile ? readPem(tls.clientKeyFile, 'Failed to load private key') : key,
    passphrase: (tls.clientCertFile ? tls.clientKeyFilePass : tls.keyFilePass) ?? undefined,
  };
  secureContext('server', server);
  const client: ConnectionOptions = {
    // Made once here rather than from the PEMs again at every (re)connection of every link.
    secureContext: secureContext('client', clientContext),
    rejectUnauthorized: true,
    // Redis checks the peer's chain, not its name: instances are reached by IP.
    checkServerIdentity: () => undefined,
  };
  return { server, client };
}

function secureContext(what: string, options: SecureContextOptions): SecureContext {
  try {
    return createSecureContext(options);
  } catch (e) {
    throw new TlsConfigError(`Failed to configure TLS ${what} context: ${opensslText(e)}`);
  }
}

/** With `tls-auth-clients optional`, a client may come without a certificate but not with a bad one. */
export function acceptsPeer(socket: { authorized: boolean; getPeerCertificate(): object | null }): boolean {
  if (socket.authorized) return true;
  const cert = socket.getPeerCertificate();
  return cert === null || Object.keys(cert).length === 0;
}

/** An OpenSSL error as Redis prints it: `error:0A00010B:SSL routines::wrong version number`. */
export function opensslText(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const m = /error:([0-9A-F]{8}):([^:]*):[^:]*:([^:]*)/.exec(message);
  return m ? `error:${m[1]}:${m[2]}::${m[3]}` : message;
}

function readPem(path: string, failure: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const errno = Math.abs((e as NodeJS.ErrnoException).errno ?? 0);
    // OpenSSL's system-library error for a file it could not open.
    throw new TlsConfigError(`${failure}: ${path}: error:${(0x80000000 + errno).toString(16).toUpperCase()}:system library::${strerror(e)}`);
  }
}

/** tls-ca-cert-dir: every certificate file in the directory (OpenSSL looks them up by hash; Node needs them loaded). */
function caDir(dir: string | null): Buffer[] {
  if (!dir) return [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new TlsConfigError(`Failed to configure CA certificate(s) file/directory: ${dir}: ${strerror(e)}`);
  }
  const out: Buffer[] = [];
  for (const name of names.sort()) {
    const path = join(dir, name);
    try {
      if (!statSync(path).isFile()) continue;
      const pem = readFileSync(path);
      if (pem.includes('-----BEGIN CERTIFICATE-----')) out.push(pem);
    } catch {
      // Unreadable entries are skipped, as OpenSSL's directory lookup skips them.
    }
  }
  return out;
}

const PROTOCOLS: Record<string, SecureVersion> = { 'tlsv1': 'TLSv1', 'tlsv1.1': 'TLSv1.1', 'tlsv1.2': 'TLSv1.2', 'tlsv1.3': 'TLSv1.3' };
const ORDER: SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** tls-protocols: Redis enables exactly the listed versions; Node takes a range, so the listed ones must be contiguous. */
function protocolRange(protocols: string | null): { minVersion?: SecureVersion; maxVersion?: SecureVersion } {
  if (!protocols) return { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' };
  const listed = protocols.split(' ').filter((p) => p !== '');
  const versions = listed.map((p) => PROTOCOLS[p.toLowerCase()]);
  if (versions.length === 0 || versions.some((v) => v === undefined)) {
    throw new TlsConfigError("Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.");
  }
  const indexes = versions.map((v) => ORDER.indexOf(v));
  return { minVersion: ORDER[Math.min(...indexes)], maxVersion: ORDER[Math.max(...indexes)] };
}
