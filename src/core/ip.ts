/**
 * Whether a host is an IP literal in the strict form (dotted-quad IPv4 without
 * leading zeros, or IPv6 with an optional zone index): the hosts Sentinel takes
 * as they are, without a lookup.
 */
export function isIpLiteral(host: string): boolean {
  return isIpv4(host) || isIpv6(host);
}

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
const ZONE = /^[0-9a-zA-Z.:-]+$/;

function isIpv4(host: string): boolean {
  return IPV4.test(host);
}

function isIpv6(host: string): boolean {
  const percent = host.indexOf('%');
  if (percent !== -1 && !ZONE.test(host.slice(percent + 1))) return false;
  const address = percent === -1 ? host : host.slice(0, percent);
  const halves = address.split('::');
  if (halves.length > 2) return false;
  const groups = halves.map((h) => (h === '' ? [] : h.split(':')));
  const all = groups.flat();
  // Only the very last group may be an IPv4 tail, worth two groups.
  let count = 0;
  for (const [i, g] of all.entries()) {
    if (HEX_GROUP.test(g)) count += 1;
    else if (i === all.length - 1 && isIpv4(g) && !address.endsWith('::')) count += 2;
    else return false;
  }
  return halves.length === 2 ? count <= 7 : count === 8;
}
