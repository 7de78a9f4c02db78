import { describe, expect, it } from 'vitest';
import { parseHello, formatHello } from '../../src/core/hello.js';
import { parseInfo } from '../../src/core/info.js';
import { describeFields } from '../../src/core/describe.js';
import { isMasterDownByAddr } from '../../src/core/election.js';
import { CoreHarness, MYID, PEER_ID, infoText, pong } from './core-fixture.js';

const MASTER_INFO = [
  '# Server',
  `run_id:${'1'.repeat(40)}`,
  '# Replication',
  'role:master',
  'connected_slaves:2',
  'slave0:ip=127.0.0.1,port=6380,state=online,offset=100,lag=0',
  'slave1:127.0.0.1,6381,online',
  'master_repl_offset:100',
];

const REPLICA_INFO = [
  `run_id:${'2'.repeat(40)}`,
  'role:slave',
  'master_host:127.0.0.1',
  'master_port:6379',
  'master_link_status:up',
  'slave_read_repl_offset:99',
  'slave_repl_offset:100',
  'slave_priority:50',
  'replica_announced:1',
];

describe('INFO parsing', () => {
  it('reads the run id, role and both replica line formats of a master', () => {
    const info = parseInfo(MASTER_INFO.join('\r\n'));
    expect(info.runId).toBe('1'.repeat(40));
    expect(info.role).toBe('master');
    expect(info.replicas).toEqual([
      { ip: '127.0.0.1', port: 6380 },
      { ip: '127.0.0.1', port: 6381 },
    ]);
  });

  it('reads replication fields only after role:slave, and not slave_read_repl_offset', () => {
    const info = parseInfo(REPLICA_INFO.join('\r\n'));
    expect(info).toMatchObject({
      role: 'slave',
      masterHost: '127.0.0.1',
      masterPort: 6379,
      masterLinkUp: true,
      slaveReplOffset: 100,
      slavePriority: 50,
      replicaAnnounced: 1,
    });
    const early = parseInfo(['master_host:10.0.0.1', 'role:slave'].join('\r\n'));
    expect(early.masterHost).toBeNull();
  });

  it('turns master_link_down_since_seconds into milliseconds, -1 included', () => {
    expect(parseInfo('role:slave\r\nmaster_link_down_since_seconds:-1').masterLinkDownTime).toBe(-1000);
    expect(parseInfo('role:slave\r\nmaster_link_down_since_seconds:7').masterLinkDownTime).toBe(7000);
  });

  it('ignores a short run_id line and garbage', () => {
    const info = parseInfo('run_id:abc\r\n\u0000\u0001\r\nslave0:\r\nrole:unknown');
    expect(info.runId).toBeNull();
    expect(info.role).toBeNull();
    expect(info.replicas).toEqual([]);
  });
});

describe('hello messages', () => {
  it('round-trips the eight fields', () => {
    const h = {
      sentinelIp: '127.0.0.1',
      sentinelPort: 26380,
      runId: PEER_ID,
      currentEpoch: 3n,
      masterName: 'mymaster',
      masterIp: '127.0.0.1',
      masterPort: 6379,
      masterConfigEpoch: 2n,
    };
    expect(formatHello(h)).toBe(`127.0.0.1,26380,${PEER_ID},3,mymaster,127.0.0.1,6379,2`);
    expect(parseHello(formatHello(h))).toEqual(h);
  });

  it('rejects payloads without exactly eight fields', () => {
    expect(parseHello('a,b,c')).toBeNull();
    expect(parseHello('1,2,3,4,5,6,7,8,9')).toBeNull();
  });
});

