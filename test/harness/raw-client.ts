import { connect, type Socket } from 'node:net';
import { encodeCommand, FrameReader, loadProjectReplyParser, showResp, type RespValue } from './resp.js';

export interface RawReply {
  /** The reply exactly as the server sent it. */
  bytes: Buffer;
  value: RespValue;
}

const DEFAULT_HOST = '127.0.0.1';

/**
 * One plain TCP connection speaking RESP, with nothing added: no HELLO, no
 * CLIENT SETNAME, no retry. What a test sends is what the server sees.
 */
export class RawConnection {
  private readonly replies: RawReply[] = [];
  private waiter: (() => void) | undefined;
  private failure: Error | undefined;
  private ended = false;

  private constructor(
    private readonly socket: Socket,
    private readonly reader: FrameReader,
    readonly port: number,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.reader.push(chunk);
      try {
        for (let reply = this.reader.next(); reply; reply = this.reader.next()) this.replies.push(reply);
      } catch (e) {
        this.failure = e as Error;
        socket.destroy();
      }
      this.wake();
    });
    socket.on('error', (e) => {
      this.failure ??= e;
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
  }

  static async open(port: number, opts: { host?: string; timeoutMs?: number } = {}): Promise<RawConnection> {
    const parserClass = await loadProjectReplyParser();
    const host = opts.host ?? DEFAULT_HOST;
    const timeoutMs = opts.timeoutMs ?? 2000;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ port, host });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    socket.setNoDelay(true);
    return new RawConnection(socket, new FrameReader(parserClass), port);
  }

  /** True once the server closed the connection (or it failed). */
  get closed(): boolean {
    return this.ended;
  }

  /** Why the connection broke: undecodable bytes from the server, or a socket error. */
  get failureReason(): Error | undefined {
    return this.failure;
  }

  send(args: ReadonlyArray<string | Buffer>): void {
    this.socket.write(encodeCommand(args));
  }

  /** An inline command: the text plus CRLF, as typed into telnet. */
  sendInline(line: string): void {
    this.socket.write(`${line}\r\n`);
  }

  sendBytes(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  /** The next reply (or push) from the server, in arrival order. */
  async read(timeoutMs = 2000): Promise<RawReply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const reply = this.replies.shift();
      if (reply) return reply;
      if (this.failure) throw this.failure;
      if (this.ended) throw new Error(`connection to port ${this.port} closed before a reply arrived`);
      if (Date.now() >= deadline) throw new Error(`no reply from port ${this.port} within ${timeoutMs} ms`);
      await this.activityOrDeadline(deadline);
    }
  }

  /** Resolves true when the server closes the connection within the time, false otherwise. */
  async waitClosed(timeoutMs = 2000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended && Date.now() < deadline) await this.activityOrDeadline(deadline);
    return this.ended;
  }

  /** Closes our side only (a half-close): the server can still answer. */
  end(): void {
    this.socket.end();
  }

  async command(args: ReadonlyArray<string | Buffer>, timeoutMs = 2000): Promise<RawReply> {
    this.send(args);
    return this.read(timeoutMs);
  }

  /** Sends `HELLO <protocol>` and fails unless the server accepted it. */
  async hello(protocol: 2 | 3): Promise<RawReply> {
    const reply = await this.command(['HELLO', String(protocol)]);
    if (reply.value.type === 'error') throw new Error(`HELLO ${protocol} refused: ${showResp(reply.value)}`);
    return reply;
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    this.waiter?.();
  }

  /** Sleeps until bytes arrive, the connection ends or the deadline passes. */
  private async activityOrDeadline(deadline: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
      this.waiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.waiter = undefined;
  }
}

/** One command on a fresh connection (after `HELLO 3` when asked), then the connection is closed. */
export async function rawCommand(
  port: number,
  args: ReadonlyArray<string | Buffer>,
  opts: { protocol?: 2 | 3; timeoutMs?: number } = {},
): Promise<RawReply> {
  const conn = await RawConnection.open(port, { timeoutMs: opts.timeoutMs });
  try {
    if (opts.protocol === 3) await conn.hello(3);
    return await conn.command(args, opts.timeoutMs);
  } finally {
    conn.close();
  }
}
