import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isIpLiteral } from '../../src/core/ip.js';

describe('isIpLiteral', () => {
  it('agrees with node:net isIP on known and random hosts', () => {
    const known = [
      '127.0.0.1', '0.0.0.0', '255.255.255.255', '256.0.0.1', '01.2.3.4', '1.2.3', '1.2.3.4.5', '127.1', 'localhost', '',
      '::', '::1', '1::', ':::', '1:::2', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::', '::1:2:3:4:5:6:7',
      '::1:2:3:4:5:6:7:8', '::ffff:1.2.3.4', '::1.2.3.4', '1::1.2.3.4', '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4',
      '1.2.3.4::', 'fe80::1%eth0', 'fe80::1%', 'fe80::1%a b', '12345::', 'g::1', '[::1]', '::1.2.3', '2001:db8::ff00:42:8329',
    ];
    const alphabet = '0123456789abcdefABCDEF:.%g-';
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const random: string[] = [];
    for (let i = 0; i < 50_000; i++) {
      let s = '';
      const len = next() % 24;
      for (let j = 0; j < len; j++) s += alphabet[next() % alphabet.length];
      random.push(s);
    }
    const differ = [...known, ...random].filter((h) => isIpLiteral(h) !== (isIP(h) !== 0));
    expect(differ).toEqual([]);
    // The random hosts must include some of both kinds, or the comparison proves little.
    expect(random.filter((h) => isIP(h) !== 0).length).toBeGreaterThan(20);
  });
});
