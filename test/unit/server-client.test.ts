import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useServer } from './server-kit.js';

const server = useServer();
const connection = (protocol?: 2 | 3) => server.connection(protocol);

/** The body of a bulk or verbatim reply. */
function body(reply: string): string {
  return reply.replace(/^[$=]\d+\r\n(txt:)?/, '').replace(/\r\n$/, '');
}

const LINE =
  /^id=(\d+) addr=127\.0\.0\.1:(\d+) laddr=127\.0\.0\.1:(\d+) fd=(\d+) name=(\S*) age=(\d+) idle=(\d+) flags=([A-Za-z]+) db=0 sub=(\d+) psub=(\d+) ssub=0 multi=-1 qbuf=(\d+) qbuf-free=(\d+) argv-mem=(\d+) multi-mem=0 rbs=(\d+) rbp=(\d+) obl=(\d+) oll=(\d+) omem=(\d+) tot-mem=(\d+) events=(r|rw) cmd=(\S+) user=(\S+) redir=(-?\d+) resp=([23])$/;

describe('CLIENT LIST and CLIENT INFO', () => {
  it('lists every client in Redis format, oldest first', async () => {
    const a = await connection();
    const b = await connection();
    await a.call('CLIENT', 'SETNAME', 'alpha');
    await a.call('SUBSCRIBE', 'x');
    const lines = body(await b.call('CLIENT', 'LIST')).split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    const [first, second] = lines.map((l) => LINE.exec(l));
    expect(first).not.toBeNull();
    expect(second).not.toBeNull();
    expect(first?.[1]).toBe('3');
    expect(first?.[3]).toBe(String(server.t.port));
    expect(first?.[5]).toBe('alpha');
    expect(first?.[8]).toBe('P');
    expect(first?.[9]).toBe('1');
    expect(first?.[21]).toBe('subscribe');
    expect(second?.[1]).toBe('4');
    expect(second?.[5]).toBe('');
    expect(second?.[8]).toBe('N');
    expect(second?.[21]).toBe('client|list');
    expect(second?.[22]).toBe('default');
    expect(second?.[23]).toBe('-1');
  });

  it('shows cmd=NULL after an unknown command', async () => {
    const c = await connection();
    await c.call('PING');
    await c.call('NOSUCH');
    const other = await connection();
    expect(body(await other.call('CLIENT', 'LIST', 'ID', '3'))).toContain(' cmd=NULL ');
  });

  it('filters by TYPE and ID, with the Redis errors', async () => {
    const a = await connection();
    const b = await connection();
    await a.call('PSUBSCRIBE', 'x*');
    const ids = (text: string) => [...text.matchAll(/^id=(\d+) /gm)].map((m) => Number(m[1]));
    expect(ids(body(await b.call('CLIENT', 'LIST', 'TYPE', 'pubsub')))).toEqual([3]);
    expect(ids(body(await b.call('CLIENT', 'LIST', 'TYPE', 'normal')))).toEqual([4]);
    expect(await b.call('CLIENT', 'LIST', 'TYPE', 'master')).toBe('$0\r\n\r\n');
    expect(await b.call('CLIENT', 'LIST', 'TYPE', 'replica')).toBe('$0\r\n\r\n');
    expect(ids(body(await b.call('CLIENT', 'LIST', 'ID', '4', '99', '3')))).toEqual([4, 3]);
    expect(await b.call('CLIENT', 'LIST', 'TYPE', 'foo')).toBe("-ERR Unknown client type 'foo'\r\n");
    expect(await b.call('CLIENT', 'LIST', 'ID', 'x')).toBe('-ERR Invalid client ID\r\n');
    expect(await b.call('CLIENT', 'LIST', 'TYPE')).toBe('-ERR syntax error\r\n');
    expect(await b.call('CLIENT', 'LIST', 'foo')).toBe('-ERR syntax error\r\n');
  });

  it('is a verbatim txt string in RESP3', async () => {
    const c = await connection();
    await c.call('HELLO', '3');
    const reply = await c.call('CLIENT', 'INFO');
    expect(reply).toMatch(/^=\d+\r\ntxt:id=3 /);
    expect(LINE.exec(body(reply).replace(/\n$/, ''))?.[24]).toBe('3');
  });
});

