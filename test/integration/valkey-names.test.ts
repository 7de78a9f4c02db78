import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'vitest';
import {
  encodeCommand,
  freeLowPort,
  rawCommand,
  useHarness,
  waitFor,
  type Harness,
  type RawConnection,
  type Topology,
} from '../harness/index.js';
import { waitUntilServing } from '../harness/redis-server.js';
import { OUR_BIN } from '../harness/sentinel.js';
import { configValue, sentinelReply, startTunedTopology } from '../harness/failover-kit.js';

/**
 * Valkey 8's names: SENTINEL PRIMARY, PRIMARIES, GET-PRIMARY-ADDR-BY-NAME and
 * IS-PRIMARY-DOWN-BY-ADDR answer byte for byte as the Redis names, in a group with a real
 * redis-sentinel peer that keeps using the Redis names; the command table stays redis-sentinel
 * 7.0's; `primary-reboot-down-after-period` is read and written back under Redis's name; the
 * executable answers to `redis-sentinel` and `valkey-sentinel`.
 */

const DOWN_AFTER_MS = 1000;
const FAILOVER_TIMEOUT_MS = 10_000;
const REPO = dirname(dirname(OUR_BIN));
const fixture = (name: string) => readFileSync(join(REPO, 'src/server/fixtures', `sentinel-7.0.15-${name}`));

/**
 * The alias and its Redis name pipelined on one connection, until both replies were made in the
 * same millisecond (SENTINEL MASTER carries ages in ms): then their bytes must be equal.
 */
async function pairedReplies(conn: RawConnection, alias: string[], redis: string[]): Promise<[string, string]> {
  return waitFor(
    async () => {
      conn.sendBytes(Buffer.concat([encodeCommand(['SENTINEL', ...alias]), encodeCommand(['SENTINEL', ...redis])]));
      const [a, b] = [await conn.read(), await conn.read()];
      return [a.bytes.toString('latin1'), b.bytes.toString('latin1')] as [string, string];
    },
    { timeoutMs: 10_000, intervalMs: 10, description: `SENTINEL ${alias.join(' ')} to answer as SENTINEL ${redis.join(' ')}`, until: ([a, b]) => a === b },
  );
}

async function openRaw(h: Harness, port: number, protocol: 2 | 3): Promise<RawConnection> {
  const conn = await h.raw(port);
  if (protocol === 3) await conn.hello(3);
  return conn;
}

