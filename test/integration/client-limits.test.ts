import { readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useHarness, waitFor, type SentinelImpl, type SentinelProcess } from '../harness/index.js';
import { withoutRealSentinel } from '../harness/real-sentinel.js';
import { OUR_BIN, REDIS_SENTINEL_BIN } from '../harness/sentinel.js';

/**
 * The client limits of redis.conf as a sentinel applies them: proto-max-bulk-len,
 * client-query-buffer-limit, client-output-buffer-limit (normal and pubsub classes), timeout
 * and maxclients. The same scenarios run against our daemon and the real redis-sentinel;
 * the expected replies, closes and log lines are what redis-sentinel 7.0.15 does.
 */

/** A raw connection that records what it receives and whether the server closed it. */
class Conn {
  readonly socket: Socket;
  received = Buffer.alloc(0);
  closed = false;

  private constructor(port: number) {
    this.socket = connect({ host: '127.0.0.1', port });
    this.socket.on('data', (c: Buffer) => (this.received = Buffer.concat([this.received, c])));
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => (this.closed = true));
  }

  static async open(port: number): Promise<Conn> {
    const c = new Conn(port);
    await new Promise<void>((resolve, reject) => {
      c.socket.once('connect', resolve);
      c.socket.once('error', reject);
    });
    return c;
  }

  send(bytes: string | Buffer): void {
    this.socket.write(bytes);
  }

  text(): string {
    return this.received.toString('latin1');
  }

  async waitClosed(timeoutMs: number): Promise<boolean> {
    await waitFor(() => this.closed, { timeoutMs, description: 'the server to close the connection', until: (c) => c }).catch(() => undefined);
    return this.closed;
  }

  async waitFor(text: string, timeoutMs = 5000): Promise<void> {
    await waitFor(() => this.text().includes(text), { timeoutMs, description: `${JSON.stringify(text.slice(0, 40))} from the server`, until: (x) => x });
  }

  destroy(): void {
    this.socket.destroy();
  }
}

