import { describe, expect, it } from 'vitest';
import { decodeFrame, type RespValue } from '../harness/index.js';
import { CASES, commandSpec } from './cases.js';
import { differenceReport, firstDifference, stepDifference, type StepOutcome } from './compare.js';
import { canonicalInfo, normaliseReply, type Token } from './normalise.js';
import { substituteVars } from './side.js';

/** The comparison machinery must report what differs and only that. */

const resp = (wire: string): RespValue => {
  const decoded = decodeFrame(Buffer.from(wire.replace(/\n/g, '\r\n')));
  if (!decoded) throw new Error(`incomplete frame in test: ${wire}`);
  return decoded.value;
};
const flatMap = (pairs: Array<[string, string]>): string =>
  `*${pairs.length * 2}\n${pairs.flatMap(([k, v]) => [`$${k.length}\n${k}`, `$${v.length}\n${v}`]).join('\n')}\n`;

const tokensA: Token[] = [['41001', '<master-port>'], ['41002', '<replica-port>'], ['a'.repeat(40), '<myid>']];
const tokensB: Token[] = [['52001', '<master-port>'], ['52002', '<replica-port>'], ['b'.repeat(40), '<myid>']];

function differs(a: RespValue, ta: Token[], b: RespValue, tb: Token[], mask?: 'exact' | 'shape' | 'unordered' | 'info') {
  return firstDifference(normaliseReply(a, ta, mask), normaliseReply(b, tb, mask));
}

describe('firstDifference', () => {
  it('reports different error texts with both texts', () => {
    const d = firstDifference(resp('-ERR No such master with that name\n'), resp('-ERR No such master\n'));
    expect(d).toEqual({ path: 'reply', reference: 'error "ERR No such master with that name"', subject: 'error "ERR No such master"' });
  });

  it('tells a bulk "1" from an integer 1, and the three nulls apart', () => {
    expect(firstDifference(resp('$1\n1\n'), resp(':1\n'))).toMatchObject({ reference: 'bulk "1"', subject: 'integer "1"' });
    expect(firstDifference(resp('$-1\n'), resp('*-1\n'))).toBeDefined();
    expect(firstDifference(resp('_\n'), resp('$-1\n'))).toBeDefined();
  });

  it('reports a field order difference inside a map at the first misplaced key', () => {
    const a = resp('%2\n+name\n+m\n+ip\n+x\n');
    const b = resp('%2\n+ip\n+x\n+name\n+m\n');
    expect(firstDifference(a, b)).toMatchObject({ path: 'reply{entry 0 key}', reference: 'simple "name"', subject: 'simple "ip"' });
  });

  it('reports a missing element with the lengths', () => {
    expect(firstDifference(resp('*2\n:1\n:2\n'), resp('*1\n:1\n'))).toMatchObject({ path: 'reply (length 2 vs 1)', reference: 'integer "2"', subject: '(nothing)' });
  });

  it('points into long texts: the first differing line, or a window around the first differing character', () => {
    const lines = firstDifference(
      { type: 'bulk', value: `# Sentinel\nsentinel_masters:1\nsentinel_tilt:0\n${'x'.repeat(150)}` },
      { type: 'bulk', value: `# Sentinel\nsentinel_masters:1\nsentinel_tilt:1\n${'x'.repeat(150)}` },
    );
    expect(lines).toEqual({ path: 'reply, line 3', reference: '"sentinel_tilt:0"', subject: '"sentinel_tilt:1"' });
    const chars = firstDifference({ type: 'bulk', value: `${'a'.repeat(100)}b${'c'.repeat(100)}` }, { type: 'bulk', value: `${'a'.repeat(100)}X${'c'.repeat(100)}` });
    expect(chars?.path).toBe('reply, character 100');
    expect(chars?.reference).toBe(JSON.stringify(`…${'a'.repeat(40)}b${'c'.repeat(39)}`));
  });

  it('finds no difference between identical replies', () => {
    const wire = '*3\n:0\n$1\n*\n:0\n';
    expect(firstDifference(resp(wire), resp(wire))).toBeUndefined();
  });
});