describe('CLIENT names and ids', () => {
  it('sets, validates and clears the name', async () => {
    const c = await connection();
    expect(await c.call('CLIENT', 'GETNAME')).toBe('$-1\r\n');
    expect(await c.call('CLIENT', 'SETNAME', 'a b')).toBe('-ERR Client names cannot contain spaces, newlines or special characters.\r\n');
    expect(await c.call('CLIENT', 'SETNAME', 'x\x01')).toBe('-ERR Client names cannot contain spaces, newlines or special characters.\r\n');
    expect(await c.call('CLIENT', 'SETNAME', 'sentinel-1a2b3c4d-cmd')).toBe('+OK\r\n');
    expect(await c.call('CLIENT', 'GETNAME')).toBe('$21\r\nsentinel-1a2b3c4d-cmd\r\n');
    expect(await c.call('CLIENT', 'SETNAME', '')).toBe('+OK\r\n');
    expect(await c.call('CLIENT', 'GETNAME')).toBe('$-1\r\n');
    await c.call('HELLO', '3');
    expect(await c.call('CLIENT', 'GETNAME')).toBe('_\r\n');
    expect(await c.call('CLIENT', 'ID')).toBe(':3\r\n');
  });

  it('serves CLIENT HELP from the capture', async () => {
    const c = await connection();
    const expected = readFileSync(new URL('../../src/server/fixtures/sentinel-7.0.15-CLIENT-HELP.resp2', import.meta.url), 'utf8');
    expect(await c.call('CLIENT', 'HELP')).toBe(expected);
  });
});

describe('CLIENT KILL', () => {
  it('kills by address in the old form, answering OK or No such client', async () => {
    const victim = await connection();
    const killer = await connection();
    const addr = /addr=(\S+)/.exec(body(await killer.call('CLIENT', 'LIST', 'ID', '3')))?.[1] ?? '';
    expect(await killer.call('CLIENT', 'KILL', addr)).toBe('+OK\r\n');
    expect(await victim.closedWithin()).toBe(true);
    expect(await killer.call('CLIENT', 'KILL', addr)).toBe('-ERR No such client\r\n');
    expect(await killer.call('CLIENT', 'KILL', 'ID')).toBe('-ERR No such client\r\n');
  });

  it('kills by filters, skipping the caller unless SKIPME no', async () => {
    const subscriber = await connection();
    const normal = await connection();
    const killer = await connection();
    await subscriber.call('SUBSCRIBE', 'x');
    expect(await killer.call('CLIENT', 'KILL', 'TYPE', 'pubsub')).toBe(':1\r\n');
    expect(await subscriber.closedWithin()).toBe(true);
    expect(await killer.call('CLIENT', 'KILL', 'USER', 'default')).toBe(':1\r\n');
    expect(await normal.closedWithin()).toBe(true);
    expect(await killer.call('CLIENT', 'KILL', 'ID', '999')).toBe(':0\r\n');
    killer.send('CLIENT', 'KILL', 'USER', 'default', 'SKIPME', 'no');
    expect((await killer.read()).bytes.toString()).toBe(':1\r\n');
    expect(await killer.closedWithin()).toBe(true);
  });

  it('matches ADDR and LADDR exactly', async () => {
    const victim = await connection();
    const killer = await connection();
    const line = body(await killer.call('CLIENT', 'LIST', 'ID', '3'));
    const addr = /addr=(\S+)/.exec(line)?.[1] ?? '';
    expect(await killer.call('CLIENT', 'KILL', 'LADDR', '127.0.0.1:1')).toBe(':0\r\n');
    expect(await killer.call('CLIENT', 'KILL', 'ADDR', addr, 'LADDR', `127.0.0.1:${server.t.port}`)).toBe(':1\r\n');
    expect(await victim.closedWithin()).toBe(true);
  });

  it('reports bad filters with the Redis errors', async () => {
    const c = await connection();
    expect(await c.call('CLIENT', 'KILL', 'ID', 'x')).toBe('-ERR client-id should be greater than 0\r\n');
    expect(await c.call('CLIENT', 'KILL', 'ID', '0')).toBe('-ERR client-id should be greater than 0\r\n');
    expect(await c.call('CLIENT', 'KILL', 'TYPE', 'foo')).toBe("-ERR Unknown client type 'foo'\r\n");
    expect(await c.call('CLIENT', 'KILL', 'USER', 'nosuch')).toBe("-ERR No such user 'nosuch'\r\n");
    expect(await c.call('CLIENT', 'KILL', 'SKIPME', 'maybe')).toBe('-ERR syntax error\r\n');
    expect(await c.call('CLIENT', 'KILL', 'MAXAGE', '1')).toBe('-ERR syntax error\r\n');
    expect(await c.call('CLIENT', 'KILL', 'ID', '1', 'SKIPME')).toBe('-ERR syntax error\r\n');
    expect(await c.call('CLIENT', 'KILL')).toBe("-ERR wrong number of arguments for 'client|kill' command\r\n");
  });
});

