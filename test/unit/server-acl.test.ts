import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { AclStore, sha256Hex } from '../../src/server/acl.js';
import { AclLog } from '../../src/server/acl-log.js';
import { CommandCatalog } from '../../src/server/command-catalog.js';
import { RawConnection, startServer, type TestServer } from './server-kit.js';

describe('AclStore', () => {
  const store = () => new AclStore(CommandCatalog.load());

  it('starts with the default user open to everything', () => {
    const acl = store();
    expect(acl.list().map((u) => `${u.name} ${u.describe()}`)).toEqual(['default on nopass ~* &* +@all']);
    expect(acl.authenticate('default', 'anything')).not.toBeNull();
  });

  it('describes users as ACL LIST does', () => {
    const acl = store();
    expect(acl.setUser('new', [])).toBeNull();
    expect(acl.get('new')?.describe()).toBe('off resetchannels -@all');
    expect(acl.setUser('x', ['~foo', '%R~bar', '&ch', 'on', '>a'])).toBeNull();
    expect(acl.get('x')?.describe()).toBe(`on #${sha256Hex('a')} ~foo %R~bar resetchannels &ch -@all`);
    expect(acl.setUser('r', ['reset'])).toBeNull();
    expect(acl.get('r')?.describe()).toBe('off sanitize-payload resetchannels -@all');
    acl.setDefaultPassword('secret');
    expect(acl.defaultUser.describe()).toBe(`on #${sha256Hex('secret')} ~* &* +@all`);
    expect(acl.list().map((u) => u.name)).toEqual(['default', 'new', 'r', 'x']);
  });

  it('applies all rules or none', () => {
    const acl = store();
    expect(acl.setUser('bob', ['on', '>pw', '+nosuch'])).toEqual({
      rule: '+nosuch',
      reason: 'Unknown command or category name in ACL',
    });
    expect(acl.get('bob')).toBeUndefined();
    acl.setUser('bob', ['on', '>pw']);
    expect(acl.setUser('bob', ['off', '<other'])).toEqual({
      rule: '<other',
      reason: 'The password you are trying to remove from the user does not exist',
    });
    expect(acl.get('bob')?.enabled).toBe(true);
  });

  it('grants commands, subcommands and categories', () => {
    const acl = store();
    const catalog = CommandCatalog.load();
    const can = (name: string) => acl.canRun(acl.get('u')!, catalog.get(name)!);
    acl.setUser('u', ['on', 'nopass', '+ping', '+client|id', '+@pubsub', '+sentinel', '-sentinel|reset']);
    expect(['ping', 'client|id', 'subscribe', 'publish', 'sentinel|masters'].map(can)).toEqual([true, true, true, true, true]);
    expect(['client|kill', 'role', 'sentinel|reset', 'info'].map(can)).toEqual([false, false, false, false]);
    acl.setUser('u', ['-@pubsub']);
    expect(can('subscribe')).toBe(false);
    expect(acl.get('u')?.commandRules).toEqual(['-@all', '+ping', '+client|id', '+@pubsub', '+sentinel', '-sentinel|reset', '-@pubsub']);
    acl.setUser('u', ['allcommands']);
    expect(acl.get('u')?.commandRules).toEqual(['+@all']);
    expect(can('sentinel|reset')).toBe(true);
  });

  it('matches channels as globs, and PSUBSCRIBE patterns literally', () => {
    const acl = store();
    acl.setUser('u', ['on', 'nopass', '&__sentinel__:*']);
    const u = acl.get('u')!;
    expect(acl.canAccessChannel(u, '__sentinel__:hello', false)).toBe(true);
    expect(acl.canAccessChannel(u, '+sdown', false)).toBe(false);
    expect(acl.canAccessChannel(u, '__sentinel__:*', true)).toBe(true);
    expect(acl.canAccessChannel(u, '__sentinel__:h*', true)).toBe(false);
  });

  it('refuses what Redis refuses', () => {
    const acl = store();
    expect(acl.setUser('u', ['#abc'])?.reason).toBe(
      'The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters',
    );
    expect(acl.setUser('u', ['blah'])?.reason).toBe('Syntax error');
    expect(acl.setUser('u', ['+@nosuch'])?.reason).toBe('Unknown command or category name in ACL');
    expect(acl.setUser('u', ['allkeys', '~a'])?.reason).toMatch(/^Adding a pattern after the \* pattern \(or the 'allkeys' flag\)/);
    expect(acl.setUser('u', ['allchannels', '&a'])?.reason).toMatch(/^Adding a pattern after the \* pattern \(or the 'allchannels' flag\)/);
    expect(acl.delete('default')).toBe(false);
  });
});

