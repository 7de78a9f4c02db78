import { fileURLToPath } from 'node:url';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { FrameReader, loadProjectReplyParser } from './resp.js';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  decodeFrame,
  freePorts,
  Harness,
  pidAlive,
  rawCommand,
  redisCli,
  useHarness,
  waitFor,
  WaitTimeoutError,
  type RespValue,
} from './index.js';

const FIXTURES = fileURLToPath(new URL('../../src/server/fixtures', import.meta.url));

describe('freePorts', () => {
  it('hands out distinct bindable loopback ports outside the reserved ranges', async () => {
    const ports = await freePorts(40);
    expect(new Set(ports).size).toBe(40);
    for (const p of ports) {
      expect(p).toBeGreaterThan(1024);
      expect(p >= 20000 && p <= 20010).toBe(false);
      expect(p >= 30000 && p <= 30010).toBe(false);
    }
  });
});

describe('waitFor', () => {
  it('returns the first accepted value', async () => {
    let n = 0;
    const value = await waitFor(() => ++n, { timeoutMs: 2000, intervalMs: 1, description: 'n to reach 3', until: (v) => v >= 3 });
    expect(value).toBe(3);
  });

  it('times out with the description and the last observed value', async () => {
    const started = Date.now();
    const error = await waitFor(() => ({ replicas: 1 }), {
      timeoutMs: 200,
      intervalMs: 20,
      description: 'two replicas',
      until: (v) => v.replicas === 2,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect((error as Error).message).toMatch(/waiting for two replicas; last observed: \{ replicas: 1 \}/);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('reports the last error of a failing probe and stays bounded when the probe hangs', async () => {
    const failing = await waitFor(
      () => {
        throw new Error('ECONNREFUSED');
      },
      { timeoutMs: 100, description: 'a connection' },
    ).catch((e: Error) => e.message);
    expect(failing).toMatch(/last observed: error: ECONNREFUSED/);

    const started = Date.now();
    const hanging = await waitFor(() => new Promise<boolean>(() => {}), { timeoutMs: 150, description: 'a hung probe' }).catch(
      (e: Error) => e.message,
    );
    expect(hanging).toMatch(/still running at the deadline/);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('decodeFrame', () => {
  const fixtures = readdirSync(FIXTURES);

  it.each(fixtures)('decodes the captured %s as exactly one whole frame', (file) => {
    const bytes = readFileSync(join(FIXTURES, file));
    const decoded = decodeFrame(bytes);
    expect(decoded?.end).toBe(bytes.length);
    // No proper prefix is a complete frame.
    for (const cut of [1, Math.floor(bytes.length / 2), bytes.length - 1]) {
      expect(decodeFrame(bytes.subarray(0, cut))).toBeUndefined();
    }
  });

  it('gives the shapes the reference documents for COMMAND and SENTINEL HELP', () => {
    const command = decodeFrame(readFileSync(join(FIXTURES, 'sentinel-7.0.15-COMMAND.resp3')))!.value;
    expect(command.type).toBe('array');
    expect((command as { items: RespValue[] }).items).toHaveLength(15);
    const help = decodeFrame(readFileSync(join(FIXTURES, 'sentinel-7.0.15-SENTINEL-HELP.resp2')))!.value as {
      items: RespValue[];
    };
    expect(help.items).toHaveLength(49);
    expect(help.items[0]).toEqual({ type: 'simple', value: 'SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:' });
  });

  it.each(fixtures)('the project ReplyParser, when present, reads %s as the harness decoder does', async (file) => {
    const projectClass = await loadProjectReplyParser();
    if (!projectClass) return;
    const bytes = readFileSync(join(FIXTURES, file));
    const reader = new FrameReader(projectClass);
    // Split in two to exercise the parser's resumption.
    const half = Math.floor(bytes.length / 2);
    reader.push(bytes.subarray(0, half));
    expect(reader.next()).toBeUndefined();
    reader.push(bytes.subarray(half));
    expect(reader.next()).toEqual({ bytes, value: decodeFrame(bytes)!.value });
  });

  it('keeps the three kinds of null apart', () => {
    expect(decodeFrame(Buffer.from('$-1\r\n'))?.value).toEqual({ type: 'null-bulk' });
    expect(decodeFrame(Buffer.from('*-1\r\n'))?.value).toEqual({ type: 'null-array' });
    expect(decodeFrame(Buffer.from('_\r\n'))?.value).toEqual({ type: 'null' });
    expect(decodeFrame(Buffer.from('%1\r\n+a\r\n:1\r\n'))?.value).toEqual({
      type: 'map',
      entries: [[{ type: 'simple', value: 'a' }, { type: 'integer', value: 1n }]],
    });
  });
});

describe('processes (real redis-server and redis-sentinel)', () => {
  const h = useHarness('harness-self-test');

  it('pauses, resumes, kills and restarts a redis-server by PID, with its output in a file', async () => {
    const server = await h.startRedis();
    expect((await rawCommand(server.port, ['PING'])).bytes.toString()).toBe('+PONG\r\n');
    await server.process.waitForLog(/Ready to accept connections/);

    server.kill('SIGSTOP');
    await expect(rawCommand(server.port, ['PING'], { timeoutMs: 300 })).rejects.toThrow(/no reply/);
    server.kill('SIGCONT');
    expect((await rawCommand(server.port, ['PING'])).value).toEqual({ type: 'simple', value: 'PONG' });

    const firstPid = server.pid;
    server.kill('SIGKILL');
    expect((await server.process.waitForExit()).signal).toBe('SIGKILL');
    await server.restart();
    expect(server.pid).not.toBe(firstPid);
    expect((await rawCommand(server.port, ['PING'])).value).toEqual({ type: 'simple', value: 'PONG' });
  });

  it('starts a real sentinel whose config is rewritten, and restarts it with the same identity', async () => {
    const master = await h.startRedis();
    const sentinel = await h.startSentinel({ impl: 'redis', monitors: [{ name: 'm', port: master.port, quorum: 1, downAfterMs: 1000 }] });
    const [, id] = await sentinel.process.waitForLog(/Sentinel ID is ([0-9a-f]{40})/);
    await waitFor(() => sentinel.configLines('sentinel myid'), {
      timeoutMs: 2000,
      description: 'the myid line in the rewritten config',
      until: (lines) => lines.length === 1,
    });
    expect(sentinel.configLines('sentinel myid')).toEqual([`sentinel myid ${id}`]);

    const events = await h.events(sentinel.port);
    expect((await rawCommand(sentinel.port, ['SENTINEL', 'SET', 'm', 'quorum', '1'])).value).toEqual({ type: 'simple', value: 'OK' });
    await events.waitFor({ channel: '+set', message: `master m 127.0.0.1 ${master.port} quorum 1` }, 2000);

    sentinel.kill('SIGKILL');
    await sentinel.restart();
    const again = await rawCommand(sentinel.port, ['SENTINEL', 'MYID']);
    expect(again.value).toEqual({ type: 'bulk', value: id });

    const cli = await redisCli(sentinel.port, ['sentinel', 'get-master-addr-by-name', 'm']);
    expect(cli).toEqual({ stdout: `127.0.0.1\n${master.port}\n`, stderr: '', code: 0 });
  });

  it('sends raw bytes and sees the server hang up on an HTTP request line', async () => {
    const server = await h.startRedis();
    const conn = await h.raw(server.port);
    conn.sendBytes('POST / HTTP/1.1\r\n');
    expect(await conn.waitClosed(2000)).toBe(true);
    await expect(conn.read(100)).rejects.toThrow(/closed before a reply/);
  });

  it('RESP3 replies come back as maps after HELLO 3, with their exact bytes', async () => {
    const server = await h.startRedis();
    const reply = await rawCommand(server.port, ['HELLO', '3'], { protocol: 3 });
    expect(reply.bytes.subarray(0, 4).toString()).toBe('%7\r\n');
    expect(reply.value.type).toBe('map');
  });
});

describe('cleanup', () => {
  it('kills every process by PID and removes the temp dir, also after a failed test', async () => {
    const h = new Harness('cleanup-check');
    const server = await h.startRedis();
    const paused = await h.startRedis();
    paused.kill('SIGSTOP');
    const pids = [server.pid, paused.pid];
    const root = h.root;
    h.noteFailure('a deliberately failed test');
    await h.cleanup();
    for (const pid of pids) expect(pidAlive(pid)).toBe(false);
    expect(existsSync(root)).toBe(false);
  });

  it('waits for a start still under way, kills what it started, and refuses starts after dispose', async () => {
    const h = new Harness('dispose-check');
    const starting = h.startRedis();
    await h.dispose();
    const server = await starting;
    expect(pidAlive(server.pid)).toBe(false);
    await expect(h.startRedis()).rejects.toThrow(/disposed/);
  });
});
