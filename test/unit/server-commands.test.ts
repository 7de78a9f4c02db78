import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { bulkMap, error } from '../../src/resp/reply.js';
import { RawConnection, SENTINEL_SECTION, startServer, type TestServer } from './server-kit.js';

let t: TestServer | undefined;
const open: RawConnection[] = [];

afterEach(async () => {
  open.splice(0).forEach((c) => c.close());
  await t?.close();
  t = undefined;
});

async function setup(overrides: Parameters<typeof startServer>[0] = {}): Promise<RawConnection> {
  t = await startServer(overrides);
  return connection();
}

async function connection(): Promise<RawConnection> {
  if (t === undefined) throw new Error('no server');
  const conn = await RawConnection.open(t.port);
  open.push(conn);
  return conn;
}

function fixture(name: string): string {
  return readFileSync(new URL(`../../src/server/fixtures/sentinel-7.0.15-${name}`, import.meta.url), 'utf8');
}

function helloBytes(protocol: 2 | 3, id: number): string {
  const body = `$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:${protocol}\r\n$2\r\nid\r\n:${id}\r\n$4\r\nmode\r\n$8\r\nsentinel\r\n$7\r\nmodules\r\n*0\r\n`;
  return (protocol === 3 ? '%6\r\n' : '*12\r\n') + body;
}

