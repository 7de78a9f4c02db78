import { describe, expect, it } from 'vitest';
import { argvToConfigText } from '../../src/config/argv.js';
import { parseConfig } from '../../src/config/load.js';
import { rewriteConfig } from '../../src/config/rewrite.js';
import { encodeReply } from '../../src/resp/encode.js';
import type { Reply } from '../../src/resp/reply.js';
import { repliesWithVote, type CommandEnvironment } from '../../src/server/commands/sentinel-subcommands.js';
import { CoreHarness, PEERS } from './core-fixture.js';
import { PURE } from './pure-config.js';

/** Beyond Redis: SENTINEL FORGET and `forget-after`, on the core with a fake clock. */

const env: CommandEnvironment = { isExecutable: () => false };
const [PEER_A, PEER_B] = PEERS;
const MASTER_DESC = 'master mymaster 127.0.0.1 6379';
const REPLICA_A = `slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379`;
const SENTINEL_A = `sentinel ${PEER_A} 127.0.0.1 26380 @ mymaster 127.0.0.1 6379`;

function sent(h: CoreHarness, ...argv: string[]): string {
  return encodeReply(h.sentinelCommand(argv, env), 2).toString('utf8');
}

function field(reply: Reply, key: string): string | undefined {
  if (reply.type !== 'map') throw new Error(`not a map: ${reply.type}`);
  const entry = reply.entries.find(([k]) => k.type === 'bulk' && String(k.value) === key);
  return entry && entry[1].type === 'bulk' ? String(entry[1].value) : undefined;
}

/** Two replicas (6380, 6381) and two peers (26380, 26381) from the config, links established. */
function group(forgetAfterMs = 0): CoreHarness {
  const h = new CoreHarness((c) => {
    const m = c.masters[0];
    m.knownReplicas = [
      { host: '127.0.0.1', port: 6380 },
      { host: '127.0.0.1', port: 6381 },
    ];
    m.knownSentinels = [PEER_A, PEER_B].map((runid, i) => ({ host: '127.0.0.1', port: 26380 + i, runid }));
    m.forgetAfterMs = forgetAfterMs;
  });
  h.tick();
  h.connectAll();
  return h;
}

const replica = (h: CoreHarness, port: number) => h.master.replicas.get(`127.0.0.1:${port}`)!;

/** Time passes with everything answering but replica 6380 and peer A. */
function killReplicaAndPeer(h: CoreHarness, ms = 6000): void {
  const alive = [h.master, replica(h, 6381), h.master.sentinels.get(PEER_B)!];
  h.advanceAnswering(ms, alive);
}