describe('ACL command and permissions', () => {
  let t: TestServer | undefined;
  const open: RawConnection[] = [];

  afterEach(async () => {
    open.splice(0).forEach((c) => c.close());
    await t?.close();
    t = undefined;
  });

  async function connection(): Promise<RawConnection> {
    t ??= await startServer();
    const conn = await RawConnection.open(t.port);
    open.push(conn);
    return conn;
  }

  const fixture = (name: string) =>
    readFileSync(new URL(`../../src/server/fixtures/sentinel-7.0.15-${name}`, import.meta.url), 'utf8');

  it('answers the read-only subcommands for the default user', async () => {
    const c = await connection();
    expect(await c.call('ACL', 'WHOAMI')).toBe('$7\r\ndefault\r\n');
    expect(await c.call('ACL', 'USERS')).toBe('*1\r\n$7\r\ndefault\r\n');
    expect(await c.call('ACL', 'LIST')).toBe('*1\r\n$34\r\nuser default on nopass ~* &* +@all\r\n');
    expect(await c.call('ACL', 'GETUSER', 'default')).toBe(
      '*12\r\n$5\r\nflags\r\n*2\r\n$2\r\non\r\n$6\r\nnopass\r\n$9\r\npasswords\r\n*0\r\n$8\r\ncommands\r\n$5\r\n+@all\r\n$4\r\nkeys\r\n$2\r\n~*\r\n$8\r\nchannels\r\n$2\r\n&*\r\n$9\r\nselectors\r\n*0\r\n',
    );
    expect(await c.call('ACL', 'GETUSER', 'nosuch')).toBe('$-1\r\n');
    expect(await c.call('ACL', 'CAT')).toBe(fixture('ACL-CAT.resp2'));
    expect(await c.call('ACL', 'HELP')).toBe(fixture('ACL-HELP.resp2'));
    expect(await c.call('ACL', 'CAT', 'nosuch')).toBe("-ERR Unknown category 'nosuch'\r\n");
    expect(await c.call('ACL', 'CAT', 'a', 'b')).toBe("-ERR unknown subcommand or wrong number of arguments for 'CAT'. Try ACL HELP.\r\n");
    expect(await c.call('ACL', 'LOAD')).toMatch(/^-ERR This Redis instance is not configured to use an ACL file\./);
    await c.call('HELLO', '3');
    expect(await c.call('ACL', 'GETUSER', 'default')).toMatch(/^%6\r\n\$5\r\nflags\r\n~2\r\n/);
  });

  it('lists the categories members, subcommands included', async () => {
    const c = await connection();
    c.send('ACL', 'CAT', 'pubsub');
    const reply = await c.read();
    const names = reply.value.type === 'array' ? reply.value.items.map((i) => (i.type === 'bulk' ? i.value.toString() : '')) : [];
    expect(names.sort()).toEqual(['psubscribe', 'publish', 'punsubscribe', 'subscribe', 'unsubscribe']);
    c.send('ACL', 'CAT', 'admin');
    const admin = await c.read();
    expect(admin.bytes.toString()).toMatch(/^\*38\r\n/);
    expect(admin.bytes.toString()).toContain('$11\r\nclient|kill\r\n');
  });

  it('creates users that can authenticate, with NOPERM errors and an ACL LOG', async () => {
    const admin = await connection();
    expect(await admin.call('ACL', 'SETUSER', 'peer', 'on', '>pw', '-@all', '+ping', '+sentinel|masters', '&__sentinel__:*')).toBe('+OK\r\n');
    expect(await admin.call('ACL', 'SETUSER', 'peer', '+get')).toBe(
      "-ERR Error in ACL SETUSER modifier '+get': Unknown command or category name in ACL\r\n",
    );
    expect(await admin.call('ACL', 'SETUSER', 'a b')).toBe("-ERR Usernames can't contain spaces or null characters\r\n");
    const peer = await connection();
    expect(await peer.call('AUTH', 'peer', 'nope')).toBe('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    expect(await peer.call('AUTH', 'peer', 'pw')).toBe('+OK\r\n');
    expect(await peer.call('ACL', 'WHOAMI')).toBe("-NOPERM this user has no permissions to run the 'acl|whoami' command\r\n");
    expect(await peer.call('SENTINEL', 'MASTERS')).toBe('$14\r\nsentinel reply\r\n');
    expect(await peer.call('SENTINEL', 'RESET', '*')).toBe("-NOPERM this user has no permissions to run the 'sentinel|reset' command\r\n");
    expect(await peer.call('PING')).toBe('+PONG\r\n');
    expect(await admin.call('CLIENT', 'LIST', 'ID', '4')).toContain(' user=peer ');

    expect(await admin.call('ACL', 'DRYRUN', 'peer', 'role')).toBe("$54\r\nThis user has no permissions to run the 'role' command\r\n");
    expect(await admin.call('ACL', 'DRYRUN', 'peer', 'ping')).toBe('+OK\r\n');
    expect(await admin.call('ACL', 'DRYRUN', 'peer', 'role', 'x')).toBe("-ERR wrong number of arguments for 'role' command\r\n");
    expect(await admin.call('ACL', 'DRYRUN', 'nosuch', 'ping')).toBe("-ERR User 'nosuch' not found\r\n");
    expect(await admin.call('ACL', 'DRYRUN', 'peer', 'get', 'x')).toBe("-ERR Command 'get' not found\r\n");

    admin.send('ACL', 'LOG');
    const log = await admin.read();
    expect(log.value.type).toBe('array');
    const entries = log.value.type === 'array' ? log.value.items : [];
    expect(entries).toHaveLength(3);
    const fields = (entry: (typeof entries)[number]) =>
      entry.type === 'array'
        ? Object.fromEntries(
            entry.items.flatMap((v, i, a) => (i % 2 === 0 ? [[(v as { value: Buffer }).value.toString(), a[i + 1]]] : [])),
          )
        : {};
    const newest = fields(entries[0]);
    expect(newest.reason).toEqual({ type: 'bulk', value: Buffer.from('command') });
    expect(newest.object).toEqual({ type: 'bulk', value: Buffer.from('sentinel|reset') });
    expect(newest.username).toEqual({ type: 'bulk', value: Buffer.from('peer') });
    expect(fields(entries[2]).reason).toEqual({ type: 'bulk', value: Buffer.from('auth') });
    expect(await admin.call('ACL', 'LOG', 'RESET')).toBe('+OK\r\n');
    expect(await admin.call('ACL', 'LOG')).toBe('*0\r\n');
  });

  it('checks channels on SUBSCRIBE, PSUBSCRIBE and PUBLISH', async () => {
    const admin = await connection();
    await admin.call('ACL', 'SETUSER', 'sub', 'on', 'nopass', '+@all', '&x*');
    const c = await connection();
    await c.call('AUTH', 'sub', 'any');
    expect(await c.call('SUBSCRIBE', 'xy')).toBe('*3\r\n$9\r\nsubscribe\r\n$2\r\nxy\r\n:1\r\n');
    expect(await c.call('PSUBSCRIBE', 'x*')).toBe('*3\r\n$10\r\npsubscribe\r\n$2\r\nx*\r\n:2\r\n');
    const denied = '-NOPERM this user has no permissions to access one of the channels used as arguments\r\n';
    expect(await c.call('SUBSCRIBE', 'xa', 'other')).toBe(denied);
    expect(await c.call('PSUBSCRIBE', 'xa*')).toBe(denied);
    expect(await c.call('PUBLISH', '__sentinel__:hello', 'x')).toBe(denied);
    // Losing the channel permission disconnects the subscriber.
    expect(await admin.call('ACL', 'SETUSER', 'sub', 'resetchannels', '&other')).toBe('+OK\r\n');
    expect(await c.closedWithin()).toBe(true);
  });

  it('deletes users and disconnects their clients; the default user stays', async () => {
    const admin = await connection();
    await admin.call('ACL', 'SETUSER', 'tmp', 'on', 'nopass', '+@all');
    const c = await connection();
    await c.call('AUTH', 'tmp', 'x');
    expect(await admin.call('ACL', 'DELUSER', 'default')).toBe("-ERR The 'default' user cannot be removed\r\n");
    expect(await admin.call('ACL', 'DELUSER', 'tmp', 'nosuch')).toBe(':1\r\n');
    expect(await c.closedWithin()).toBe(true);
    expect(await admin.call('ACL', 'USERS')).toBe('*1\r\n$7\r\ndefault\r\n');
  });

  it('disabling the default user makes new connections authenticate', async () => {
    const admin = await connection();
    await admin.call('ACL', 'SETUSER', 'root', 'on', '>pw', '+@all', '~*', '&*');
    await admin.call('ACL', 'SETUSER', 'default', 'off');
    const c = await connection();
    expect(await c.call('PING')).toBe('-NOAUTH Authentication required.\r\n');
    expect(await c.call('AUTH', 'default', 'x')).toBe('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    expect(await c.call('AUTH', 'root', 'pw')).toBe('+OK\r\n');
    expect(await c.call('PING')).toBe('+PONG\r\n');
    expect(await admin.call('PING')).toBe('+PONG\r\n');
    expect(t?.server.aclUserLines()).toEqual([
      'user default off nopass ~* &* +@all',
      `user root on #${sha256Hex('pw')} ~* &* +@all`,
    ]);
  });

  it('takes users from the config and GENPASS makes random passwords', async () => {
    t = await startServer({ aclUsers: [['alice', 'on', '>wonderland', '+@all']], requirepass: 'secret' });
    const c = await connection();
    expect(await c.call('AUTH', 'alice', 'wonderland')).toBe('+OK\r\n');
    expect(t.server.aclUserLines()).toEqual([
      `user alice on #${sha256Hex('wonderland')} resetchannels +@all`,
      `user default on #${sha256Hex('secret')} ~* &* +@all`,
    ]);
    expect(await c.call('ACL', 'GENPASS')).toMatch(/^\$64\r\n[0-9a-f]{64}\r\n$/);
    expect(await c.call('ACL', 'GENPASS', '5')).toMatch(/^\$2\r\n[0-9a-f]{2}\r\n$/);
    expect(await c.call('ACL', 'GENPASS', '0')).toBe(
      '-ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096\r\n',
    );
  });
});

describe('ACL LOG ordering', () => {
  it('moves a repeated denial to the head, as Redis does', () => {
    const log = new AclLog();
    const entry = (username: string, time: number) => ({ reason: 'auth' as const, object: 'AUTH', username, time, clientInfo: '' });
    log.add(entry('a', 1));
    log.add(entry('b', 2));
    log.add(entry('a', 3));
    expect(log.recent(10).map((e) => [e.username, e.count])).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
  });
});
