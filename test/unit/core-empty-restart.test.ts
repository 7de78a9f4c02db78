import { describe, expect, it } from 'vitest';
import type { ObservedReply } from '../../src/core/actions.js';
import type { ReplicaInstance } from '../../src/core/instance.js';
import { parseConfig } from '../../src/config/load.js';
import { rewriteConfig } from '../../src/config/rewrite.js';
import { encodeReply } from '../../src/resp/encode.js';
import { sentinelCommand, type CommandEnvironment } from '../../src/server/commands/sentinel-subcommands.js';
import { CoreHarness, infoText, pong } from './core-fixture.js';
import { PURE } from './pure-config.js';

/** `sentinel protect-empty-restart <master> yes` (Beyond Redis): see src/core/empty-restart.ts. */

const OLD_RUN_ID = '1'.repeat(40);
const NEW_RUN_ID = '9'.repeat(40);
const MASTER_DESC = 'master mymaster 127.0.0.1 6379';
/** down-after-milliseconds 5000 (the fixture) + failover-timeout 180000 (Redis's default). */
const PAUSE_MS = '185000';

function masterInfo(runId: string, offset: number, keys: number): ObservedReply {
  return infoText([
    `run_id:${runId}`,
    'role:master',
    'connected_slaves:2',
    'slave0:ip=127.0.0.1,port=6380,state=online,offset=0,lag=0',
    'slave1:ip=127.0.0.1,port=6381,state=online,offset=0,lag=0',
    `master_repl_offset:${offset}`,
    '# Keyspace',
    ...(keys > 0 ? [`db0:keys=${keys},expires=0,avg_ttl=0`] : []),
  ]);
}

function replicaInfo(runId: string, offset: number, keys: number): ObservedReply {
  return infoText([
    `run_id:${runId}`,
    'role:slave',
    'master_host:127.0.0.1',
    'master_port:6379',
    'master_link_status:up',
    `slave_repl_offset:${offset}`,
    'slave_priority:100',
    '# Keyspace',
    ...(keys > 0 ? [`db0:keys=${keys},expires=0,avg_ttl=0`] : []),
  ]);
}

/** A master with two replicas, all holding `replicaKeys` keys at offset 35809, as the sentinel last saw them. */
function watching(opts: { protect: boolean; replicaKeys?: number }): { h: CoreHarness; replicas: ReplicaInstance[] } {
  const h = new CoreHarness((c) => {
    c.masters[0].protectEmptyRestart = opts.protect;
    c.masters[0].knownReplicas = [
      { host: '127.0.0.1', port: 6380 },
      { host: '127.0.0.1', port: 6381 },
    ];
  });
  h.advance(100);
  h.connectAll();
  const keys = opts.replicaKeys ?? 1000;
  h.answer(h.master, 'INFO', masterInfo(OLD_RUN_ID, 35809, keys));
  const replicas = [...h.master.replicas.values()];
  replicas.forEach((r, i) => h.answer(r, 'INFO', replicaInfo(String(i + 2).repeat(40), 35809, keys)));
  h.advanceAnswering(10_100, [h.master, ...replicas]);
  return { h, replicas };
}

/** What the master was sent since `from` (an index into the recorded actions). */
function sentToMaster(h: CoreHarness, from: number): string[] {
  return h.actions
    .slice(from)
    .flatMap((a) => (a.kind === 'send' && a.tag.instance === h.master.uid ? [a.args.join(' ')] : []));
}

