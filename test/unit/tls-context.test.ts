import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultServerOptions, type TlsOptions } from '../../src/config/server-options.js';
import { acceptsPeer, buildTls, opensslText, tlsWanted } from '../../src/server/tls-context.js';
import { makeCertificates } from '../harness/tls.js';

const dir = mkdtempSync(join(tmpdir(), 'tls-context-'));
const certs = makeCertificates(dir);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tls(overrides: Partial<TlsOptions>): TlsOptions {
  return { ...defaultServerOptions('/').tls, ...overrides };
}

const complete = { port: 26999, certFile: certs.certFile, keyFile: certs.keyFile, caCertFile: certs.caFile };

describe('tls-* settings, checked as Redis checks them at start', () => {
  it('is configured only for a TLS port or TLS links', () => {
    expect(tlsWanted(tls({}))).toBe(false);
    expect(tlsWanted(tls({ port: 1 }))).toBe(true);
    expect(tlsWanted(tls({ replication: true }))).toBe(true);
  });

  it.each([
    [{ certFile: null }, 'No tls-cert-file configured!'],
    [{ keyFile: null }, 'No tls-key-file configured!'],
    [{ caCertFile: null }, 'Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!'],
    [{ certFile: '/nonexistent/x.crt' }, 'Failed to load certificate: /nonexistent/x.crt: error:80000002:system library::No such file or directory'],
    [{ protocols: 'TLSv1.2 SSLv3' }, "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'."],
  ] as Array<[Partial<TlsOptions>, string]>)('refuses %j with Redis message', (change, message) => {
    expect(() => buildTls(tls({ ...complete, ...change }))).toThrow(message);
  });

  it('needs no CA when clients are not authenticated and links are plain', () => {
    expect(() => buildTls(tls({ ...complete, caCertFile: null, authClients: 'no' }))).not.toThrow();
  });

  it('maps client authentication, protocols and ciphers to node:tls', () => {
    const yes = buildTls(tls(complete)).server;
    expect([yes.requestCert, yes.rejectUnauthorized, yes.minVersion, yes.maxVersion]).toEqual([true, true, 'TLSv1.2', 'TLSv1.3']);
    const optional = buildTls(tls({ ...complete, authClients: 'optional', protocols: 'TLSv1.3', ciphersuites: 'TLS_AES_256_GCM_SHA384' })).server;
    expect([optional.requestCert, optional.rejectUnauthorized, optional.minVersion, optional.maxVersion, optional.ciphers]).toEqual([
      true,
      false,
      'TLSv1.3',
      'TLSv1.3',
      'TLS_AES_256_GCM_SHA384',
    ]);
    expect(buildTls(tls({ ...complete, authClients: 'no' })).server.requestCert).toBe(false);
  });

  it('with optional client auth, lets in a client without a certificate but not one with a bad one', () => {
    expect(acceptsPeer({ authorized: false, getPeerCertificate: () => ({}) })).toBe(true);
    expect(acceptsPeer({ authorized: false, getPeerCertificate: () => ({ subject: { CN: 'x' } }) })).toBe(false);
    expect(acceptsPeer({ authorized: true, getPeerCertificate: () => ({ subject: { CN: 'x' } }) })).toBe(true);
  });

  it("prints OpenSSL errors as Redis does", () => {
    expect(opensslText(new Error('C0D7:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../ssl/record.c:355:'))).toBe(
      'error:0A00010B:SSL routines::wrong version number',
    );
  });
});
