import { describe, expect, it } from 'vitest';
import { useServer, type RawConnection } from './server-kit.js';

const server = useServer();
const connection = (protocol?: 2 | 3) => server.connection(protocol);

const frame = (marker: '*' | '>', ...items: Array<string | number | null>) =>
  `${marker}${items.length}\r\n` +
  items.map((i) => (i === null ? (marker === '>' ? '_\r\n' : '$-1\r\n') : typeof i === 'number' ? `:${i}\r\n` : `$${Buffer.byteLength(i)}\r\n${i}\r\n`)).join('');

async function texts(conn: RawConnection, count: number): Promise<string[]> {
  return (await conn.readMany(count)).map((r) => r.bytes.toString());
}

describe('SUBSCRIBE and PSUBSCRIBE', () => {
  for (const protocol of [2, 3] as const) {
    const marker = protocol === 2 ? '*' : '>';

    it(`confirms each subscription and delivers events (RESP${protocol})`, async () => {
      const c = await connection(protocol);
      c.send('SUBSCRIBE', '+sdown', '+odown');
      expect(await texts(c, 2)).toEqual([frame(marker, 'subscribe', '+sdown', 1), frame(marker, 'subscribe', '+odown', 2)]);
      c.send('PSUBSCRIBE', '*');
      expect(await texts(c, 1)).toEqual([frame(marker, 'psubscribe', '*', 3)]);

      expect(server.t.server.publish('+sdown', 'master mymaster 127.0.0.1 6379')).toBe(2);
      expect(await texts(c, 2)).toEqual([
        frame(marker, 'message', '+sdown', 'master mymaster 127.0.0.1 6379'),
        frame(marker, 'pmessage', '*', '+sdown', 'master mymaster 127.0.0.1 6379'),
      ]);
      expect(server.t.server.publish('+tilt', '#tilt mode entered')).toBe(1);
      expect(await texts(c, 1)).toEqual([frame(marker, 'pmessage', '*', '+tilt', '#tilt mode entered')]);
    });

    it(`unsubscribes one by one, all at once, or reports nothing to drop (RESP${protocol})`, async () => {
      const c = await connection(protocol);
      c.send('SUBSCRIBE', 'a', 'b');
      c.send('PSUBSCRIBE', 'p*');
      await c.readMany(3);
      c.send('UNSUBSCRIBE', 'a', 'zz');
      expect(await texts(c, 2)).toEqual([frame(marker, 'unsubscribe', 'a', 2), frame(marker, 'unsubscribe', 'zz', 2)]);
      c.send('UNSUBSCRIBE');
      expect(await texts(c, 1)).toEqual([frame(marker, 'unsubscribe', 'b', 1)]);
      c.send('PUNSUBSCRIBE');
      expect(await texts(c, 1)).toEqual([frame(marker, 'punsubscribe', 'p*', 0)]);
      c.send('UNSUBSCRIBE');
      expect(await texts(c, 1)).toEqual([frame(marker, 'unsubscribe', null, 0)]);
      expect(server.t.server.publish('a', 'x')).toBe(0);
    });
  }

  it('restricts a RESP2 subscriber to the pub/sub commands and PING', async () => {
    const c = await connection(2);
    c.send('SUBSCRIBE', 'x');
    await c.read();
    expect(await c.call('PING')).toBe('*2\r\n$4\r\npong\r\n$0\r\n\r\n');
    expect(await c.call('PING', 'hi')).toBe('*2\r\n$4\r\npong\r\n$2\r\nhi\r\n');
    expect(await c.call('CLIENT', 'ID')).toBe(
      "-ERR Can't execute 'client|id': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n",
    );
    expect(await c.call('HELLO', '3')).toBe(
      "-ERR Can't execute 'hello': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n",
    );
    expect(await c.call('NOSUCH')).toBe("-ERR unknown command 'NOSUCH', with args beginning with: \r\n");
    c.send('UNSUBSCRIBE');
    await c.read();
    expect(await c.call('CLIENT', 'ID')).toBe(':3\r\n');
  });

  it('lets a RESP3 subscriber run any command', async () => {
    const c = await connection(3);
    c.send('SUBSCRIBE', 'x');
    await c.read();
    expect(await c.call('PING')).toBe('+PONG\r\n');
    expect(await c.call('CLIENT', 'ID')).toBe(':3\r\n');
  });

  it('matches patterns as Redis globs', async () => {
    const c = await connection();
    c.send('PSUBSCRIBE', '+s*', '-[ot]*', 'x?z', 'lit\\*');
    await c.readMany(4);
    expect(server.t.server.publish('+sdown', 'a')).toBe(1);
    expect(server.t.server.publish('-odown', 'b')).toBe(1);
    expect(server.t.server.publish('-tilt', 'c')).toBe(1);
    expect(server.t.server.publish('-sdown', 'd')).toBe(0);
    expect(server.t.server.publish('xyz', 'e')).toBe(1);
    expect(server.t.server.publish('lit*', 'f')).toBe(1);
    expect(server.t.server.publish('litx', 'g')).toBe(0);
    const patterns = (await c.readMany(5)).map((r) => (r.value.type === 'array' && r.value.items[1].type === 'bulk' ? r.value.items[1].value.toString() : ''));
    expect(patterns).toEqual(['+s*', '-[ot]*', '-[ot]*', 'x?z', 'lit\\*']);
  });

  it('counts channels and patterns in INFO stats and forgets them when a client leaves', async () => {
    const a = await connection();
    const b = await connection();
    a.send('SUBSCRIBE', 'x', 'y');
    b.send('SUBSCRIBE', 'x');
    b.send('PSUBSCRIBE', '*');
    await a.readMany(2);
    await b.readMany(2);
    const stats = await (await connection()).call('INFO', 'stats');
    expect(stats).toContain('\r\npubsub_channels:2\r\n');
    expect(stats).toContain('\r\npubsub_patterns:1\r\n');
    b.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(server.t.server.publish('x', 'm')).toBe(1);
  });
});

