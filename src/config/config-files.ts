/**
 * Reading configuration files from disk the way redis-server does: the main
 * file, and `include` files, whose pattern may use glob(3) wildcards.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { decodeBytes } from './split-args.js';
import { strerror } from './strerror.js';

/** Redis cannot open a configuration file: it logs this (a warning) and exits with status 1. */
export class ConfigOpenError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`Fatal error, can't open config file '${path}': ${reason}`);
    this.name = 'ConfigOpenError';
  }

  /** The text of the log line. */
  logMessage(): string {
    return this.message;
  }
}

/**
 * The whole text of a configuration file; throws ConfigOpenError when it
 * cannot be read, naming the file as `shownAs` (Redis names it as it was written).
 */
export function readConfigFile(path: string, shownAs: string = path): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new ConfigOpenError(shownAs, strerror(err));
  }
  return decodeBytes(asReadByFgets(bytes));
}

/** fgets(buf, CONFIG_READ_LEN + 1, fp): CONFIG_READ_LEN is 1024 in Redis 7.0. */
const FGETS_CHUNK = 1024;

/**
 * The bytes Redis keeps of a config file: it reads it with fgets into a
 * 1025-byte buffer and appends each piece with sdscat, which stops at a NUL.
 * So a NUL byte drops the rest of its piece: up to and including the next
 * newline, or to the end of the 1024 bytes read (`port 1\0x\ndir /` loads as
 * `port 1dir /`).
 */
export function asReadByFgets(bytes: Buffer): Buffer {
  if (!bytes.includes(0)) return bytes;
  const kept: Buffer[] = [];
  let i = 0;
  while (i < bytes.length) {
    const newline = bytes.indexOf(0x0a, i);
    const end = Math.min(newline === -1 ? bytes.length : newline + 1, i + FGETS_CHUNK);
    const piece = bytes.subarray(i, end);
    const nul = piece.indexOf(0);
    kept.push(nul === -1 ? piece : piece.subarray(0, nul));
    i = end;
  }
  return Buffer.concat(kept);
}

const WILDCARD = /[*?[]/;

/**
 * The texts an `include <pattern>` line loads, in order. A pattern without
 * wildcards must name a readable file; a pattern with wildcards that matches
 * nothing loads nothing. `resolve` turns a relative path into an absolute one.
 */
export function readIncludedFiles(pattern: string, resolve: (p: string) => string): string[] {
  if (!WILDCARD.test(pattern)) return [readConfigFile(resolve(pattern), pattern)];
  return globPaths(pattern, resolve).map((p) => readConfigFile(resolve(p), p));
}

/** glob(3) with no flags: sorted matches, wildcards never match a leading dot, `\` escapes. */
function globPaths(pattern: string, resolve: (p: string) => string): string[] {
  const absolute = pattern.startsWith('/');
  const parts = pattern.split('/').filter((p, i) => p !== '' || i === 0);
  let candidates: string[] = [absolute ? '/' : ''];
  for (const part of absolute ? parts.slice(1) : parts) {
    const next: string[] = [];
    for (const base of candidates) {
      const join = (name: string) => (base === '' ? name : base.endsWith('/') ? base + name : `${base}/${name}`);
      if (!WILDCARD.test(part)) {
        next.push(join(part.replace(/\\(.)/g, '$1')));
        continue;
      }
      const matcher = globComponent(part);
      let names: string[];
      try {
        names = readdirSync(resolve(base === '' ? '.' : base));
      } catch {
        continue;
      }
      for (const name of names) {
        if (name.startsWith('.') && !part.startsWith('.')) continue;
        if (matcher.test(name)) next.push(join(name));
      }
    }
    candidates = next;
  }
  return candidates.filter((c) => c !== '').sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

function globComponent(part: string): RegExp {
  let re = '^';
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!;
    if (c === '\\' && i + 1 < part.length) {
      re += escapeRegex(part[++i]!);
    } else if (c === '*') {
      re += '.*';
    } else if (c === '?') {
      re += '.';
    } else if (c === '[') {
      const close = part.indexOf(']', i + 2);
      if (close === -1) {
        re += '\\[';
        continue;
      }
      let body = part.slice(i + 1, close);
      const negate = body.startsWith('!');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = close;
    } else {
      re += escapeRegex(c);
    }
  }
  return new RegExp(`${re}$`, 's');
}

function escapeRegex(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
