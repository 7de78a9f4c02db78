import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandCatalog } from '../../src/server/command-catalog.js';
import { RawConnection, startServer, type TestServer } from './server-kit.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../src/server/fixtures/sentinel-7.0.15-${name}`, import.meta.url), 'utf8');

describe('CommandCatalog', () => {
  const catalog = CommandCatalog.load();

  it('holds the 15 sentinel commands and 72 names with subcommands', () => {
    expect(catalog.topLevel).toHaveLength(15);
    expect(catalog.all()).toHaveLength(72);
    expect(catalog.topLevel.map((s) => s.name).sort()).toEqual(
      ['acl', 'auth', 'client', 'command', 'hello', 'info', 'ping', 'psubscribe', 'publish', 'punsubscribe', 'role', 'sentinel', 'shutdown', 'subscribe', 'unsubscribe'],
    );
  });

  it('has the arities of the reference table', () => {
    const arity = (name: string) => catalog.get(name)?.arity;
    expect(
      ['sentinel|set', 'sentinel|monitor', 'sentinel|config', 'sentinel|debug', 'sentinel|masters', 'client|kill', 'command|getkeys', 'role', 'publish', 'hello'].map(arity),
    ).toEqual([-5, 6, -3, -2, 2, -3, -4, 1, 3, -1]);
    expect(catalog.get('hello')?.flags.has('no_auth')).toBe(true);
    expect(catalog.get('client|list')?.categories).toEqual(['admin', 'slow', 'dangerous', 'connection']);
  });

  it('resolves container subcommands case-insensitively', () => {
    expect(catalog.lookup('Client', 'LIST')).toMatchObject({ kind: 'found', spec: { name: 'client|list' } });
    expect(catalog.lookup('client', undefined)).toMatchObject({ kind: 'found', spec: { name: 'client' } });
    expect(catalog.lookup('client', 'nosuch').kind).toBe('unknown-subcommand');
    expect(catalog.lookup('get', 'x').kind).toBe('unknown-command');
    expect(catalog.lookup('list', undefined).kind).toBe('unknown-command');
  });
});

