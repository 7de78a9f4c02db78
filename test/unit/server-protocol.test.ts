import { describe, expect, it } from 'vitest';
import { RawConnection, startServer, useServer } from './server-kit.js';

const server = useServer();
const connection = (protocol?: 2 | 3) => server.connection(protocol);

describe('SentinelServer connections', () => {
  it('answers inline and multibulk PING', async () => {
    const c = await connection();
    c.sendRaw('PING\r\n');
    expect((await c.read()).bytes.toString()).toBe('+PONG\r\n');
    c.sendRaw('*2\r\n$4\r\nPING\r\n$5\r\nhello\r\n');
    expect((await c.read()).bytes.toString()).toBe('$5\r\nhello\r\n');
    c.sendRaw('ping\n');
    expect((await c.read()).bytes.toString()).toBe('+PONG\r\n');
  });

  it('answers a pipeline in order, in one write per read', async () => {
    const c = await connection();
    const requests: string[] = [];
    const expected: string[] = [];
    for (let i = 0; i < 300; i++) {
      requests.push(`*2\r\n$4\r\nPING\r\n$${String(i).length}\r\n${i}\r\n`);
      expected.push(`$${String(i).length}\r\n${i}\r\n`);
      if (i % 50 === 0) {
        requests.push('NOSUCH\r\n');
        expected.push("-ERR unknown command 'NOSUCH', with args beginning with: \r\n");
      }
    }
    c.sendRaw(requests.join(''));
    const replies = await c.readMany(expected.length);
    expect(replies.map((r) => r.bytes.toString())).toEqual(expected);
  });

  it('assembles requests split at every byte', async () => {
    const c = await connection();
    const request = Buffer.from('*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$3\r\nabc\r\n*2\r\n$6\r\nCLIENT\r\n$7\r\nGETNAME\r\n');
    for (const byte of request) {
      c.sendRaw(Buffer.from([byte]));
      await new Promise((r) => setImmediate(r));
    }
    expect((await c.readMany(2)).map((r) => r.bytes.toString())).toEqual(['+OK\r\n', '$3\r\nabc\r\n']);
  });

  it('answers a protocol error with the Redis text after the earlier replies, then closes', async () => {
    const c = await connection();
    c.sendRaw('PING\r\n*abc\r\nPING\r\n');
    const replies = await c.readMany(2);
    expect(replies.map((r) => r.bytes.toString())).toEqual(['+PONG\r\n', '-ERR Protocol error: invalid multibulk length\r\n']);
    expect(await c.closedWithin()).toBe(true);
    const logged = server.t.logs.find((l) => l.message.startsWith('Protocol error (invalid mbulk count) from client: id='));
    expect(logged?.level).toBe('verbose');
  });

  it('under CLIENT REPLY OFF, a protocol error with nothing to send leaves the connection open, as in Redis', async () => {
    const silent = await connection();
    silent.sendRaw('CLIENT REPLY OFF\r\n*1\r\n$x\r\n');
    expect(await silent.closedWithin(300)).toBe(false);
    expect(await silent.quiet()).toBe(true);
    // The replies of the same read still go out, and then the connection closes.
    const pending = await connection();
    pending.sendRaw('PING\r\nCLIENT REPLY OFF\r\n*1\r\n$x\r\n');
    expect((await pending.read()).bytes.toString()).toBe('+PONG\r\n');
    expect(await pending.closedWithin()).toBe(true);
  });

  it('closes on unbalanced quotes in an inline request', async () => {
    const c = await connection();
    c.sendRaw('PING "a\r\n');
    expect((await c.read()).bytes.toString()).toBe('-ERR Protocol error: unbalanced quotes in request\r\n');
    expect(await c.closedWithin()).toBe(true);
  });

  it('drops the connection without a reply on POST or Host: (cross-protocol attack)', async () => {
    for (const request of ['PING\r\nPOST / HTTP/1.1\r\n', 'PING\r\nHost: example.com\r\n', '*1\r\n$4\r\npost\r\n']) {
      const c = await connection();
      c.sendRaw(request);
      expect(await c.closedWithin()).toBe(true);
      expect(await c.quiet(20)).toBe(true);
    }
    const warnings = server.t.logs.filter((l) => l.message.startsWith('Possible SECURITY ATTACK detected.'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0].level).toBe('warning');
  });

  it('ignores empty inline lines', async () => {
    const c = await connection();
    c.sendRaw('\r\n\r\nPING\r\n');
    expect((await c.read()).bytes.toString()).toBe('+PONG\r\n');
    expect(await c.quiet()).toBe(true);
  });

  it('gives each connection the next client id, starting at 3 as a real sentinel does', async () => {
    const a = await connection();
    const b = await connection();
    expect(await a.call('CLIENT', 'ID')).toBe(':3\r\n');
    expect(await b.call('CLIENT', 'ID')).toBe(':4\r\n');
  });

  it('counts connections, commands, bytes and error replies in INFO stats', async () => {
    const c = await connection();
    await c.call('PING');
    await c.call('NOSUCH');
    const stats = await c.call('INFO', 'stats');
    expect(stats).toContain('total_connections_received:1\r\n');
    expect(stats).toContain('total_commands_processed:1\r\n');
    expect(stats).toContain('total_error_replies:1\r\n');
    expect(stats).toMatch(/total_net_input_bytes:(\d+)\r\n/);
    const input = Number(/total_net_input_bytes:(\d+)/.exec(stats)?.[1]);
    expect(input).toBe('*1\r\n$4\r\nPING\r\n'.length + '*1\r\n$6\r\nNOSUCH\r\n'.length + '*2\r\n$4\r\nINFO\r\n$5\r\nstats\r\n'.length);
  });

  it('refuses connections beyond maxclients with the Redis error', async () => {
    await server.restart({ maxclients: 1 });
    const first = await connection();
    expect(await first.call('PING')).toBe('+PONG\r\n');
    const second = await connection();
    expect((await second.read()).bytes.toString()).toBe('-ERR max number of clients reached\r\n');
    expect(await second.closedWithin()).toBe(true);
    expect(await first.call('INFO', 'stats')).toContain('rejected_connections:1\r\n');
  });

  it('closes client connections and stops listening on close()', async () => {
    const c = await connection();
    await server.t.server.close();
    expect(await c.closedWithin()).toBe(true);
    await expect(RawConnection.open(server.t.port)).rejects.toThrow();
  });
});

