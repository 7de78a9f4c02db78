/**
 * What redis-sentinel accepts as an address when `resolve-hostnames` is off:
 * a numeric host as glibc's getaddrinfo(AI_NUMERICHOST) parses it, printed back
 * with inet_ntop. So `127.1`, `0x7f.0.0.1` and `2130706433` are all 127.0.0.1,
 * `017.0.0.1` is 15.0.0.1 (octal), and IPv6 is printed in its compressed form.
 */

/** The inet_ntop text of a numeric host, or null when it is not one. */
export function parseIpLiteral(text: string): string | null {
  const v4 = parseIpv4(text);
  if (v4 !== null) return formatIpv4(v4);
  const percent = text.indexOf('%');
  const address = percent === -1 ? text : text.slice(0, percent);
  // A zone index is accepted (and dropped by inet_ntop) when it is not empty.
  if (percent !== -1 && percent === text.length - 1) return null;
  const words = parseIpv6(address);
  return words === null ? null : formatIpv6(words);
}

/** glibc inet_aton without trailing text: 1 to 4 parts, each decimal, octal (0...) or hex (0x...). */
function parseIpv4(text: string): number | null {
  const parts: number[] = [];
  let i = 0;
  for (;;) {
    if (!(text[i]! >= '0' && text[i]! <= '9')) return null;
    let base = 10;
    let value = 0;
    let sawDigit = false;
    if (text[i] === '0') {
      i++;
      if (text[i] === 'x' || text[i] === 'X') {
        base = 16;
        i++;
      } else {
        base = 8;
        sawDigit = true;
      }
    }
    for (;;) {
      const c = text[i];
      if (c === undefined) break;
      let digit: number;
      if (c >= '0' && c <= '9') {
        if (base === 8 && c > '7') return null;
        digit = c.charCodeAt(0) - 48;
      } else if (base === 16 && /[a-fA-F]/.test(c)) {
        digit = parseInt(c, 16);
      } else {
        break;
      }
      value = value * base + digit;
      if (value > 0xffffffff) return null;
      sawDigit = true;
      i++;
    }
    if (!sawDigit) return null;
    if (text[i] === '.') {
      if (parts.length >= 3 || value > 0xff) return null;
      parts.push(value);
      i++;
      continue;
    }
    if (i !== text.length) return null;
    parts.push(value);
    break;
  }
  const last = parts[parts.length - 1]!;
  const lastMax = [0xffffffff, 0xffffff, 0xffff, 0xff][parts.length - 1]!;
  if (last > lastMax) return null;
  let address = 0;
  for (let k = 0; k < parts.length - 1; k++) address += parts[k]! * 2 ** (8 * (3 - k));
  return address + last;
}

function formatIpv4(address: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256).join('.');
}

/** inet_pton(AF_INET6): eight 16-bit words, one `::`, an optional dotted-quad tail. */
function parseIpv6(text: string): number[] | null {
  if (text.length === 0) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parseGroups = (part: string, allowV4Tail: boolean): number[] | null => {
    if (part === '') return [];
    const groups = part.split(':');
    const words: number[] = [];
    for (let k = 0; k < groups.length; k++) {
      const g = groups[k]!;
      if (allowV4Tail && k === groups.length - 1 && g.includes('.')) {
        const quad = parseStrictDottedQuad(g);
        if (quad === null) return null;
        words.push(quad[0]! * 256 + quad[1]!, quad[2]! * 256 + quad[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) {
        words.push(parseInt(g, 16));
      } else {
        return null;
      }
    }
    return words;
  };
  if (halves.length === 1) {
    const words = parseGroups(text, true);
    return words !== null && words.length === 8 ? words : null;
  }
  const head = parseGroups(halves[0]!, false);
  const tail = parseGroups(halves[1]!, true);
  if (head === null || tail === null || head.length + tail.length > 7) return null;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/** inet_pton(AF_INET): exactly four decimal octets, no leading zeros. */
function parseStrictDottedQuad(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const octets: number[] = [];
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    octets.push(n);
  }
  return octets;
}

/** glibc inet_ntop6: the longest run (>= 2) of zero words becomes `::`; v4-compatible and v4-mapped tails stay dotted. */
function formatIpv6(words: number[]): string {
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      if (curBase === -1) {
        curBase = i;
        curLen = 1;
      } else {
        curLen++;
      }
    } else if (curBase !== -1) {
      if (curLen > bestLen) [bestBase, bestLen] = [curBase, curLen];
      curBase = -1;
    }
  }
  if (curBase !== -1 && curLen > bestLen) [bestBase, bestLen] = [curBase, curLen];
  if (bestLen < 2) bestBase = -1;

  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      out += `${words[6]! >> 8}.${words[6]! & 0xff}.${words[7]! >> 8}.${words[7]! & 0xff}`;
      return out;
    }
    out += words[i]!.toString(16);
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) out += ':';
  return out;
}