describe('dispatch errors and COMMAND', () => {
  let t: TestServer;
  let c: RawConnection;

  beforeAll(async () => {
    t = await startServer();
    c = await RawConnection.open(t.port);
  });

  afterAll(async () => {
    c.close();
    await t.close();
  });

  it('reports unknown commands with at most 128 bytes of arguments', async () => {
    expect(await c.call('GET', 'foo')).toBe("-ERR unknown command 'GET', with args beginning with: 'foo' \r\n");
    expect(await c.call('QUIT')).toBe("-ERR unknown command 'QUIT', with args beginning with: \r\n");
    expect(await c.call('CONFIG', 'GET', '*')).toBe("-ERR unknown command 'CONFIG', with args beginning with: 'GET' '*' \r\n");
    expect(await c.call('FOO', 'a'.repeat(95), 'b'.repeat(58), 'c')).toBe(
      `-ERR unknown command 'FOO', with args beginning with: '${'a'.repeat(95)}' '${'b'.repeat(30)}' \r\n`,
    );
    expect(await c.call('X'.repeat(200))).toBe(`-ERR unknown command '${'X'.repeat(128)}', with args beginning with: \r\n`);
    expect(await c.call('FOO', 'a\r\nb')).toBe("-ERR unknown command 'FOO', with args beginning with: 'a  b' \r\n");
  });

  it('reports unknown subcommands and wrong arities with full names', async () => {
    expect(await c.call('client', 'FoO')).toBe("-ERR unknown subcommand 'FoO'. Try CLIENT HELP.\r\n");
    expect(await c.call('command', 'x')).toBe("-ERR unknown subcommand 'x'. Try COMMAND HELP.\r\n");
    expect(await c.call('acl', 'x')).toBe("-ERR unknown subcommand 'x'. Try ACL HELP.\r\n");
    expect(await c.call('CLIENT', 'NO-TOUCH', 'on')).toBe("-ERR unknown subcommand 'NO-TOUCH'. Try CLIENT HELP.\r\n");
    expect(await c.call('CLIENT')).toBe("-ERR wrong number of arguments for 'client' command\r\n");
    expect(await c.call('ACL')).toBe("-ERR wrong number of arguments for 'acl' command\r\n");
    expect(await c.call('CLIENT', 'GETNAME', 'x')).toBe("-ERR wrong number of arguments for 'client|getname' command\r\n");
    expect(await c.call('SUBSCRIBE')).toBe("-ERR wrong number of arguments for 'subscribe' command\r\n");
    expect(await c.call('PUBLISH', 'a')).toBe("-ERR wrong number of arguments for 'publish' command\r\n");
  });

  it('serves COMMAND and its subcommands from the captures', async () => {
    expect(await c.call('COMMAND')).toBe(fixture('COMMAND.resp2'));
    expect(await c.call('COMMAND', 'INFO')).toBe(fixture('COMMAND.resp2'));
    expect(await c.call('COMMAND', 'DOCS')).toBe(fixture('COMMAND-DOCS.resp2'));
    expect(await c.call('COMMAND', 'HELP')).toBe(fixture('COMMAND-HELP.resp2'));
    expect(await c.call('COMMAND', 'COUNT')).toBe(':15\r\n');
    expect(await c.call('COMMAND', 'INFO', 'PING', 'nosuch')).toBe(
      '*2\r\n*10\r\n$4\r\nping\r\n:-1\r\n*1\r\n+fast\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@fast\r\n+@connection\r\n*2\r\n$25\r\nrequest_policy:all_shards\r\n$29\r\nresponse_policy:all_succeeded\r\n*0\r\n*0\r\n$-1\r\n',
    );
    expect(await c.call('COMMAND', 'DOCS', 'nosuch', 'client|id')).toBe(
      '*2\r\n$9\r\nclient|id\r\n*8\r\n$7\r\nsummary\r\n$48\r\nReturns the client ID for the current connection\r\n$5\r\nsince\r\n$5\r\n5.0.0\r\n$5\r\ngroup\r\n$10\r\nconnection\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n',
    );
  });

  it('uses the RESP3 captures after HELLO 3', async () => {
    const r3 = await RawConnection.open(t.port);
    try {
      await r3.call('HELLO', '3');
      expect(await r3.call('COMMAND')).toBe(fixture('COMMAND.resp3'));
      expect(await r3.call('COMMAND', 'DOCS')).toBe(fixture('COMMAND-DOCS.resp3'));
      expect(await r3.call('COMMAND', 'DOCS', 'ping')).toMatch(/^%1\r\n\$4\r\nping\r\n%5\r\n/);
      expect(await r3.call('COMMAND', 'INFO', 'ping')).toMatch(/^\*1\r\n\*10\r\n\$4\r\nping\r\n:-1\r\n~1\r\n\+fast\r\n/);
      expect(await r3.call('COMMAND', 'INFO', 'nosuch')).toBe('*1\r\n_\r\n');
    } finally {
      r3.close();
    }
  });

  it('lists names with the FILTERBY variants', async () => {
    const names = async (...args: string[]) => {
      c.send('COMMAND', 'LIST', ...args);
      const reply = await c.read();
      return reply.value.type === 'array' ? reply.value.items.map((i) => (i.type === 'bulk' ? i.value.toString() : '?')) : reply.bytes.toString();
    };
    expect(await names()).toHaveLength(72);
    expect(((await names('FILTERBY', 'ACLCAT', 'PubSub')) as string[]).sort()).toEqual(['psubscribe', 'publish', 'punsubscribe', 'subscribe', 'unsubscribe']);
    expect(((await names('FILTERBY', 'PATTERN', 'CL*')) as string[]).length).toBe(17);
    expect(await names('FILTERBY', 'ACLCAT', 'nosuch')).toEqual([]);
    expect(await names('FILTERBY', 'MODULE', 'x')).toEqual([]);
    expect(await names('FILTERBY', 'FOO', 'x')).toBe('-ERR syntax error\r\n');
    expect(await names('FOO')).toBe('-ERR syntax error\r\n');
  });

  it('answers GETKEYS like a server without keys', async () => {
    expect(await c.call('COMMAND', 'GETKEYS', 'ping', 'x')).toBe('-ERR The command has no key arguments\r\n');
    expect(await c.call('COMMAND', 'GETKEYSANDFLAGS', 'sentinel', 'masters')).toBe('-ERR The command has no key arguments\r\n');
    expect(await c.call('COMMAND', 'GETKEYS', 'get', 'x')).toBe('-ERR Invalid command specified\r\n');
    expect(await c.call('COMMAND', 'GETKEYS', 'client', 'nosuch')).toBe('-ERR Invalid command specified\r\n');
    expect(await c.call('COMMAND', 'GETKEYS', 'ping')).toBe("-ERR wrong number of arguments for 'command|getkeys' command\r\n");
  });
});
