import { isIpLiteral } from './ip.js';

/** An instance address as Sentinel keeps it: the name it was given, the IP it resolved to, the port. */
export interface Address {
  hostname: string;
  ip: string;
  port: number;
}

export type Resolver = (host: string) => string | null;

export type AddressError = 'Invalid port number.' | "Can't resolve instance hostname.";

/**
 * Builds an address the way Sentinel's createSentinelAddr does: IP literals are
 * taken as they are, hostnames only when resolve-hostnames is on.
 */
export function makeAddress(
  host: string,
  port: number,
  resolveHostnames: boolean,
  resolve: Resolver,
  acceptUnresolved = false,
): Address | AddressError {
  if (!Number.isInteger(port) || port < 0 || port > 65535) return 'Invalid port number.';
  if (isIpLiteral(host)) return { hostname: host, ip: host, port };
  if (!resolveHostnames) return "Can't resolve instance hostname.";
  const ip = resolve(host);
  // Loading the config keeps an unresolvable hostname, so a DNS outage does not stop a restart.
  if (ip === null) return acceptUnresolved ? { hostname: host, ip: '', port } : "Can't resolve instance hostname.";
  return { hostname: host, ip, port };
}

export function sameAddress(a: Address, b: Address): boolean {
  return a.port === b.port && (a.ip === b.ip || a.hostname.toLowerCase() === b.hostname.toLowerCase());
}

/** The form clients and peers see: the hostname with announce-hostnames, the IP otherwise. */
export function announced(addr: Address, announceHostnames: boolean): string {
  return announceHostnames ? addr.hostname : addr.ip;
}

/** A replica's name: `ip:port`, or `[ipv6]:port`. */
export function replicaName(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