describe('CLIENT REPLY', () => {
  it('OFF silences everything until ON; SKIP silences the next command only', async () => {
    const c = await connection();
    c.send('CLIENT', 'REPLY', 'OFF');
    c.send('PING');
    c.send('NOSUCH');
    expect(await c.call('CLIENT', 'REPLY', 'ON')).toBe('+OK\r\n');
    c.send('CLIENT', 'REPLY', 'SKIP');
    c.send('PING', 'skipped');
    expect(await c.call('PING', 'kept')).toBe('$4\r\nkept\r\n');
    expect(await c.call('CLIENT', 'REPLY', 'maybe')).toBe('-ERR syntax error\r\n');
    expect(await c.quiet()).toBe(true);
  });

  it('SKIP is used up by an empty command (blank line, *0, *-1), as in Redis', async () => {
    const c = await connection();
    c.sendRaw('CLIENT REPLY SKIP\r\n\r\nPING\r\n');
    expect((await c.read()).bytes.toString()).toBe('+PONG\r\n');
    c.sendRaw('CLIENT REPLY SKIP\r\n*0\r\n*-1\r\nPING\r\n');
    expect((await c.read()).bytes.toString()).toBe('+PONG\r\n');
    expect(await c.quiet()).toBe(true);
  });

  it('does not silence pub/sub confirmations, which Redis writes as pushes', async () => {
    const c = await connection();
    c.send('CLIENT', 'REPLY', 'OFF');
    c.send('SUBSCRIBE', 'a');
    c.send('PING');
    c.send('UNSUBSCRIBE');
    c.send('UNSUBSCRIBE');
    const replies = await c.readMany(3);
    expect(replies.map((r) => r.bytes.toString('latin1'))).toEqual([
      '*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n',
      '*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:0\r\n',
      '*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n',
    ]);
    expect(await c.quiet()).toBe(true);
  });
});

