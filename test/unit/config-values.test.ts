import { describe, expect, it } from 'vitest';
import { atoi, formatTrimmedDouble, memtoull, string2d, string2ll, strtoull } from '../../src/config/c-numbers.js';
import { parseIpLiteral } from '../../src/config/ip-literal.js';
import {
  ALL_DIRECTIVE_NAMES,
  canonicalDirectiveName,
  DEPRECATED_DIRECTIVES,
  DIRECTIVE_ALIASES,
  DIRECTIVES,
  lookupDirective,
} from '../../src/config/directives.js';
import { formatMemory } from '../../src/config/directive-format.js';

describe('C number conversions', () => {
  it('atoi skips blanks, reads a sign and digits, stops at garbage, and truncates to int', () => {
    expect(atoi('  42abc')).toBe(42);
    expect(atoi('-7')).toBe(-7);
    expect(atoi('+3')).toBe(3);
    expect(atoi('abc')).toBe(0);
    expect(atoi('')).toBe(0);
    // strtol gives 3000000000, the (int) cast wraps it negative
    expect(atoi('3000000000')).toBe(-1294967296);
    // strtol saturates at LONG_MAX, whose low 32 bits are -1
    expect(atoi('99999999999999999999999')).toBe(-1);
  });

  it('strtoull negates modulo 2^64 and saturates on overflow', () => {
    expect(strtoull('12')).toBe(12n);
    expect(strtoull(' 5x')).toBe(5n);
    expect(strtoull('-1')).toBe(18446744073709551615n);
    expect(strtoull('99999999999999999999999')).toBe(18446744073709551615n);
    expect(strtoull('nope')).toBe(0n);
  });

  it('string2ll accepts only a plain decimal long long', () => {
    expect(string2ll('0')).toBe(0n);
    expect(string2ll('-12')).toBe(-12n);
    expect(string2ll('012')).toBeNull();
    expect(string2ll(' 1')).toBeNull();
    expect(string2ll('1 ')).toBeNull();
    expect(string2ll('-')).toBeNull();
    expect(string2ll('9223372036854775807')).toBe(9223372036854775807n);
    expect(string2ll('9223372036854775808')).toBeNull();
    expect(string2ll('-9223372036854775808')).toBe(-9223372036854775808n);
  });

  it('memtoull understands units case-insensitively and refuses signs and junk', () => {
    expect(memtoull('1mb')).toBe(1048576n);
    expect(memtoull('1MB')).toBe(1048576n);
    expect(memtoull('2k')).toBe(2000n);
    expect(memtoull('3gb')).toBe(3n << 30n);
    expect(memtoull('10b')).toBe(10n);
    expect(memtoull('')).toBe(0n);
    expect(memtoull('-1')).toBeNull();
    expect(memtoull('1tb')).toBeNull();
    expect(memtoull('1.5mb')).toBeNull();
  });

  it('string2d rejects blanks, NaN and overflow but takes exponents and hex floats', () => {
    expect(string2d('99.9')).toBe(99.9);
    expect(string2d('1e2')).toBe(100);
    expect(string2d('0x10')).toBe(16);
    expect(string2d(' 1')).toBeNull();
    expect(string2d('nan')).toBeNull();
    expect(string2d('1e999')).toBeNull();
    expect(string2d('1e-999')).toBeNull();
    expect(string2d('abc')).toBeNull();
  });

  it('prints doubles like printf %f with trailing zeros trimmed', () => {
    expect(formatTrimmedDouble(50)).toBe('50');
    expect(formatTrimmedDouble(99.9)).toBe('99.9');
    expect(formatTrimmedDouble(1.5)).toBe('1.5');
    expect(formatTrimmedDouble(1.23456789)).toBe('1.234568');
    // exactly halfway at the 7th decimal: printf rounds to even
    expect(formatTrimmedDouble(1 / 128)).toBe('0.007812');
    expect(formatTrimmedDouble(-0)).toBe('-0');
  });

  it('formats memory with the largest exact unit', () => {
    expect(formatMemory(0n)).toBe('0');
    expect(formatMemory(1024n)).toBe('1kb');
    expect(formatMemory(1048576n)).toBe('1mb');
    expect(formatMemory(3n << 30n)).toBe('3gb');
    expect(formatMemory(1000n)).toBe('1000');
    // maxmemory 18446744073709551615 is read back as a long long
    expect(formatMemory(18446744073709551615n)).toBe('-1');
  });
});