describe('HELLO', () => {
  it('answers the 6-entry map, flat in RESP2 and as a map in RESP3', async () => {
    const c = await setup();
    expect(await c.call('HELLO')).toBe(helloBytes(2, 3));
    expect(await c.call('HELLO', '3')).toBe(helloBytes(3, 3));
    expect(await c.call('HELLO', '2')).toBe(helloBytes(2, 3));
  });

  it('sets the name and authenticates in one go', async () => {
    const c = await setup({ requirepass: 'secret' });
    expect(await c.call('HELLO', '3', 'AUTH', 'default', 'secret', 'SETNAME', 'app')).toBe(helloBytes(3, 3));
    expect(await c.call('CLIENT', 'GETNAME')).toBe('$3\r\napp\r\n');
  });

  it('reports bad versions and options with the Redis errors', async () => {
    const c = await setup();
    expect(await c.call('HELLO', 'x')).toBe('-ERR Protocol version is not an integer or out of range\r\n');
    expect(await c.call('HELLO', '4')).toBe('-NOPROTO unsupported protocol version\r\n');
    expect(await c.call('HELLO', '3', 'FOO')).toBe("-ERR Syntax error in HELLO option 'FOO'\r\n");
    expect(await c.call('HELLO', '3', 'AUTH', 'a')).toBe("-ERR Syntax error in HELLO option 'AUTH'\r\n");
    expect(await c.call('HELLO', '3', 'SETNAME', 'a b')).toBe(
      '-ERR Client names cannot contain spaces, newlines or special characters.\r\n',
    );
    // None of the failures switched the protocol.
    expect(await c.call('PING')).toBe('+PONG\r\n');
    expect(await c.call('CLIENT', 'GETNAME')).toBe('$-1\r\n');
  });

  it('quotes the option as printf does: raw bytes up to the first NUL', async () => {
    const c = await setup();
    c.send('HELLO', '3', Buffer.from([0x67, 0xff, 0x00, 0x41]));
    expect((await c.read()).bytes).toEqual(Buffer.from("-ERR Syntax error in HELLO option 'g\xff'\r\n", 'latin1'));
    c.send('ACL', 'CAT', Buffer.concat([Buffer.alloc(130, 0x61), Buffer.from([0xe9])]));
    expect((await c.read()).bytes).toEqual(Buffer.from(`-ERR Unknown category '${'a'.repeat(128)}'\r\n`, 'latin1'));
    c.send('ACL', 'DRYRUN', Buffer.from([0xe9, 0x00, 0x41]), 'ping');
    expect((await c.read()).bytes).toEqual(Buffer.from("-ERR User '\xe9' not found\r\n", 'latin1'));
    c.send('CLIENT', 'LIST', 'TYPE', Buffer.from([0xc3, 0x28]));
    expect((await c.read()).bytes).toEqual(Buffer.from("-ERR Unknown client type '\xc3('\r\n", 'latin1'));
  });

  it('applies AUTH and SETNAME as it reads them, as Redis 7.0 does', async () => {
    const c = await setup({ requirepass: 'secret' });
    // A failed AUTH is reported before a bad option that follows it.
    expect(await c.call('HELLO', '3', 'AUTH', 'default', 'wrong', 'FOO')).toBe('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    // A bad option after AUTH and SETNAME: both already took effect, the protocol did not change.
    expect(await c.call('HELLO', '3', 'AUTH', 'default', 'secret', 'SETNAME', 'app', 'FOO')).toBe("-ERR Syntax error in HELLO option 'FOO'\r\n");
    expect(await c.call('CLIENT', 'GETNAME')).toBe('$3\r\napp\r\n');
  });
});

describe('authentication (requirepass)', () => {
  it('requires AUTH for everything but AUTH and HELLO, after lookup and arity checks', async () => {
    const c = await setup({ requirepass: 'secret' });
    expect(await c.call('PING')).toBe('-NOAUTH Authentication required.\r\n');
    expect(await c.call('SUBSCRIBE', 'x')).toBe('-NOAUTH Authentication required.\r\n');
    expect(await c.call('NOSUCH')).toBe("-ERR unknown command 'NOSUCH', with args beginning with: \r\n");
    expect(await c.call('CLIENT', 'GETNAME', 'x')).toBe("-ERR wrong number of arguments for 'client|getname' command\r\n");
    expect(await c.call('HELLO', '3')).toBe(
      '-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n',
    );
    expect(await c.call('AUTH', 'wrong')).toBe('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    expect(await c.call('AUTH', 'default', 'wrong')).toBe('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    expect(await c.call('AUTH', 'a', 'b', 'c')).toBe('-ERR syntax error\r\n');
    expect(await c.call('AUTH', 'secret')).toBe('+OK\r\n');
    expect(await c.call('PING')).toBe('+PONG\r\n');
    // A later failure does not undo the authentication.
    expect(await c.call('AUTH', 'wrong')).toBe('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    expect(await c.call('PING')).toBe('+PONG\r\n');
  });

  it('refuses the one-argument AUTH when no password is set', async () => {
    const c = await setup();
    expect(await c.call('AUTH', 'x')).toBe(
      '-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n',
    );
    expect(await c.call('AUTH', 'default', 'anything')).toBe('+OK\r\n');
  });

  it('applies a runtime requirepass to new connections only', async () => {
    const before = await setup();
    t?.server.setRequirepass('s3');
    const after = await connection();
    expect(await before.call('PING')).toBe('+PONG\r\n');
    expect(await after.call('PING')).toBe('-NOAUTH Authentication required.\r\n');
    expect(await after.call('AUTH', 's3')).toBe('+OK\r\n');
    t?.server.setRequirepass(null);
    expect(await (await connection()).call('PING')).toBe('+PONG\r\n');
  });

  it('limits unauthenticated requests as Redis does', async () => {
    const c = await setup({ requirepass: 'secret' });
    c.sendRaw('*11\r\n');
    expect((await c.read()).bytes.toString()).toBe('-ERR Protocol error: unauthenticated multibulk length\r\n');
    expect(await c.closedWithin()).toBe(true);
  });
});

describe('protected mode', () => {
  it('refuses non-loopback clients when the default user has no password', async () => {
    const { networkInterfaces } = await import('node:os');
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal);
    if (external === undefined) return; // no other interface on this host to test from
    t = await startServer({ protectedMode: true, bind: ['127.0.0.1', external.address] });
    const outside = await RawConnection.open(t.port, external.address);
    open.push(outside);
    const refused = (await outside.read()).bytes.toString();
    expect(refused.startsWith('-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user.')).toBe(true);
    expect(await outside.closedWithin()).toBe(true);
    const inside = await connection();
    expect(await inside.call('PING')).toBe('+PONG\r\n');
    expect(await inside.call('INFO', 'stats')).toContain('rejected_connections:1\r\n');
    t.server.setRequirepass('secret');
    const withPassword = await RawConnection.open(t.port, external.address);
    open.push(withPassword);
    expect(await withPassword.call('PING')).toBe('-NOAUTH Authentication required.\r\n');
  });
});

describe('PING and ROLE', () => {
  it('PING answers PONG, echoes one argument, refuses two', async () => {
    const c = await setup();
    expect(await c.call('PING', '')).toBe('$0\r\n\r\n');
    expect(await c.call('PING', 'a', 'b')).toBe("-ERR wrong number of arguments for 'ping' command\r\n");
  });

  it('ROLE lists the master names from the hooks', async () => {
    const c = await setup();
    expect(await c.call('ROLE')).toBe('*2\r\n$8\r\nsentinel\r\n*1\r\n$8\r\nmymaster\r\n');
    expect(await c.call('ROLE', 'x')).toBe("-ERR wrong number of arguments for 'role' command\r\n");
  });
});

describe('INFO', () => {
  const headers = (text: string) => text.split('\r\n').filter((l) => l.startsWith('# '));
  const all = ['# Server', '# Clients', '# Stats', '# CPU', '# Sentinel'];

  it('selects sections as Redis does', async () => {
    const c = await setup();
    const info = async (...args: string[]) => {
      c.send('INFO', ...args);
      const reply = await c.read();
      expect(reply.value.type).toBe('bulk');
      return reply.bytes.toString().replace(/^\$\d+\r\n/, '');
    };
    expect(headers(await info())).toEqual(all);
    expect(headers(await info('all'))).toEqual(all);
    expect(headers(await info('default'))).toEqual(all);
    expect(headers(await info('everything'))).toEqual(all);
    expect(headers(await info('cpu', 'all'))).toEqual(all);
    expect(headers(await info('CPU'))).toEqual(['# CPU']);
    expect(headers(await info('sentinel'))).toEqual(['# Sentinel']);
    expect(headers(await info('server', 'sentinel', 'replication'))).toEqual(['# Server', '# Sentinel']);
    expect(headers(await info('sentinel', 'server'))).toEqual(['# Server', '# Sentinel']);
    expect(await info('keyspace')).toBe('\r\n');
  });

  it('separates sections with one empty line and takes the sentinel section from the hooks', async () => {
    const c = await setup();
    const text = (await c.call('INFO', 'cpu', 'sentinel')).replace(/^\$\d+\r\n/, '');
    expect(text).toMatch(/^# CPU\r\n(used_cpu_[a-z_]+:\d+\.\d{6}\r\n){6}\r\n/);
    expect(text.endsWith(`\r\n${SENTINEL_SECTION}\r\n`)).toBe(true);
  });

  it('reports the server fields a sentinel has, and none of a data server', async () => {
    const c = await setup();
    const text = await c.call('INFO');
    for (const field of ['redis_version:7.0.15', 'redis_mode:sentinel', 'hz:13', 'configured_hz:10', 'maxclients:10000', 'executable:/usr/bin/redis-sentinel', 'config_file:/etc/sentinel/sentinel.conf', `tcp_port:${t?.port}`, 'connected_clients:1']) {
      expect(text).toContain(`\r\n${field}\r\n`);
    }
    expect(text).toMatch(/\r\nrun_id:[0-9a-f]{40}\r\n/);
    for (const absent of ['used_memory', 'rdb_last_bgsave', 'master_repl_offset', 'cluster_enabled']) {
      expect(text).not.toContain(absent);
    }
  });

  it('is a plain bulk string in RESP3 too', async () => {
    const c = await setup();
    await c.call('HELLO', '3');
    expect((await c.call('INFO', 'cpu')).startsWith('$')).toBe(true);
  });
});

describe('SENTINEL', () => {
  it('checks subcommand and arity before calling the hooks', async () => {
    const c = await setup();
    expect(await c.call('SENTINEL')).toBe("-ERR wrong number of arguments for 'sentinel' command\r\n");
    expect(await c.call('sentinel', 'FOO')).toBe("-ERR unknown subcommand 'FOO'. Try SENTINEL HELP.\r\n");
    expect(await c.call('SENTINEL', 'master')).toBe("-ERR wrong number of arguments for 'sentinel|master' command\r\n");
    expect(await c.call('SENTINEL', 'masters', 'x')).toBe("-ERR wrong number of arguments for 'sentinel|masters' command\r\n");
    expect(await c.call('SENTINEL', 'set', 'm', 'quorum')).toBe("-ERR wrong number of arguments for 'sentinel|set' command\r\n");
    expect(await c.call('SENTINEL', 'is-master-down-by-addr', '1', '2', '3')).toBe(
      "-ERR wrong number of arguments for 'sentinel|is-master-down-by-addr' command\r\n",
    );
    expect(t?.hooks.sentinelCalls).toEqual([]);
  });

  it('passes the arguments and the client to the hooks, and encodes their reply per protocol', async () => {
    const c = await setup();
    t!.hooks.sentinelReply = bulkMap([['name', 'mymaster'], ['port', 6379]]);
    await c.call('CLIENT', 'SETNAME', 'tool');
    expect(await c.call('SENTINEL', 'MASTER', 'mymaster')).toBe('*4\r\n$4\r\nname\r\n$8\r\nmymaster\r\n$4\r\nport\r\n$4\r\n6379\r\n');
    await c.call('HELLO', '3');
    expect(await c.call('sentinel', 'master', 'mymaster')).toBe('%2\r\n$4\r\nname\r\n$8\r\nmymaster\r\n$4\r\nport\r\n$4\r\n6379\r\n');
    expect(t?.hooks.sentinelCalls).toEqual([
      { argv: ['MASTER', 'mymaster'], client: { id: 3, name: 'tool', protocol: 2 } },
      { argv: ['master', 'mymaster'], client: { id: 3, name: 'tool', protocol: 3 } },
    ]);
    t!.hooks.sentinelReply = error('NOGOODSLAVE No suitable replica to promote');
    expect(await c.call('SENTINEL', 'FAILOVER', 'mymaster')).toBe('-NOGOODSLAVE No suitable replica to promote\r\n');
  });

  it('serves SENTINEL HELP from the capture', async () => {
    const c = await setup();
    expect(await c.call('SENTINEL', 'HELP')).toBe(fixture('SENTINEL-HELP.resp2'));
  });
});

describe('SHUTDOWN', () => {
  it('hands the request to the daemon and closes the connection without a reply', async () => {
    const c = await setup();
    c.send('SHUTDOWN', 'NOSAVE', 'now');
    expect(await c.closedWithin()).toBe(true);
    expect(await c.quiet(10)).toBe(true);
    expect(t?.shutdowns).toEqual([{ nosave: true, save: false, now: true, force: false }]);
  });

  it('refuses bad flag combinations and ABORT', async () => {
    const c = await setup();
    expect(await c.call('SHUTDOWN', 'ABORT')).toBe('-ERR No shutdown in progress.\r\n');
    expect(await c.call('SHUTDOWN', 'FOO')).toBe('-ERR syntax error\r\n');
    expect(await c.call('SHUTDOWN', 'NOSAVE', 'SAVE')).toBe('-ERR syntax error\r\n');
    expect(await c.call('SHUTDOWN', 'ABORT', 'NOW')).toBe('-ERR syntax error\r\n');
    expect(t?.shutdowns).toEqual([]);
  });

  it('reports an error when nobody handles shutdowns', async () => {
    const c = await setup({ onShutdown: undefined });
    expect(await c.call('SHUTDOWN')).toBe('-ERR Errors trying to SHUTDOWN. Check logs.\r\n');
  });
});