describe("Valkey 8's names", () => {
  const h = useHarness('valkey-names');

  it('the PRIMARY subcommands answer as the MASTER ones in RESP2 and RESP3, in a group with a real redis-sentinel that fails over with the Redis names', async ({
    expect,
  }) => {
    const t: Topology = await startTunedTopology(h, {
      label: 'mixed',
      replicas: 1,
      sentinels: ['ours', 'redis'],
      quorum: 2,
      downAfterMs: DOWN_AFTER_MS,
      failoverTimeoutMs: FAILOVER_TIMEOUT_MS,
    });
    const name = t.masterName;
    const [ours, real] = t.sentinels;
    const masterPort = String(t.master.port);

    const pairs: Array<[string[], string[]]> = [
      [['PRIMARY', name], ['MASTER', name]],
      [['primary', 'nosuch'], ['master', 'nosuch']],
      [['PRIMARIES'], ['MASTERS']],
      [['Get-Primary-Addr-By-Name', name], ['GET-MASTER-ADDR-BY-NAME', name]],
      [['GET-PRIMARY-ADDR-BY-NAME', 'nosuch'], ['GET-MASTER-ADDR-BY-NAME', 'nosuch']],
      [['IS-PRIMARY-DOWN-BY-ADDR', '127.0.0.1', masterPort, '0', '*'], ['IS-MASTER-DOWN-BY-ADDR', '127.0.0.1', masterPort, '0', '*']],
      [['is-primary-down-by-addr', '127.0.0.1', 'x', '0', '*'], ['is-master-down-by-addr', '127.0.0.1', 'x', '0', '*']],
    ];
    for (const protocol of [2, 3] as const) {
      const conn = await openRaw(h, ours.port, protocol);
      for (const [alias, redis] of pairs) {
        const [a, b] = await pairedReplies(conn, alias, redis);
        expect(a, `RESP${protocol} SENTINEL ${alias.join(' ')}`).toBe(b);
      }
      // A real answer, not an error both ways.
      const [primary] = await pairedReplies(conn, ['PRIMARY', name], ['MASTER', name]);
      expect(primary.startsWith(protocol === 3 ? '%' : '*')).toBe(true);
      expect(primary).toContain(`\r\nname\r\n$${name.length}\r\n${name}\r\n`);
      conn.close();
    }
    // Arity errors name the subcommand as typed, as Valkey's command table does.
    expect(await sentinelReply(ours.port, ['SENTINEL', 'PRIMARY'])).toBe("-ERR wrong number of arguments for 'sentinel|primary' command");
    expect(await sentinelReply(ours.port, ['SENTINEL', 'PRIMARIES', 'x'])).toBe("-ERR wrong number of arguments for 'sentinel|primaries' command");
    expect(await sentinelReply(ours.port, ['SENTINEL', 'IS-PRIMARY-DOWN-BY-ADDR', '127.0.0.1', masterPort, '0'])).toBe(
      "-ERR wrong number of arguments for 'sentinel|is-primary-down-by-addr' command",
    );

    // The command table stays redis-sentinel 7.0.15's: the new names are answered, not listed.
    for (const protocol of [2, 3] as const) {
      const docs = await rawCommand(ours.port, ['COMMAND', 'DOCS'], { protocol });
      expect(docs.bytes.equals(fixture(`COMMAND-DOCS.resp${protocol}`)), `COMMAND DOCS RESP${protocol}`).toBe(true);
    }
    for (const args of [['COMMAND', 'COUNT'], ['COMMAND', 'INFO', 'sentinel|primary'], ['COMMAND', 'INFO', 'sentinel|forget'], ['COMMAND', 'DOCS', 'sentinel|primary']]) {
      const [a, b] = await Promise.all([rawCommand(ours.port, args), rawCommand(real.port, args)]);
      expect(a.bytes.toString(), args.join(' ')).toBe(b.bytes.toString());
    }
    const list = await rawCommand(ours.port, ['COMMAND', 'LIST']);
    expect(list.value.type === 'array' && list.value.items.map((i) => (i.type === 'bulk' ? i.value : '')).filter((n) => /primar|forget/.test(String(n)))).toEqual([]);
    expect((await rawCommand(ours.port, ['SENTINEL', 'HELP'])).bytes.equals(fixture('SENTINEL-HELP.resp2'))).toBe(true);
    // The real redis-sentinel 7.0 does not know these names.
    expect(await sentinelReply(real.port, ['SENTINEL', 'PRIMARY', name])).toBe("-ERR unknown subcommand 'PRIMARY'. Try SENTINEL HELP.");

    // ACL: the aliases have the permission of their Redis names; FORGET that of RESET.
    expect(await sentinelReply(ours.port, ['ACL', 'SETUSER', 'reader', 'on', 'nopass', '+sentinel|master'])).toBe('+OK');
    expect(await sentinelReply(ours.port, ['ACL', 'DRYRUN', 'reader', 'SENTINEL', 'PRIMARY', name])).toBe('+OK');
    expect(await sentinelReply(ours.port, ['ACL', 'DRYRUN', 'reader', 'SENTINEL', 'PRIMARIES'])).toBe(
      "This user has no permissions to run the 'sentinel|primaries' command",
    );
    expect(await sentinelReply(ours.port, ['ACL', 'DRYRUN', 'default', 'SENTINEL', 'FORGET', name, 'SENTINEL', 'x'])).toBe('+OK');
    const reader = await h.raw(ours.port);
    expect((await reader.command(['AUTH', 'reader', 'x'])).bytes.toString()).toBe('+OK\r\n');
    expect((await reader.command(['SENTINEL', 'PRIMARY', name])).value.type).toBe('array');
    expect((await reader.command(['SENTINEL', 'FORGET', name, 'SENTINEL', 'x'])).bytes.toString()).toBe(
      "-NOPERM this user has no permissions to run the 'sentinel|forget' command\r\n",
    );
    reader.close();

    // The real peer and ours agree on the master's death and elect a leader with IS-MASTER-DOWN-BY-ADDR.
    const [oursEvents, realEvents] = await Promise.all([h.events(ours.port), h.events(real.port)]);
    const since = Date.now();
    t.master.kill('SIGKILL');
    const switched = `${name} 127.0.0.1 ${masterPort} 127.0.0.1 ${t.replicas[0].port}`;
    await Promise.all([oursEvents, realEvents].map((c) => c.waitFor({ channel: '+switch-master', message: switched, since }, 30_000)));
    // The election went across implementations: one of them voted for the other.
    const [ourId, realId] = await Promise.all([ours, real].map((s) => h.queries(s.port).myid()));
    const votedFor = (c: typeof oursEvents) => c.all({ channel: '+vote-for-leader', since }).map((v) => v.message.split(' ')[0]);
    const crossVotes = [...votedFor(oursEvents).filter((id) => id === realId), ...votedFor(realEvents).filter((id) => id === ourId)];
    expect(crossVotes.length, `ours voted ${votedFor(oursEvents)}, redis voted ${votedFor(realEvents)}`).toBeGreaterThan(0);

    // A vote asked with the Valkey name is the vote the Redis name reports, and is on disk first.
    const [, newPort] = (await h.queries(ours.port).masterAddr(name))!;
    const epoch = String(Number(configValue(ours, 'sentinel current-epoch')) + 10);
    const asked = await rawCommand(ours.port, ['SENTINEL', 'IS-PRIMARY-DOWN-BY-ADDR', '127.0.0.1', newPort, epoch, 'a'.repeat(40)]);
    expect(asked.bytes.toString()).toBe(`*3\r\n:0\r\n$40\r\n${'a'.repeat(40)}\r\n:${epoch}\r\n`);
    expect(ours.configLines(`sentinel leader-epoch ${name}`)).toEqual([`sentinel leader-epoch ${name} ${epoch}`]);
    const again = await rawCommand(ours.port, ['SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', '127.0.0.1', newPort, epoch, 'b'.repeat(40)]);
    expect(again.bytes.toString()).toBe(asked.bytes.toString());
  });

  it("reads primary-reboot-down-after-period in sentinel.conf and SENTINEL SET, and writes Redis's name back", async ({ expect }) => {
    const master = await h.startRedis({ name: 'reboot-master' });
    const s = await h.startSentinel({
      impl: 'ours',
      name: 'reboot-sentinel',
      monitors: [{ name: 'm', port: master.port, quorum: 1 }],
      configLines: ['sentinel primary-reboot-down-after-period m 4000'],
    });
    // Loaded; the start-up rewrite writes it under Redis's name, in the same place.
    await waitFor(() => s.readConfig(), {
      timeoutMs: 5000,
      description: 'the start-up rewrite',
      until: (text) => text.includes('sentinel myid '),
    });
    expect(s.configLines('sentinel master-reboot-down-after-period')).toEqual(['sentinel master-reboot-down-after-period m 4000']);
    expect(s.configLines('sentinel primary-reboot-down-after-period')).toEqual([]);
    const events = await h.events(s.port);
    expect(await sentinelReply(s.port, ['SENTINEL', 'SET', 'm', 'primary-reboot-down-after-period', '2500'])).toBe('+OK');
    expect(s.configLines('sentinel master-reboot-down-after-period')).toEqual(['sentinel master-reboot-down-after-period m 2500']);
    await events.waitFor({ channel: '+set', message: `master m 127.0.0.1 ${master.port} primary-reboot-down-after-period 2500` }, 5000);
    expect(await sentinelReply(s.port, ['SENTINEL', 'SET', 'm', 'primary-reboot-down-after-period', '-1'])).toBe(
      "-ERR Invalid argument '-1' for SENTINEL SET 'primary-reboot-down-after-period'",
    );
  });
});