describe('SENTINEL FORGET', () => {
  it('refuses an instance that is up, and bad arguments, with Redis-style errors', () => {
    const h = group();
    expect(sent(h, 'forget', 'nosuch', 'replica', '127.0.0.1', '6380')).toBe('-ERR No such master with that name\r\n');
    expect(sent(h, 'forget', 'mymaster', 'replica', '127.0.0.1', '6390')).toBe('-ERR No such replica with that address\r\n');
    expect(sent(h, 'forget', 'mymaster', 'sentinel', 'f'.repeat(40))).toBe('-ERR No such sentinel with that runid\r\n');
    expect(sent(h, 'forget', 'mymaster', 'replica', '127.0.0.1', 'x')).toBe('-ERR Invalid port\r\n');
    expect(sent(h, 'forget', 'mymaster', 'replica', '127.0.0.1', '70000')).toBe('-ERR Invalid port\r\n');
    expect(sent(h, 'forget', 'mymaster', 'replica', '127.0.0.1')).toBe("-ERR wrong number of arguments for 'sentinel|forget' command\r\n");
    expect(sent(h, 'forget', 'mymaster', 'sentinel', PEER_A, 'x')).toBe("-ERR wrong number of arguments for 'sentinel|forget' command\r\n");
    expect(sent(h, 'forget', 'mymaster')).toBe("-ERR wrong number of arguments for 'sentinel|forget' command\r\n");
    expect(sent(h, 'forget', 'mymaster', 'master', 'x')).toBe("-ERR Unknown option or number of arguments for SENTINEL FORGET 'master'\r\n");
    expect(sent(h, 'forget', 'mymaster', 'replica', '127.0.0.1', '6380')).toBe(
      '-ERR Replica 127.0.0.1:6380 is not down: only a replica flagged s_down can be forgotten\r\n',
    );
    expect(sent(h, 'forget', 'mymaster', 'sentinel', PEER_A)).toBe(
      `-ERR Sentinel ${PEER_A} is not down: only a sentinel flagged s_down can be forgotten\r\n`,
    );
    expect(h.master.replicas.size).toBe(2);
    expect(h.master.sentinels.size).toBe(2);
  });

  it('drops a down replica and a down peer, writes the config first, and leaves the rest as it was', () => {
    const h = group();
    killReplicaAndPeer(h);
    expect(replica(h, 6380).flags.sdown).toBe(true);
    expect(h.master.sentinels.get(PEER_A)!.flags.sdown).toBe(true);
    const before = {
      flags: field(h.sentinelCommand(['master', 'mymaster'], env), 'flags'),
      replica: replica(h, 6381),
      replicaFlags: { ...replica(h, 6381).flags },
      peer: h.master.sentinels.get(PEER_B)!,
      masterLink: h.master.link,
    };
    expect(before.flags).toBe('master');
    const saves = h.saved.length;
    h.events.length = 0;

    // Case-insensitive kind words; SLAVE is REPLICA's other name.
    expect(sent(h, 'FORGET', 'mymaster', 'Slave', '127.0.0.1', '6380')).toBe('+OK\r\n');
    expect(sent(h, 'forget', 'mymaster', 'SENTINEL', PEER_A)).toBe('+OK\r\n');
    expect(h.eventLines()).toEqual([`-slave ${REPLICA_A}`, `-sentinel ${SENTINEL_A}`]);
    expect(h.saved.length).toBe(saves + 2);
    const last = h.saved.at(-1)!.masters[0];
    expect(last.knownReplicas).toEqual([{ host: '127.0.0.1', port: 6381 }]);
    expect(last.knownSentinels.map((s) => s.runid)).toEqual([PEER_B]);

    const master = h.sentinelCommand(['master', 'mymaster'], env);
    expect(field(master, 'num-slaves')).toBe('1');
    expect(field(master, 'num-other-sentinels')).toBe('1');
    // No blind window: the same instances, links and flags as before.
    expect(field(master, 'flags')).toBe(before.flags);
    expect(replica(h, 6381)).toBe(before.replica);
    expect(replica(h, 6381).flags).toEqual(before.replicaFlags);
    expect(h.master.sentinels.get(PEER_B)).toBe(before.peer);
    expect(h.master.link).toBe(before.masterLink);
    expect(h.master.link.disconnected).toBe(false);
    expect(sent(h, 'forget', 'mymaster', 'replica', '127.0.0.1', '6380')).toBe('-ERR No such replica with that address\r\n');
  });

  it('counts one voter fewer in SENTINEL CKQUORUM', () => {
    const h = group();
    const quorum = () => sent(h, 'ckquorum', 'mymaster');
    killReplicaAndPeer(h);
    // 3 voters, ourselves and peer B usable: majority 2 reached.
    expect(quorum()).toBe('+OK 2 usable Sentinels. Quorum and failover authorization can be reached\r\n');
    expect(sent(h, 'forget', 'mymaster', 'sentinel', PEER_A)).toBe('+OK\r\n');
    // 2 voters: the majority is still 2.
    expect(quorum()).toBe('+OK 2 usable Sentinels. Quorum and failover authorization can be reached\r\n');
    // Peer B dies too: with 2 voters and 1 usable, no majority; forgotten, 1 voter and 1 usable.
    h.advanceAnswering(6000, [h.master, replica(h, 6381)]);
    expect(quorum()).toBe(
      '-NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master. ' +
        'Not enough available Sentinels to reach the majority and authorize a failover\r\n',
    );
    expect(sent(h, 'forget', 'mymaster', 'sentinel', PEER_B)).toBe('+OK\r\n');
    expect(sent(h, 'set', 'mymaster', 'quorum', '1')).toBe('+OK\r\n');
    expect(quorum()).toBe('+OK 1 usable Sentinels. Quorum and failover authorization can be reached\r\n');
  });
});