describe('SentinelServer listeners', () => {
  it('reports a port in use the way Redis does and fails', async () => {
    const logs: string[] = [];
    const second = await startServer({ port: server.t.port, logger: { log: (_l, m) => logs.push(m) } }).catch((e: Error) => e);
    expect(second).toBeInstanceOf(Error);
    expect((second as Error).message).toBe(`Failed listening on port ${server.t.port} (TCP), aborting.`);
    expect(logs).toEqual([
      `Warning: Could not create server TCP listening socket 127.0.0.1:${server.t.port}: bind: Address already in use`,
    ]);
  });

  it('skips an optional address that does not exist but fails on a required one', async () => {
    const logs: string[] = [];
    const logger = { log: (_l: string, m: string) => logs.push(m) };
    await server.restart({ bind: ['127.0.0.1', '-192.0.2.254'], logger });
    expect(server.t.server.addresses().map((a) => a.address)).toEqual(['127.0.0.1']);
    expect(logs.some((m) => m.includes('192.0.2.254') && m.endsWith('bind: Cannot assign requested address'))).toBe(true);
    const failed = await startServer({ bind: ['127.0.0.1', '192.0.2.254'], logger }).catch((e: Error) => e);
    expect(failed).toBeInstanceOf(Error);
  });

  it('refuses to start with port 0 and nothing else to listen on', async () => {
    const failed = await startServer({ port: 0 }).catch((e: Error) => e);
    expect((failed as Error).message).toBe('Configured to not listen anywhere, exiting.');
  });
});