describe('the executable under the names redis-sentinel and valkey-sentinel', () => {
  const h = useHarness('valkey-bin');

  it('starts the sentinel from a symlink of either name, as `sentinel` does', async ({ expect }) => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin).toEqual({ sentinel: 'bin/sentinel.js', 'valkey-sentinel': 'bin/sentinel.js' });

    const master = await h.startRedis({ name: 'bin-master' });
    const binDir = join(h.root, 'bin');
    mkdirSync(binDir, { recursive: true });
    const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` };
    const ownVersion = spawnSync(process.execPath, [OUR_BIN, '--version'], { encoding: 'utf8', timeout: 10_000 }).stdout;
    expect(ownVersion).toMatch(/^Redis server v=7\.0\.15 /);

    for (const program of ['redis-sentinel', 'valkey-sentinel']) {
      const link = join(binDir, program);
      symlinkSync(OUR_BIN, link);
      const version = spawnSync(link, ['--version'], { env, encoding: 'utf8', timeout: 10_000 });
      expect(version.stdout, version.stderr).toBe(ownVersion);

      const port = await freeLowPort();
      const conf = join(h.root, `${program}.conf`);
      writeFileSync(conf, `port ${port}\nbind 127.0.0.1\ndir "${h.root}"\nsentinel monitor mymaster 127.0.0.1 ${master.port} 1\n`);
      const proc = h.startProcess({ name: program, command: link, args: [conf], env });
      expect(await waitUntilServing(proc, port, 15_000), proc.logTail(20)).toBe('ready');
      expect(await sentinelReply(port, ['SENTINEL', 'GET-PRIMARY-ADDR-BY-NAME', 'mymaster'])).toContain(String(master.port));
      const info = (await rawCommand(port, ['INFO', 'server'])).bytes.toString();
      expect(info).toContain(`executable:${link}\r\n`);
      expect(info).toContain('redis_mode:sentinel\r\n');
      // Its config is rewritten as any sentinel's: the start-up rewrite adds its id.
      await waitFor(() => readFileSync(conf, 'utf8'), {
        timeoutMs: 5000,
        description: `${program} to rewrite its config`,
        until: (text) => /^sentinel myid [0-9a-f]{40}$/m.test(text),
      });
    }
  });
});