describe('monitoring in the core', () => {
  it('opens a command and a pub/sub connection to the master, named as Redis names them', () => {
    const h = new CoreHarness();
    h.advance(100);
    const connects = h.actions.filter((a) => a.kind === 'connect');
    expect(connects.map((a) => a.kind === 'connect' && a.conn)).toEqual(['cc', 'pc']);
    expect(h.sent(h.master, 'CLIENT')).toEqual([
      ['CLIENT', 'SETNAME', `sentinel-${MYID.slice(0, 8)}-cmd`],
      ['CLIENT', 'SETNAME', `sentinel-${MYID.slice(0, 8)}-pubsub`],
    ]);
    expect(h.sent(h.master, 'SUBSCRIBE')).toEqual([['SUBSCRIBE', '__sentinel__:hello']]);
    expect(h.sent(h.master, 'PING')).toHaveLength(1);
    expect(h.sent(h.master, 'INFO')).toHaveLength(1);
  });

  it('sends AUTH with auth-user and auth-pass first, and renames commands', () => {
    const h = new CoreHarness((c) => {
      c.masters[0].authPass = 'secret';
      c.masters[0].authUser = 'app';
      c.masters[0].renamedCommands = [['PING', 'HEARTBEAT']];
    });
    h.advance(100);
    const first = h.actions.find((a) => a.kind === 'send');
    expect(first && first.kind === 'send' && first.args).toEqual(['AUTH', 'app', 'secret']);
    expect(h.sent(h.master, 'HEARTBEAT')).toHaveLength(1);
    expect(h.sent(h.master, 'PING')).toHaveLength(0);
  });

  it('discovers replicas from INFO, emits +slave and persists them', () => {
    const h = new CoreHarness();
    h.advance(100);
    h.connectAll();
    h.answer(h.master, 'INFO', infoText(MASTER_INFO));
    expect([...h.master.replicas.keys()]).toEqual(['127.0.0.1:6380', '127.0.0.1:6381']);
    expect(h.eventLines()).toContain('+slave slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379');
    expect(h.saved.at(-1)?.masters[0].knownReplicas).toEqual([
      { host: '127.0.0.1', port: 6380 },
      { host: '127.0.0.1', port: 6381 },
    ]);
    expect(h.master.runid).toBe('1'.repeat(40));
  });

  it('marks a silent master +sdown after down-after-milliseconds and -sdown when it answers', () => {
    const h = new CoreHarness();
    h.advance(100);
    h.connectAll();
    h.answer(h.master, 'PING', pong);
    h.advance(4900);
    expect(h.master.flags.sdown).toBe(false);
    // The clock runs from the first unanswered PING, sent a ping period after the last reply.
    h.advance(1300);
    expect(h.master.flags.sdown).toBe(true);
    expect(h.eventLines()).toContain('+sdown master mymaster 127.0.0.1 6379');
    h.answer(h.master, 'PING', pong);
    h.advance(100);
    expect(h.master.flags.sdown).toBe(false);
    expect(h.eventLines()).toContain('-sdown master mymaster 127.0.0.1 6379');
  });

  it('does not count error replies other than LOADING and MASTERDOWN as alive', () => {
    const h = new CoreHarness();
    h.advance(100);
    h.connectAll();
    for (let t = 0; t < 60; t++) {
      h.advance(100);
      h.answer(h.master, 'PING', { type: 'error', value: 'NOAUTH Authentication required.' });
    }
    expect(h.master.flags.sdown).toBe(true);
    const fresh = new CoreHarness();
    fresh.advance(100);
    fresh.connectAll();
    for (let t = 0; t < 60; t++) {
      fresh.advance(100);
      fresh.answer(fresh.master, 'PING', { type: 'error', value: 'LOADING Redis is loading the dataset in memory' });
    }
    expect(fresh.master.flags.sdown).toBe(false);
  });

  it('reports +reboot when the run id changes', () => {
    const h = new CoreHarness();
    h.advance(100);
    h.connectAll();
    h.answer(h.master, 'INFO', infoText(MASTER_INFO));
    h.advanceAnswering(10_100, [h.master]);
    expect(h.answer(h.master, 'INFO', infoText([`run_id:${'9'.repeat(40)}`, 'role:master']))).toBe(1);
    expect(h.eventLines()).toContain('+reboot master mymaster 127.0.0.1 6379');
  });

  it('learns a peer from a hello, emits +sentinel, persists it, and adopts a higher epoch', () => {
    const h = new CoreHarness();
    h.step({ kind: 'hello', payload: `127.0.0.1,26380,${PEER_ID},5,mymaster,127.0.0.1,6379,0` });
    expect([...h.master.sentinels.keys()]).toEqual([PEER_ID]);
    expect(h.eventLines()).toContain(`+sentinel sentinel ${PEER_ID} 127.0.0.1 26380 @ mymaster 127.0.0.1 6379`);
    expect(h.eventLines()).toContain('+new-epoch 5');
    expect(h.state.settings.currentEpoch).toBe(5n);
    expect(h.saved.at(-1)?.masters[0].knownSentinels).toEqual([{ host: '127.0.0.1', port: 26380, runid: PEER_ID }]);
  });

  it('treats a known run id at a new address as an address switch', () => {
    const h = new CoreHarness();
    h.step({ kind: 'hello', payload: `127.0.0.1,26380,${PEER_ID},0,mymaster,127.0.0.1,6379,0` });
    h.step({ kind: 'hello', payload: `127.0.0.1,26390,${PEER_ID},0,mymaster,127.0.0.1,6379,0` });
    expect(h.master.sentinels.get(PEER_ID)?.addr.port).toBe(26390);
    expect(h.eventLines()).toContain(`+sentinel-address-switch master mymaster 127.0.0.1 6379 ip 127.0.0.1 port 26390 for ${PEER_ID}`);
  });

  it('ignores hellos for unknown masters and malformed ones', () => {
    const h = new CoreHarness();
    h.step({ kind: 'hello', payload: `127.0.0.1,26380,${PEER_ID},0,other,127.0.0.1,6379,0` });
    h.step({ kind: 'hello', payload: 'garbage' });
    h.step({ kind: 'hello', payload: `not-an-ip,26380,${PEER_ID},0,mymaster,127.0.0.1,6379,0` });
    expect(h.master.sentinels.size).toBe(0);
  });

  it('publishes its hello on the master every publish period with our local address', () => {
    const h = new CoreHarness();
    h.advance(100);
    h.connectAll('127.0.0.9');
    h.advance(2100);
    const hello = h.sent(h.master, 'PUBLISH').at(-1);
    expect(hello).toEqual(['PUBLISH', '__sentinel__:hello', `127.0.0.9,26379,${MYID},0,mymaster,127.0.0.1,6379,0`]);
  });

  it('describes a master with the fields of SENTINEL MASTER in order', () => {
    const h = new CoreHarness();
    const names = describeFields(h.master, h.now, false).map(([k]) => k);
    expect(names).toEqual([
      'name', 'ip', 'port', 'runid', 'flags', 'link-pending-commands', 'link-refcount', 'last-ping-sent',
      'last-ok-ping-reply', 'last-ping-reply', 'down-after-milliseconds', 'info-refresh', 'role-reported',
      'role-reported-time', 'config-epoch', 'num-slaves', 'num-other-sentinels', 'quorum', 'failover-timeout',
      'parallel-syncs',
    ]);
  });
});

describe('votes', () => {
  it('votes once per epoch and persists the vote before answering', () => {
    const h = new CoreHarness();
    const first = h.command((cx) => isMasterDownByAddr(cx, '127.0.0.1', 6379, 1n, PEER_ID));
    expect(first).toEqual({ down: false, leader: PEER_ID, epoch: 1n });
    expect(h.saved.at(-1)?.masters[0].leaderEpoch).toBe(1n);
    const second = h.command((cx) => isMasterDownByAddr(cx, '127.0.0.1', 6379, 1n, 'c'.repeat(40)));
    expect(second.leader).toBe(PEER_ID);
    expect(h.command((cx) => isMasterDownByAddr(cx, '127.0.0.1', 9999, 1n, '*'))).toEqual({ down: false, leader: '*', epoch: 0n });
  });
});