describe('protect-empty-restart: a master back with a new run id, no keys and its offset started over', () => {
  it('is held (replicas cut off, clients paused) and found down at once, while its replicas hold data', () => {
    const { h } = watching({ protect: true });
    const mark = h.actions.length;
    expect(h.answer(h.master, 'INFO', masterInfo(NEW_RUN_ID, 0, 0))).toBe(1);
    expect(sentToMaster(h, mark)).toEqual(['MULTI', 'CLIENT KILL TYPE slave', `CLIENT PAUSE ${PAUSE_MS} ALL`, 'EXEC']);
    expect(h.eventLines()).toContain(`+reboot ${MASTER_DESC}`);
    expect(h.eventLines()).toContain(`+empty-restart ${MASTER_DESC} #paused ${PAUSE_MS} ms, replicas hold the data`);
    h.advance(100);
    expect(h.master.flags.sdown).toBe(true);
    expect(h.eventLines()).toContain(`+sdown ${MASTER_DESC}`);
  });

  it('stays down while its PINGs go unanswered, and is let go once one sent after the hold is answered', () => {
    const { h } = watching({ protect: true });
    h.answer(h.master, 'INFO', masterInfo(NEW_RUN_ID, 0, 0));
    h.answer(h.master, 'PING', pong); // sent before the hold
    h.advance(3000);
    expect(h.master.flags.sdown).toBe(true);
    h.answer(h.master, 'PING', pong);
    h.advance(100);
    expect(h.master.flags.sdown).toBe(false);
    expect(h.eventLines()).toContain(`-empty-restart ${MASTER_DESC}`);
    expect(h.eventLines()).toContain(`-sdown ${MASTER_DESC}`);
  });

  it('is followed as Redis follows it without the setting', () => {
    const { h } = watching({ protect: false });
    const mark = h.actions.length;
    h.answer(h.master, 'INFO', masterInfo(NEW_RUN_ID, 0, 0));
    expect(sentToMaster(h, mark)).toEqual([]);
    expect(h.eventLines()).toContain(`+reboot ${MASTER_DESC}`);
    h.advanceAnswering(1000, [h.master]);
    expect(h.master.flags.sdown).toBe(false);
  });

  it('is followed when it came back with keys (it has persistence)', () => {
    const { h } = watching({ protect: true });
    const mark = h.actions.length;
    h.answer(h.master, 'INFO', masterInfo(NEW_RUN_ID, 0, 1000));
    expect(sentToMaster(h, mark)).toEqual([]);
    expect(h.master.flags.emptyRestart).toBe(false);
  });

  it('is followed when its offset did not start over (an RDB kept the replication id and offset)', () => {
    const { h } = watching({ protect: true });
    const mark = h.actions.length;
    h.answer(h.master, 'INFO', masterInfo(NEW_RUN_ID, 35809, 0));
    expect(sentToMaster(h, mark)).toEqual([]);
  });

  it('is followed when its replicas held no keys either', () => {
    const { h } = watching({ protect: true, replicaKeys: 0 });
    const mark = h.actions.length;
    h.answer(h.master, 'INFO', masterInfo(NEW_RUN_ID, 0, 0));
    expect(sentToMaster(h, mark)).toEqual([]);
  });

  it('is reconnected to on the next tick after its link dropped, and asked for INFO with the first PING', () => {
    const { h } = watching({ protect: true });
    const cc = [...h.actions].reverse().find((a) => a.kind === 'connect' && a.link === h.master.link.id && a.conn === 'cc');
    if (cc?.kind !== 'connect') throw new Error('no connection to the master');
    h.step({ kind: 'closed', link: cc.link, conn: 'cc', generation: cc.generation, reason: 'Connection reset by peer', neverConnected: false });
    const mark = h.actions.length;
    h.advance(100);
    expect(h.actions.slice(mark).some((a) => a.kind === 'connect' && a.link === h.master.link.id && a.conn === 'cc')).toBe(true);
    expect(sentToMaster(h, mark).slice(0, 3)).toEqual(['CLIENT SETNAME sentinel-aaaaaaaa-cmd', 'PING', 'INFO']);
    // Refused (the master is not listening yet): tried again 100 ms later, where Redis waits a second.
    const retry = [...h.actions].reverse().find((a) => a.kind === 'connect' && a.link === h.master.link.id && a.conn === 'cc');
    if (retry?.kind !== 'connect') throw new Error('no new connection to the master');
    h.step({ kind: 'closed', link: retry.link, conn: 'cc', generation: retry.generation, reason: 'Connection refused', neverConnected: true });
    const again = h.actions.length;
    h.advance(100);
    expect(h.actions.slice(again).some((a) => a.kind === 'connect' && a.link === h.master.link.id && a.conn === 'cc')).toBe(true);
  });
});

describe('protect-empty-restart: the setting', () => {
  const env: CommandEnvironment = { isExecutable: () => false };
  const set = (h: CoreHarness, ...argv: string[]) =>
    encodeReply(h.sentinelCommand(['set', 'mymaster', 'protect-empty-restart', ...argv], env), 2).toString('utf8');

  it('SENTINEL SET takes yes or no in any case, announces it and writes it', () => {
    const h = new CoreHarness();
    expect(set(h, 'YES')).toBe('+OK\r\n');
    expect(h.master.protectEmptyRestart).toBe(true);
    expect(h.eventLines()).toEqual([`+set ${MASTER_DESC} protect-empty-restart YES`]);
    expect(h.saved.at(-1)?.masters[0].protectEmptyRestart).toBe(true);
    expect(set(h, 'no')).toBe('+OK\r\n');
    expect(h.master.protectEmptyRestart).toBe(false);
    expect(set(h, 'maybe')).toBe("-ERR Invalid argument 'maybe' for SENTINEL SET 'protect-empty-restart'\r\n");
  });

  it('is read from the config, refused unless yes or no, and written back only when yes', () => {
    const base = 'sentinel monitor m 127.0.0.1 6379 2\n';
    const on = parseConfig(`${base}sentinel protect-empty-restart m yes\n`, PURE);
    expect(on.sentinel.masters[0].protectEmptyRestart).toBe(true);
    expect(parseConfig(base, PURE).sentinel.masters[0].protectEmptyRestart).toBe(false);
    expect(() => parseConfig(`${base}sentinel protect-empty-restart m 1\n`, PURE)).toThrow(
      /Please specify yes or no for the protect-empty-restart option\./,
    );
    expect(() => parseConfig(`sentinel protect-empty-restart m yes\n`, PURE)).toThrow(/No such master with specified name\./);

    const defaults = { downAfterMs: 30000, failoverTimeoutMs: 180000 };
    const rewritten = (text: string, protect: boolean) => {
      const { server, sentinel } = parseConfig(text, PURE);
      sentinel.myid = 'f'.repeat(40);
      sentinel.masters[0].protectEmptyRestart = protect;
      return rewriteConfig(text, server, sentinel, defaults).split('\n').filter((l) => l.includes('protect-empty-restart'));
    };
    expect(rewritten(base, true)).toEqual(['sentinel protect-empty-restart m yes']);
    expect(rewritten(`${base}sentinel protect-empty-restart m yes\n`, false)).toEqual([]);
    expect(rewritten(base, false)).toEqual([]);
  });
});