describe('numeric host literals (resolve-hostnames no)', () => {
  it('accepts what inet_aton accepts and prints it dotted', () => {
    expect(parseIpLiteral('127.0.0.1')).toBe('127.0.0.1');
    expect(parseIpLiteral('127.1')).toBe('127.0.0.1');
    expect(parseIpLiteral('0x7f.0.0.1')).toBe('127.0.0.1');
    expect(parseIpLiteral('2130706433')).toBe('127.0.0.1');
    expect(parseIpLiteral('017.0.0.1')).toBe('15.0.0.1');
    expect(parseIpLiteral('1.2.65535')).toBe('1.2.255.255');
    expect(parseIpLiteral('0')).toBe('0.0.0.0');
  });

  it('refuses what the real sentinel refuses', () => {
    for (const bad of ['1.2.3.4.', '256.0.0.1', '1.2.3.4 ', '0x100.0.0.1', '08.0.0.1', '', '4294967296', 'localhost', '[::1]', '1::2::3', '::ffff:1.2.3', '1:2:3:4:5:6:7:8:9']) {
      expect(parseIpLiteral(bad), bad).toBeNull();
    }
  });

  it('prints IPv6 the way inet_ntop does', () => {
    expect(parseIpLiteral('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(parseIpLiteral('::')).toBe('::');
    expect(parseIpLiteral('ABCD::EF')).toBe('abcd::ef');
    expect(parseIpLiteral('1:0:0:2:0:0:0:3')).toBe('1:0:0:2::3');
    expect(parseIpLiteral('1:0:0:0:0:0:0:0')).toBe('1::');
    expect(parseIpLiteral('::1.2.3.4')).toBe('::1.2.3.4');
    expect(parseIpLiteral('::ffff:1.2.3.4')).toBe('::ffff:1.2.3.4');
    expect(parseIpLiteral('::ffff:0:1.2.3.4')).toBe('::ffff:0:102:304');
    expect(parseIpLiteral('1:2:3:4:5:6:1.2.3.4')).toBe('1:2:3:4:5:6:102:304');
    expect(parseIpLiteral('fe80::1%lo')).toBe('fe80::1');
  });
});

describe('directive table', () => {
  it('has the 178 directives of redis-server 7.0.15 and their 19 aliases', () => {
    expect(DIRECTIVES).toHaveLength(178);
    expect(DIRECTIVE_ALIASES.size).toBe(19);
  });

  it('maps old spellings to canonical names', () => {
    expect(canonicalDirectiveName('slaveof')).toBe('replicaof');
    expect(canonicalDirectiveName('SLAVE-PRIORITY')).toBe('replica-priority');
    expect(canonicalDirectiveName('hash-max-ziplist-entries')).toBe('hash-max-listpack-entries');
    expect(canonicalDirectiveName('lua-time-limit')).toBe('busy-reply-threshold');
    expect(canonicalDirectiveName('list-max-ziplist-size')).toBe('list-max-listpack-size');
    expect(lookupDirective('Port')?.name).toBe('port');
  });

  it('accepts the deprecated and loader-handled names', () => {
    for (const name of [...DEPRECATED_DIRECTIVES, 'include', 'rename-command', 'user', 'loadmodule', 'sentinel', 'tls-port', 'repl-diskless-sync-delay']) {
      expect(ALL_DIRECTIVE_NAMES.has(name), name).toBe(true);
    }
    expect(ALL_DIRECTIVE_NAMES.has('bogus')).toBe(false);
  });
});