const bulk = (s: string | Buffer) => `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
const command = (...args: string[]) => `*${args.length}\r\n${args.map(bulk).join('')}`;

/** Count of log lines of the sentinel matching `pattern`. */
function logLines(s: SentinelProcess, pattern: RegExp): string[] {
  return s.process.log().split('\n').filter((l) => pattern.test(l));
}

async function answersPing(port: number): Promise<boolean> {
  const c = await Conn.open(port);
  try {
    c.send('PING\r\n');
    await c.waitFor('+PONG\r\n', 2000);
    return true;
  } finally {
    c.destroy();
  }
}

const impls: SentinelImpl[] = ['ours', 'redis'];

describe.each(impls)('client limits (%s)', (impl) => {
  const skip = impl === 'redis' && withoutRealSentinel('client limits against redis-sentinel');
  const h = useHarness(`client-limits-${impl}`, { scope: 'test' });
  const start = (lines: string[]) =>
    h.startSentinel({ impl, monitors: [{ name: 'm', port: 1, quorum: 1 }], configLines: ['loglevel verbose', ...lines] });

  it.skipIf(skip)('proto-max-bulk-len and client-query-buffer-limit refuse what is too long, as Redis does', async () => {
    const s = await start(['proto-max-bulk-len 2mb', 'client-query-buffer-limit 1mb']);

    const tooLong = await Conn.open(s.port);
    tooLong.send(`*1\r\n$${2 * 1024 * 1024 + 1}\r\n`);
    expect(await tooLong.waitClosed(3000)).toBe(true);
    expect(tooLong.text()).toBe('-ERR Protocol error: invalid bulk length\r\n');

    // Under both limits: the argument (and its CRLF) fits the query buffer.
    const fits = await Conn.open(s.port);
    const payload = 'a'.repeat(1_000_000);
    fits.send(command('PING', payload));
    await fits.waitFor(`${bulk(payload)}`, 5000);
    expect(fits.closed).toBe(false);
    fits.destroy();

    // 1 MB of argument is 1 MB + 2 bytes of query buffer: over the limit before it runs.
    const over = await Conn.open(s.port);
    over.send(command('PING', 'a'.repeat(1024 * 1024)));
    expect(await over.waitClosed(5000)).toBe(true);
    expect(over.received.length).toBe(0);
    const [line] = logLines(s, /Closing client that reached max query buffer length/);
    expect(line).toMatch(/ # Closing client that reached max query buffer length: id=\d+ addr=127\.0\.0\.1:\d+ .* qbuf=1048578 .* \(qbuf initial bytes: "a{64}"\)$/);

    // A pipeline longer than the limit is fine: the limit is on what waits to be parsed.
    const pipeline = await Conn.open(s.port);
    pipeline.send('PING\r\n'.repeat(300_000));
    await waitFor(() => pipeline.received.length, { timeoutMs: 10_000, description: '300,000 PONGs', until: (n) => n >= 300_000 * 7 });
    expect(pipeline.closed).toBe(false);
    pipeline.destroy();
    expect(await answersPing(s.port)).toBe(true);
  }, 40_000);

  it.skipIf(skip)('client-output-buffer-limit normal: a client that does not read its replies is closed, and logged', async () => {
    const s = await start(['client-output-buffer-limit normal 256kb 128kb 2']);
    const c = await Conn.open(s.port);
    c.socket.pause();
    // 20,000 replies of INFO (about 27 MB): more than the kernel's socket buffers can hold
    // (a few MB each way on loopback), so the output waits in the server, where the limit is.
    c.send('INFO\r\n'.repeat(20_000));
    await waitFor(() => logLines(s, /scheduled to be closed ASAP for overcoming of output buffer limits\.$/), {
      timeoutMs: 10_000,
      description: 'the output buffer limit log line',
      until: (l) => l.length === 1,
    });
    const [line] = logLines(s, /overcoming of output buffer limits/);
    expect(line).toMatch(/ # Client id=\d+ addr=127\.0\.0\.1:\d+ .* flags=N .* cmd=info user=default redir=-1 resp=2 scheduled to be closed ASAP for overcoming of output buffer limits\.$/);
    c.socket.resume();
    expect(await c.waitClosed(5000)).toBe(true);
    // Cut off: far from all of its replies came.
    expect(c.received.length).toBeLessThan(15 * 1024 * 1024);
    expect(await answersPing(s.port)).toBe(true);
  }, 30_000);

  it.skipIf(skip)("a subscriber that stops reading is closed at Redis's default pubsub limit (32 MB)", async () => {
    const s = await start([]);
    const c = await Conn.open(s.port);
    c.send(command('SUBSCRIBE', 'news'));
    await c.waitFor('news');
    c.socket.pause();
    // In subscribed mode PING answers with its argument: each sends 1 MB to a client that no longer reads.
    const mb = 'p'.repeat(1024 * 1024);
    for (let i = 0; i < 30; i++) c.send(command('PING', mb));
    // Kernel buffers take a few MB first; under the hard limit nothing happens.
    await new Promise((r) => setTimeout(r, 500));
    expect(logLines(s, /overcoming of output buffer limits/)).toEqual([]);
    for (let i = 0; i < 20; i++) c.send(command('PING', mb));
    await waitFor(() => logLines(s, /overcoming of output buffer limits/), {
      timeoutMs: 10_000,
      description: 'the output buffer limit log line',
      until: (l) => l.length === 1,
    });
    expect(logLines(s, /overcoming of output buffer limits/)[0]).toMatch(/ # Client id=\d+ .* flags=P .* sub=1 .* cmd=ping .* scheduled to be closed ASAP for overcoming of output buffer limits\.$/);
    c.socket.resume();
    expect(await c.waitClosed(5000)).toBe(true);
    expect(await answersPing(s.port)).toBe(true);
  }, 30_000);

  it.skipIf(skip)('the pubsub soft limit closes a subscriber that stays over it longer than its seconds, at the next output', async () => {
    const s = await start(['client-output-buffer-limit pubsub 0 1mb 2']);
    const c = await Conn.open(s.port);
    c.send(command('SUBSCRIBE', 'news'));
    await c.waitFor('news');
    c.socket.pause();
    const mb = 'p'.repeat(1024 * 1024);
    for (let i = 0; i < 12; i++) c.send(command('PING', mb));
    await new Promise((r) => setTimeout(r, 300));
    // Over the soft limit, but not for long enough: still connected.
    c.send(command('PING', 'x'));
    await new Promise((r) => setTimeout(r, 300));
    expect(logLines(s, /overcoming of output buffer limits/)).toEqual([]);
    // More than 2 whole seconds later, the next output closes it.
    await new Promise((r) => setTimeout(r, 3100));
    c.send(command('PING', 'x'));
    await waitFor(() => logLines(s, /overcoming of output buffer limits/), {
      timeoutMs: 5000,
      description: 'the output buffer limit log line',
      until: (l) => l.length === 1,
    });
    c.socket.resume();
    expect(await c.waitClosed(5000)).toBe(true);
  }, 30_000);

  it.skipIf(skip)('timeout closes idle clients, not subscribers nor clients that keep talking', async () => {
    const s = await start(['timeout 1']);
    const idle = await Conn.open(s.port);
    const subscriber = await Conn.open(s.port);
    subscriber.send(command('SUBSCRIBE', 'news'));
    const talker = await Conn.open(s.port);
    const began = Date.now();
    const timer = setInterval(() => talker.send('PING\r\n'), 400);
    try {
      expect(await idle.waitClosed(4000)).toBe(true);
      const after = Date.now() - began;
      // Idle for more than 1 whole second of the clock: between 1 and 2 s after its last word.
      expect(after).toBeGreaterThanOrEqual(900);
      expect(after).toBeLessThan(3000);
      await new Promise((r) => setTimeout(r, 3000 - (Date.now() - began)));
      expect(subscriber.closed).toBe(false);
      expect(talker.closed).toBe(false);
      expect(logLines(s, / - Closing idle client$/).length).toBe(1);
    } finally {
      clearInterval(timer);
      subscriber.destroy();
      talker.destroy();
    }
  }, 20_000);

  it.skipIf(skip)('maxclients refuses the client beyond it with Redis error and closes it', async () => {
    const s = await start(['maxclients 3']);
    const held = [await Conn.open(s.port), await Conn.open(s.port), await Conn.open(s.port)];
    for (const c of held) {
      c.send('PING\r\n');
      await c.waitFor('+PONG\r\n');
    }
    const refused = await Conn.open(s.port);
    expect(await refused.waitClosed(3000)).toBe(true);
    expect(refused.text()).toBe('-ERR max number of clients reached\r\n');
    held[0].destroy();
    await waitFor(async () => answersPing(s.port).catch(() => false), { timeoutMs: 3000, description: 'a free slot again', until: (ok) => ok });
    for (const c of held) c.destroy();
  }, 20_000);

  it.skipIf(skip)('a low open files limit reduces maxclients, with Redis warnings, and the config keeps it', async () => {
    const port = await h.port();
    const conf = join(h.root, `ulimit-${impl}.conf`);
    writeFileSync(conf, `port ${port}\nbind 127.0.0.1\nsentinel monitor m 127.0.0.1 1 1\n`);
    const binary = impl === 'redis' ? [REDIS_SENTINEL_BIN] : [process.execPath, OUR_BIN];
    const proc = h.startProcess({ name: `ulimit-${impl}`, command: 'bash', args: ['-c', 'ulimit -n 1024 && exec "$@"', 'sentinel', ...binary, conf] });
    await proc.waitForLog(/Running mode=sentinel/, { timeoutMs: 10_000 });
    const warnings = proc
      .log()
      .split('\n')
      .filter((l) => / # (You requested|Server can't|Current maximum)/.test(l))
      .map((l) => l.replace(/^.* # /, ''));
    expect(warnings).toEqual([
      'You requested maxclients of 10000 requiring at least 10032 max file descriptors.',
      "Server can't set maximum open files to 10032 because of OS error: Operation not permitted.",
      "Current maximum open files is 1024. maxclients has been reduced to 992 to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.",
    ]);
    const info = await Conn.open(port);
    info.send('INFO clients\r\n');
    await info.waitFor('maxclients:992\r\n');
    info.destroy();
    await waitFor(() => readFileSync(conf, 'utf8'), { timeoutMs: 5000, description: 'the config rewritten', until: (t) => t.includes('\nmaxclients 992\n') });
  }, 20_000);
});
