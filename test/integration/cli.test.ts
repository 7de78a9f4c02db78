import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePorts } from '../harness/ports.js';
import { REDIS_SENTINEL_BIN } from '../harness/sentinel.js';

/**
 * The executable as an operator meets it: start-up refusals give the same text
 * and exit status as redis-sentinel's, and --version/--help answer at once.
 */

const OUR_BIN = resolve(import.meta.dirname, '../../bin/sentinel.js');
const dir = mkdtempSync(join(tmpdir(), 'ts-sentinel-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(command: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(command, args, { cwd: dir, encoding: 'utf8', timeout: 10_000 });
  return { status: r.status, out: normalise(`${r.stdout}${r.stderr}`) };
}

/** Log prefixes carry a pid and a time; neither may decide the comparison. */
function normalise(text: string): string {
  return text.replace(/^\d+:X \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2}\.\d{3} /gm, 'PID:X TIME ');
}

function both(args: string[]) {
  return { ours: run(process.execPath, [OUR_BIN, ...args]), redis: run(REDIS_SENTINEL_BIN, args) };
}

const BAD_CONFIGS: Array<[string, string]> = [
  ['zero quorum', 'port 0\nsentinel monitor m 127.0.0.1 6379 0\n'],
  ['unknown directive', 'port 0\nno-such-directive yes\n'],
  ['unbalanced quotes', 'port 0\nlogfile "oops\n'],
  ['bad myid', 'port 0\nsentinel myid abc\n'],
  ['duplicate master', 'port 0\nsentinel monitor m 127.0.0.1 6379 1\nsentinel monitor m 127.0.0.1 6380 1\n'],
  ['unknown master', 'port 0\nsentinel down-after-milliseconds nosuch 1000\n'],
  ['hostname without resolve-hostnames', 'port 0\nsentinel monitor m not-an-ip 6379 1\n'],
  ['unknown sentinel statement', 'port 0\nsentinel frobnicate m\n'],
];

describe('the sentinel executable', () => {
  for (const [name, text] of BAD_CONFIGS) {
    it(`refuses a config with ${name} exactly as redis-sentinel does`, () => {
      const file = join(dir, `${name.replace(/\W+/g, '-')}.conf`);
      writeFileSync(file, text);
      const { ours, redis } = both([file]);
      expect(redis.status).toBe(1);
      expect(ours).toEqual(redis);
    });
  }

  it('exits on a user rule naming an unknown command once up, with the lines redis-sentinel logs', async () => {
    const [ourPort, redisPort] = await freePorts(2);
    const last = (impl: string, command: string, args: string[]) => {
      const file = join(dir, `acl-${impl}.conf`);
      writeFileSync(file, `port ${impl === 'ours' ? ourPort : redisPort}\nuser alice on >pw +nosuchcmd\nsentinel monitor m 127.0.0.1 6379 2\n`);
      const r = run(command, [...args, file]);
      return { status: r.status, lines: r.out.trim().split('\n').slice(-2) };
    };
    const redis = last('redis', REDIS_SENTINEL_BIN, []);
    expect(redis.status).toBe(1);
    expect(redis.lines).toEqual([
      "PID:X TIME # Error loading ACL rule '+nosuchcmd' for the user named 'alice': Unknown command or category name in ACL",
      'PID:X TIME # Critical error while loading ACLs. Exiting.',
    ]);
    expect(last('ours', process.execPath, [OUR_BIN])).toEqual(redis);
  });

  it('refuses a missing config file exactly as redis-sentinel does', () => {
    const { ours, redis } = both([join(dir, 'missing.conf')]);
    expect(redis.status).toBe(1);
    expect(ours).toEqual(redis);
  });

  it('numbers command-line config lines after the file, as redis-sentinel does', () => {
    const file = join(dir, 'cli-lines.conf');
    writeFileSync(file, 'port 0\n');
    const { ours, redis } = both([file, '--sentinel', 'monitor', 'm', '127.0.0.1', '6379', '0']);
    expect(redis.status).toBe(1);
    expect(ours).toEqual(redis);
  });

  it('prints its version in redis-server -v form and its usage with --help', () => {
    const version = run(process.execPath, [OUR_BIN, '--version']);
    expect(version.status).toBe(0);
    expect(version.out).toMatch(/^Redis server v=7\.0\.15 sha=\S+ malloc=\S+ bits=64 build=\S+\n$/);
    const help = run(process.execPath, [OUR_BIN, '--help']);
    expect(help.status).toBe(0);
    expect(help.out).toContain('Usage: sentinel /path/to/sentinel.conf [options]');
    expect(help.out).toContain('--timing');
  });
});