describe('normaliseReply', () => {
  const master = (port: string, lastPing: string, slaves: string): string =>
    flatMap([['name', 'mymaster'], ['port', port], ['last-ping-sent', lastPing], ['num-slaves', slaves]]);

  it('replaces per-side ports and ids, and masks volatile fields of RESP2 flat maps', () => {
    expect(differs(resp(master('41001', '0', '1')), tokensA, resp(master('52001', '731', '1')), tokensB)).toBeUndefined();
  });

  it('still sees a difference in a behavioural field', () => {
    expect(differs(resp(master('41001', '0', '1')), tokensA, resp(master('52001', '0', '2')), tokensB)).toMatchObject({
      path: 'reply[7]',
      reference: 'bulk "1"',
      subject: 'bulk "2"',
    });
  });

  it('does not accept one side’s replica port where the master port belongs', () => {
    expect(differs(resp(master('41001', '0', '1')), tokensA, resp(master('52002', '0', '1')), tokensB)).toMatchObject({
      reference: 'bulk "<master-port>"',
      subject: 'bulk "<replica-port>"',
    });
  });

  it('never replaces a port inside a larger number', () => {
    expect(normaliseReply(resp('$7\n4100123\n'), tokensA)).toEqual({ type: 'bulk', value: '4100123' });
  });

  it('masks client ids, addresses and ages in CLIENT LIST but keeps flags and names', () => {
    const line = (id: number, port: number, flags: string) =>
      `id=${id} addr=127.0.0.1:${port} laddr=127.0.0.1:26379 fd=9 name=x age=${id} idle=0 flags=${flags} db=0 cmd=client|list user=default resp=2\n`;
    const bulk = (text: string) => resp(`$${text.length}\n${text}\n`);
    expect(differs(bulk(line(5, 50000, 'N')), tokensA, bulk(line(9, 60000, 'N')), tokensB)).toBeUndefined();
    expect(differs(bulk(line(5, 50000, 'N')), tokensA, bulk(line(5, 50000, 'P')), tokensB)).toBeDefined();
  });

  it('`shape` keeps only the type tree', () => {
    expect(differs(resp(':17\n'), tokensA, resp(':4\n'), tokensB, 'shape')).toBeUndefined();
    expect(differs(resp(':17\n'), tokensA, resp('$2\n17\n'), tokensB, 'shape')).toBeDefined();
  });

  it('`unordered` accepts any order of the same elements only', () => {
    expect(differs(resp('*2\n$1\na\n$1\nb\n'), tokensA, resp('*2\n$1\nb\n$1\na\n'), tokensB, 'unordered')).toBeUndefined();
    expect(differs(resp('*2\n$1\na\n$1\nb\n'), tokensA, resp('*2\n$1\nb\n$1\nc\n'), tokensB, 'unordered')).toBeDefined();
  });
});

describe('canonicalInfo', () => {
  const server = (mode: string, hz: string, extra = '') =>
    `# Server\r\nredis_version:7.0.15\r\nredis_mode:${mode}\r\nhz:${hz}\r\n${extra}\r\n# Sentinel\r\nsentinel_masters:1\r\nmaster0:name=mymaster,status=ok,address=127.0.0.1:41001,slaves=1,sentinels=2\r\n`;

  it('compares field names per section, and the values of stable fields', () => {
    expect(canonicalInfo(server('sentinel', '13'), tokensA)).toBe(canonicalInfo(server('sentinel', '17').replace('41001', '52001'), tokensB));
    expect(canonicalInfo(server('sentinel', '13'), tokensA)).not.toBe(canonicalInfo(server('standalone', '13'), tokensA));
    expect(canonicalInfo(server('sentinel', '13'), tokensA)).not.toBe(canonicalInfo(server('sentinel', '13', 'extra_field:1\r\n'), tokensA));
  });

  it('keeps the layout: section order, blank lines, CRLF and the final line end', () => {
    const text = server('sentinel', '13');
    expect(canonicalInfo(text, tokensA)).not.toBe(canonicalInfo(`${text}\r\n`, tokensA));
    expect(canonicalInfo(text, tokensA)).not.toBe(canonicalInfo(text.replace(/\r\n/g, '\n'), tokensA));
    const [server1, sentinel1] = text.split('\r\n\r\n');
    expect(canonicalInfo(text, tokensA)).not.toBe(canonicalInfo(`${sentinel1}\r\n${server1}\r\n`, tokensA));
  });
});

describe('stepDifference and the report', () => {
  const step = (replies: RespValue[], status: StepOutcome['status'] = 'ok'): StepOutcome => ({ command: 'SENTINEL MASTER mymaster', replies, status });

  it('reports a closed connection against a reply', () => {
    expect(stepDifference(step([resp('+OK\n')]), step([], 'closed'))).toEqual({ path: 'connection', reference: 'ok', subject: 'closed' });
  });

  it('reports a missing frame of a multi-frame reply', () => {
    expect(stepDifference(step([resp(':1\n'), resp(':2\n')]), step([resp(':1\n')]))).toMatchObject({ path: 'frame 2', subject: '(nothing)' });
  });

  it('names the command, shows both replies and the first difference', () => {
    const a = step([resp('-ERR No such master with that name\n')]);
    const b = step([resp('$-1\n')]);
    const report = differenceReport({ caseName: 'x', protocol: 3, referenceName: 'redis', subjectName: 'ours' }, a, b, stepDifference(a, b)!);
    expect(report).toContain('Command: SENTINEL MASTER mymaster');
    expect(report).toContain('RESP3');
    expect(report).toContain('error "ERR No such master with that name"');
    expect(report).toContain('$-1 (null bulk)');
    expect(report).toContain('First difference at reply: reference error "ERR No such master with that name" / under test null-bulk ""');
  });
});

describe('the case list', () => {
  it('uses only known placeholders and has unique names', () => {
    const vars = Object.fromEntries(
      ['master-ip', 'master-port', 'replica-port', 'sentinel-port', 'peer-port', 'peer-id', 'myid', 'unused-port'].map((k) => [k, 'v']),
    );
    for (const c of CASES) for (const entry of c.commands) for (const a of commandSpec(entry).args) expect(() => substituteVars(a, vars)).not.toThrow();
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
    expect(() => substituteVars('{no-such-var}', vars)).toThrow(/unknown placeholder/);
  });
});