describe('forget-after', () => {
  it('forgets nothing while unset', () => {
    const h = group(0);
    killReplicaAndPeer(h, 30_000);
    expect(replica(h, 6380).flags.sdown).toBe(true);
    expect(h.master.replicas.size).toBe(2);
    expect(h.master.sentinels.size).toBe(2);
  });

  it('forgets replicas and peers S_DOWN for longer than the period, with an event and a config write', () => {
    const h = group(3000);
    killReplicaAndPeer(h);
    // S_DOWN after down-after (5 s), so not forgotten yet.
    expect(replica(h, 6380).flags.sdown).toBe(true);
    expect(h.master.replicas.size).toBe(2);
    h.events.length = 0;
    const saves = h.saved.length;
    killReplicaAndPeer(h, 3000);
    expect(h.eventLines()).toEqual([`-slave ${REPLICA_A} #down for more than 3000 ms`, `-sentinel ${SENTINEL_A} #down for more than 3000 ms`]);
    expect(h.saved.length).toBeGreaterThan(saves);
    expect(h.saved.at(-1)!.masters[0].knownReplicas).toEqual([{ host: '127.0.0.1', port: 6381 }]);
    expect([...h.master.sentinels.keys()]).toEqual([PEER_B]);
    expect(h.master.flags.sdown).toBe(false);
  });

  it('is set with SENTINEL SET (0 turns it off) and shown by SENTINEL MASTER only when set', () => {
    const h = group();
    const shown = () => field(h.sentinelCommand(['master', 'mymaster'], env), 'forget-after');
    expect(shown()).toBeUndefined();
    h.events.length = 0;
    expect(sent(h, 'set', 'mymaster', 'forget-after', '60000')).toBe('+OK\r\n');
    expect(h.eventLines()).toEqual([`+set ${MASTER_DESC} forget-after 60000`]);
    expect(h.saved.at(-1)!.masters[0].forgetAfterMs).toBe(60000);
    expect(shown()).toBe('60000');
    expect(sent(h, 'set', 'mymaster', 'forget-after', '-1')).toBe("-ERR Invalid argument '-1' for SENTINEL SET 'forget-after'\r\n");
    expect(sent(h, 'set', 'mymaster', 'forget-after', '0')).toBe('+OK\r\n');
    expect(shown()).toBeUndefined();
  });
});

describe("Valkey 8's names", () => {
  it('IS-PRIMARY-DOWN-BY-ADDR with a run id waits for the config writes as IS-MASTER-DOWN-BY-ADDR does', () => {
    for (const sub of ['is-master-down-by-addr', 'IS-PRIMARY-DOWN-BY-ADDR']) {
      expect(repliesWithVote([sub, '127.0.0.1', '6379', '1', PEER_A]), sub).toBe(true);
      expect(repliesWithVote([sub, '127.0.0.1', '6379', '1', '*']), sub).toBe(false);
    }
  });

  it('the PRIMARY subcommands answer as the MASTER ones', () => {
    const h = group();
    const pairs = [
      [['primary', 'mymaster'], ['master', 'mymaster']],
      [['PRIMARIES'], ['masters']],
      [['get-primary-addr-by-name', 'mymaster'], ['get-master-addr-by-name', 'mymaster']],
      [['is-primary-down-by-addr', '127.0.0.1', '6379', '0', '*'], ['is-master-down-by-addr', '127.0.0.1', '6379', '0', '*']],
    ];
    for (const [alias, redis] of pairs) {
      for (const protocol of [2, 3] as const) {
        const a = encodeReply(h.sentinelCommand(alias, env), protocol).toString();
        expect(a, alias.join(' ')).toBe(encodeReply(h.sentinelCommand(redis, env), protocol).toString());
        expect(a).not.toMatch(/^-/);
      }
    }
    expect(sent(h, 'primary')).toBe("-ERR wrong number of arguments for 'sentinel|primary' command\r\n");
  });
});