describe('slow subscribers', () => {
  it('drops a subscriber whose unread output passes the 32 MB pub/sub limit', async () => {
    const { connect } = await import('node:net');
    const socket = connect({ port: server.t.port, host: '127.0.0.1' });
    await new Promise((resolve) => socket.once('connect', resolve));
    const closed = new Promise<boolean>((resolve) => socket.once('close', () => resolve(true)));
    socket.write('SUBSCRIBE +sdown\r\n');
    await new Promise((resolve) => socket.once('data', resolve));
    socket.pause();
    const message = 'x'.repeat(1024 * 1024);
    for (let i = 0; i < 40; i++) server.t.server.publish('+sdown', message);
    await new Promise((r) => setTimeout(r, 50));
    expect(server.t.logs.some((l) => l.level === 'warning' && l.message.endsWith('scheduled to be closed ASAP for overcoming of output buffer limits.'))).toBe(true);
    expect(server.t.server.clientCount).toBe(0);
    // The client notices once it reads again.
    socket.resume();
    expect(await Promise.race([closed, new Promise((r) => setTimeout(() => r(false), 2000))])).toBe(true);
  });
});

describe('PUBLISH', () => {
  it('hands hello messages to the sentinel and answers 1', async () => {
    const c = await connection();
    expect(await c.call('PUBLISH', '__sentinel__:hello', '127.0.0.1,26379,abc,0,mymaster,127.0.0.1,6379,0')).toBe(':1\r\n');
    expect(await c.call('PUBLISH', '__sentinel__:hello', 'garbage')).toBe(':1\r\n');
    expect(server.t.hooks.hellos).toEqual(['127.0.0.1,26379,abc,0,mymaster,127.0.0.1,6379,0', 'garbage']);
  });

  it('refuses every other channel and never re-publishes', async () => {
    const listener = await connection();
    listener.send('PSUBSCRIBE', '*');
    await listener.read();
    const c = await connection();
    expect(await c.call('PUBLISH', 'news', 'x')).toBe('-ERR Only HELLO messages are accepted by Sentinel instances.\r\n');
    expect(await c.call('PUBLISH', '__SENTINEL__:hello', 'x')).toBe('-ERR Only HELLO messages are accepted by Sentinel instances.\r\n');
    expect(await c.call('PUBLISH', 'a', 'b', 'c')).toBe("-ERR wrong number of arguments for 'publish' command\r\n");
    await c.call('PUBLISH', '__sentinel__:hello', 'x');
    expect(await listener.quiet()).toBe(true);
  });
});
