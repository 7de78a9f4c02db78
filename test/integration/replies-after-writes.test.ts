import { describe, it } from 'vitest';
import { implUnderTest, useHarness } from '../harness/index.js';

/**
 * Replies that wait for a config write (SENTINEL FLUSHCONFIG, SET) keep their
 * place: a pipeline gets every reply in order, and a client that closes its
 * side right after asking still gets its answer.
 */
describe('replies that wait for the config file', () => {
  const h = useHarness('replies-after-writes');

  async function sentinel() {
    const master = await h.startRedis();
    const s = await h.startSentinel({ impl: implUnderTest(), monitors: [{ name: 'mymaster', port: master.port, quorum: 1, downAfterMs: 5000 }] });
    return { s, master };
  }

  it('a pipeline of writes and reads is answered in order, and the config holds the last SET', async ({ expect }) => {
    const { s, master } = await sentinel();
    const c = await h.raw(s.port);
    const pipeline = [
      ['SENTINEL', 'FLUSHCONFIG'],
      ['PING'],
      ['SENTINEL', 'SET', 'mymaster', 'down-after-milliseconds', '6000'],
      ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'],
      ['SENTINEL', 'SET', 'mymaster', 'down-after-milliseconds', '7000'],
      ['PING'],
    ];
    c.sendBytes(pipeline.map((args) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`).join(''));
    const replies = [];
    for (let i = 0; i < pipeline.length; i++) replies.push((await c.read(5000)).bytes.toString());
    expect(replies).toEqual(['+OK\r\n', '+PONG\r\n', '+OK\r\n', `*2\r\n$9\r\n127.0.0.1\r\n$${String(master.port).length}\r\n${master.port}\r\n`, '+OK\r\n', '+PONG\r\n']);
    expect(s.configLines('sentinel down-after-milliseconds')).toEqual(['sentinel down-after-milliseconds mymaster 7000']);
  });

  it('a client that half-closes right after SENTINEL FLUSHCONFIG still gets +OK', async ({ expect }) => {
    const { s } = await sentinel();
    const c = await h.raw(s.port);
    c.sendBytes('*2\r\n$8\r\nSENTINEL\r\n$11\r\nFLUSHCONFIG\r\n');
    c.end();
    expect((await c.read(5000)).bytes.toString()).toBe('+OK\r\n');
    expect(await c.waitClosed(5000)).toBe(true);
  });
});
