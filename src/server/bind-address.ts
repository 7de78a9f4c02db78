/** One `bind` entry as a listener uses it. */
export interface BindAddress {
  /** As written, without the leading `-`. */
  address: string;
  host: string;
  ipv6Only: boolean;
  /** `-` in front: skipped where the host lacks the address. */
  optional: boolean;
}

/** Address families the host may lack: those listeners are skipped, as Redis does. */
const UNSUPPORTED_FAMILY = new Set(['EAFNOSUPPORT', 'EPROTONOSUPPORT', 'ESOCKTNOSUPPORT', 'EPFNOSUPPORT', 'ENOPROTOOPT']);

/** Redis's `bind` syntax: `*` is every IPv4 address, `::*` every IPv6 one. */
export function bindAddress(entry: string): BindAddress {
  const optional = entry.startsWith('-');
  const address = optional ? entry.slice(1) : entry;
  const host = address === '*' ? '0.0.0.0' : address === '::*' ? '::' : address;
  return { address, host, ipv6Only: host.includes(':'), optional };
}

/** Whether a failure to listen on `bind` (with this error code) is skipped rather than fatal. */
export function skippedBindFailure(bind: BindAddress, code: string): boolean {
  return (bind.optional && code === 'EADDRNOTAVAIL') || UNSUPPORTED_FAMILY.has(code);
}