describe('CLIENT PAUSE', () => {
  it('holds commands until the pause ends, keeping their order', async () => {
    const pauser = await connection();
    const other = await connection();
    expect(await pauser.call('CLIENT', 'PAUSE', '300')).toBe('+OK\r\n');
    const started = Date.now();
    other.send('PING', '1');
    other.send('NOSUCH');
    other.send('PING', '2');
    const replies = await other.readMany(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(replies.map((r) => r.bytes.toString())).toEqual([
      '$1\r\n1\r\n',
      "-ERR unknown command 'NOSUCH', with args beginning with: \r\n",
      '$1\r\n2\r\n',
    ]);
  });

  it('answers unknown commands at once while paused', async () => {
    const pauser = await connection();
    const other = await connection();
    await pauser.call('CLIENT', 'PAUSE', '5000');
    expect(await other.call('NOSUCH')).toBe("-ERR unknown command 'NOSUCH', with args beginning with: \r\n");
    other.send('PING');
    expect(await other.quiet(100)).toBe(true);
  });

  it('WRITE only holds PUBLISH, shown as blocked; UNPAUSE releases at once', async () => {
    const pauser = await connection();
    const other = await connection();
    await pauser.call('CLIENT', 'PAUSE', '10000', 'WRITE');
    expect(await other.call('PING')).toBe('+PONG\r\n');
    other.send('PUBLISH', '__sentinel__:hello', 'x');
    expect(await other.quiet(100)).toBe(true);
    expect(body(await pauser.call('CLIENT', 'LIST', 'ID', '4'))).toContain(' flags=b ');
    expect(await pauser.call('INFO', 'clients')).toContain('\r\nblocked_clients:1\r\n');
    expect(await pauser.call('CLIENT', 'UNPAUSE')).toBe('+OK\r\n');
    expect((await other.read()).bytes.toString()).toBe(':1\r\n');
    expect(server.t.hooks.hellos).toEqual(['x']);
  });

  it('validates its arguments', async () => {
    const c = await connection();
    expect(await c.call('CLIENT', 'PAUSE', 'x')).toBe('-ERR timeout is not an integer or out of range\r\n');
    expect(await c.call('CLIENT', 'PAUSE', '-1')).toBe('-ERR timeout is negative\r\n');
    expect(await c.call('CLIENT', 'PAUSE', '100', 'foo')).toBe('-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n');
    expect(await c.call('CLIENT', 'PAUSE', '100', 'ALL', 'x')).toBe(
      "-ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP.\r\n",
    );
  });
});

describe('CLIENT TRACKING and friends', () => {
  it('keeps the tracking state and reports it', async () => {
    const c = await connection();
    expect(await c.call('CLIENT', 'TRACKINGINFO')).toBe('*6\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n');
    expect(await c.call('CLIENT', 'GETREDIR')).toBe(':-1\r\n');
    expect(await c.call('CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'b', 'PREFIX', 'a', 'NOLOOP')).toBe('+OK\r\n');
    expect(await c.call('CLIENT', 'TRACKINGINFO')).toBe(
      '*6\r\n$5\r\nflags\r\n*3\r\n$2\r\non\r\n$5\r\nbcast\r\n$6\r\nnoloop\r\n$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n',
    );
    expect(body(await c.call('CLIENT', 'INFO'))).toContain(' flags=tB ');
    expect(await c.call('CLIENT', 'TRACKING', 'on', 'OPTIN')).toBe(
      "-ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.\r\n",
    );
    expect(await c.call('CLIENT', 'TRACKING', 'off')).toBe('+OK\r\n');
    expect(await c.call('CLIENT', 'TRACKING', 'on', 'OPTIN', 'REDIRECT', '3')).toBe('+OK\r\n');
    expect(await c.call('CLIENT', 'CACHING', 'no')).toBe('-ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.\r\n');
    expect(await c.call('CLIENT', 'CACHING', 'yes')).toBe('+OK\r\n');
    await c.call('HELLO', '3');
    expect(await c.call('CLIENT', 'TRACKINGINFO')).toBe(
      '%3\r\n$5\r\nflags\r\n~2\r\n$2\r\non\r\n$5\r\noptin\r\n$8\r\nredirect\r\n:3\r\n$8\r\nprefixes\r\n*0\r\n',
    );
    expect(await c.call('CLIENT', 'GETREDIR')).toBe(':3\r\n');
  });

  it('refuses inconsistent options with the Redis errors', async () => {
    const c = await connection();
    expect(await c.call('CLIENT', 'TRACKING', 'on', 'REDIRECT', '999')).toBe('-ERR The client ID you want redirect to does not exist\r\n');
    expect(await c.call('CLIENT', 'TRACKING', 'on', 'PREFIX', 'a')).toBe('-ERR PREFIX option requires BCAST mode to be enabled\r\n');
    expect(await c.call('CLIENT', 'TRACKING', 'on', 'OPTIN', 'OPTOUT')).toBe("-ERR You can't specify both OPTIN mode and OPTOUT mode\r\n");
    expect(await c.call('CLIENT', 'TRACKING', 'on', 'BCAST', 'OPTIN')).toBe('-ERR OPTIN and OPTOUT are not compatible with BCAST\r\n');
    expect(await c.call('CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'a', 'PREFIX', 'ab')).toBe(
      "-ERR Prefix 'a' overlaps with another provided prefix 'ab'. Prefixes for a single client must not overlap.\r\n",
    );
    expect(await c.call('CLIENT', 'TRACKING', 'maybe')).toBe('-ERR syntax error\r\n');
    expect(await c.call('CLIENT', 'CACHING', 'yes')).toBe(
      '-ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled\r\n',
    );
  });

  it('answers NO-EVICT and UNBLOCK as Redis does', async () => {
    const c = await connection();
    expect(await c.call('CLIENT', 'NO-EVICT', 'on')).toBe('+OK\r\n');
    expect(body(await c.call('CLIENT', 'INFO'))).toContain(' flags=e ');
    expect(await c.call('CLIENT', 'NO-EVICT', 'maybe')).toBe('-ERR syntax error\r\n');
    expect(await c.call('CLIENT', 'UNBLOCK', '3')).toBe(':0\r\n');
    expect(await c.call('CLIENT', 'UNBLOCK', 'x')).toBe('-ERR value is not an integer or out of range\r\n');
    expect(await c.call('CLIENT', 'UNBLOCK', '3', 'foo')).toBe('-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n');
  });
});