describe("Valkey 8's names in SENTINEL SET", () => {
  it('primary-reboot-down-after-period sets master-reboot-down-after-period, announced as typed', () => {
    const h = group();
    h.events.length = 0;
    expect(sent(h, 'set', 'mymaster', 'PRIMARY-reboot-down-after-period', '1500')).toBe('+OK\r\n');
    expect(h.master.masterRebootDownAfterPeriodMs).toBe(1500);
    expect(h.eventLines()).toEqual([`+set ${MASTER_DESC} PRIMARY-reboot-down-after-period 1500`]);
    expect(sent(h, 'set', 'mymaster', 'primary-reboot-down-after-period', 'x')).toBe(
      "-ERR Invalid argument 'x' for SENTINEL SET 'primary-reboot-down-after-period'\r\n",
    );
  });
});

describe('forget-after and primary-reboot-down-after-period in sentinel.conf', () => {
  const MYID = '361b5dc67b2b8704ab893522127ccec8b771ac8a';
  const DEFAULTS = { downAfterMs: 30000, failoverTimeoutMs: 180000 };
  const rewrite = (text: string) => {
    const { server, sentinel } = parseConfig(text, PURE);
    sentinel.myid ??= MYID;
    return { sentinel, out: rewriteConfig(text, server, sentinel, DEFAULTS) };
  };
  const sentinelLines = (out: string) => out.split('\n').filter((l) => l.startsWith('sentinel ') && !/epoch|myid/.test(l));

  it('reads forget-after, writes it back only when set', () => {
    const set = rewrite('sentinel monitor m 127.0.0.1 6379 2\nsentinel forget-after m 45000\n');
    expect(set.sentinel.masters[0].forgetAfterMs).toBe(45000);
    expect(sentinelLines(set.out)).toEqual(['sentinel monitor m 127.0.0.1 6379 2', 'sentinel forget-after m 45000']);
    const zero = rewrite('sentinel monitor m 127.0.0.1 6379 2\nsentinel forget-after m 0\n');
    expect(sentinelLines(zero.out)).toEqual(['sentinel monitor m 127.0.0.1 6379 2']);
    expect(() => parseConfig('sentinel monitor m 127.0.0.1 6379 2\nsentinel forget-after m -5\n', PURE)).toThrow(/negative time parameter/);
    expect(() => parseConfig('sentinel forget-after nosuch 5\n', PURE)).toThrow(/No such master/);
  });

  it("reads Valkey's primary-reboot-down-after-period and writes Redis's name in its place", () => {
    const { sentinel, out } = rewrite('sentinel monitor m 127.0.0.1 6379 2\nsentinel primary-reboot-down-after-period m 700\nport 26379\n');
    expect(sentinel.masters[0].masterRebootDownAfterPeriodMs).toBe(700);
    expect(out.split('\n').slice(0, 3)).toEqual([
      'sentinel monitor m 127.0.0.1 6379 2',
      'sentinel master-reboot-down-after-period m 700',
      'port 26379',
    ]);
    expect(out).not.toContain('primary-reboot');
  });
});

describe('forget-after on the command line', () => {
  it('is a config line like any other: --sentinel forget-after <master> <ms>', () => {
    const { text } = argvToConfigText(['--sentinel', 'monitor', 'm', '127.0.0.1', '6379', '2', '--sentinel', 'forget-after', 'm', '5000'], '/');
    expect(parseConfig(text, PURE).sentinel.masters[0].forgetAfterMs).toBe(5000);
  });
});
