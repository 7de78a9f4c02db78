import { splitArgsBytes } from '../config/split-args.js';
import { ByteQueue } from './byte-queue.js';
import type { Reply } from './reply.js';

const CR = 0x0d;
const LF = 0x0a;
const STAR = 0x2a;
const DOLLAR = 0x24;

/** PROTO_INLINE_MAX_SIZE: the longest line (inline command or count line) buffered while its end has not arrived. */
export const INLINE_MAX_SIZE = 64 * 1024;
/** proto-max-bulk-len, not settable in sentinel mode. */
export const DEFAULT_MAX_BULK_LENGTH = 512 * 1024 * 1024;
/** Before authentication Redis refuses longer commands, so that an anonymous peer cannot make it allocate much. */
export const UNAUTHENTICATED_MAX_ARGS = 10;
export const UNAUTHENTICATED_MAX_BULK_LENGTH = 16384;
const INT_MAX = 2147483647;
const SHORT_LINE_BYTES = 32;

/**
 * A request that breaks the protocol. The message is Redis's text; redis-server sends
 * it as `-ERR <message>`, then closes the connection without reading further.
 */
export class ProtocolError extends Error {
  /** Bytes of the message, kept exact (the offending byte may be anything). */
  readonly bytes: Buffer;

  constructor(bytes: Buffer) {
    super(bytes.toString('latin1'));
    this.name = 'ProtocolError';
    this.bytes = bytes;
  }

  /** The reply redis-server writes before closing: byte-exact, CR and LF turned into spaces. */
  get reply(): Reply {
    const text = Buffer.from(this.bytes).map((b) => (b === CR || b === LF ? 0x20 : b));
    return { type: 'raw', bytes: Buffer.concat([Buffer.from('-ERR '), text, Buffer.from('\r\n')]) };
  }
}

function protocolError(text: string): ProtocolError {
  return new ProtocolError(Buffer.from(`Protocol error: ${text}`, 'latin1'));
}

export interface RequestParserOptions {
  /**
   * Whether the client still has to authenticate. Asked once per command, when its
   * header is read, so an AUTH earlier in the same read already lifts the limits.
   */
  authRequired?: () => boolean;
  maxBulkLength?: number;
}

type State =
  | { kind: 'idle' }
  | { kind: 'inline' }
  | { kind: 'multibulk'; remaining: number; bulkLength: number; args: Buffer[] };

/**
 * Streaming, sans-IO parser of client requests, accepting exactly what redis-server
 * 7.0 accepts: multibulk (`*N\r\n$len\r\n...`) and inline lines. Feed it what the
 * socket reads, then call next() until it returns null. A ProtocolError is final:
 * the connection must be answered with `error.reply` and closed.
 */
export class RequestParser {
  private readonly input = new ByteQueue();
  private state: State = { kind: 'idle' };
  /** How far the current line has been searched without finding its end. */
  private scanned = 0;
  private failure: ProtocolError | null = null;
  /** Length of the count line readCountLine last read. */
  private countLineBytes = 0;
  /**
   * Empty commands passed over so far (an empty inline line, `*0`, `*-1`): Redis resets the
   * client after each as after a command, which ends a CLIENT REPLY SKIP.
   */
  emptyCommands = 0;
  private readonly authRequired: () => boolean;
  private readonly maxBulkLength: number;

  constructor(options: RequestParserOptions = {}) {
    this.authRequired = options.authRequired ?? (() => false);
    this.maxBulkLength = options.maxBulkLength ?? DEFAULT_MAX_BULK_LENGTH;
  }

  feed(chunk: Buffer): void {
    if (this.failure === null) this.input.push(chunk);
  }

  /** Bytes received and not yet turned into arguments (Redis's query buffer). */
  get bufferedBytes(): number {
    return this.input.length;
  }

  /** What was left of the query buffer where a ProtocolError was found (Redis logs it). */
  leftAtFailure: Buffer = Buffer.alloc(0);

  /** The first `n` bytes of the query buffer. */
  head(n: number): Buffer {
    return this.input.copy(0, Math.min(n, this.input.length));
  }

  /** The next complete command (never empty), or null until more bytes arrive. */
  next(): Buffer[] | null {
    if (this.failure !== null) throw this.failure;
    try {
      return this.parse();
    } catch (e) {
      if (e instanceof ProtocolError) {
        this.failure = e;
        this.leftAtFailure = this.input.copy(0, this.input.length);
        this.input.clear();
      }
      throw e;
    }
  }

  private parse(): Buffer[] | null {
    for (;;) {
      if (this.state.kind === 'idle') {
        if (this.input.length === 0) return null;
        this.state =
          this.input.byteAt(0) === STAR
            ? { kind: 'multibulk', remaining: 0, bulkLength: -1, args: [] }
            : { kind: 'inline' };
      }
      const command = this.state.kind === 'inline' ? this.parseInline() : this.parseMultibulk(this.state);
      if (command === 'incomplete') return null;
      this.state = { kind: 'idle' };
      if (command.length > 0) return command;
      this.emptyCommands++;
    }
  }

  private parseInline(): Buffer[] | 'incomplete' {
    const newline = this.findLineEnd(LF);
    if (newline === -1) {
      if (this.input.length > INLINE_MAX_SIZE) throw protocolError('too big inline request');
      return 'incomplete';
    }
    const end = newline > 0 && this.input.byteAt(newline - 1) === CR ? newline - 1 : newline;
    const args = splitArgsBytes(this.input.copy(0, end));
    // As in Redis, a refused line stays in the query buffer (its log shows it).
    if (args === null) throw protocolError('unbalanced quotes in request');
    this.consume(newline + 1);
    return args;
  }

  private parseMultibulk(state: Extract<State, { kind: 'multibulk' }>): Buffer[] | 'incomplete' {
    if (state.remaining === 0) {
      const count = this.readCountLine('too big mbulk count string');
      if (count === 'incomplete') return 'incomplete';
      if (count === null || count > INT_MAX) throw protocolError('invalid multibulk length');
      if (count > UNAUTHENTICATED_MAX_ARGS && this.authRequired()) {
        throw protocolError('unauthenticated multibulk length');
      }
      this.consume(this.countLineBytes);
      if (count <= 0) return [];
      state.remaining = count;
    }
    while (state.remaining > 0) {
      if (state.bulkLength === -1) {
        // Redis finds the line end before it looks at the type byte.
        const length = this.readCountLine('too big bulk count string', DOLLAR);
        if (length === 'incomplete') return 'incomplete';
        if (length === null || length < 0 || length > this.maxBulkLength) {
          throw protocolError('invalid bulk length');
        }
        if (length > UNAUTHENTICATED_MAX_BULK_LENGTH && this.authRequired()) {
          throw protocolError('unauthenticated bulk length');
        }
        this.consume(this.countLineBytes);
        state.bulkLength = length;
      }
      // The two bytes after the payload are skipped, whatever they are, as Redis does.
      if (this.input.length < state.bulkLength + 2) return 'incomplete';
      state.args.push(this.input.copy(0, state.bulkLength));
      this.consume(state.bulkLength + 2);
      state.bulkLength = -1;
      state.remaining--;
    }
    return state.args;
  }

  /**
   * Reads `<prefix><integer>\r?` at the front of the input: the line ends at the
   * first CR, and the byte after it is skipped unchecked (as in Redis). Returns
   * null when the integer is malformed. Beyond 2^53 the value is approximate, which
   * changes no comparison with the limits it is checked against (all far smaller).
   */
  private readCountLine(tooBig: string, expectedPrefix?: number): number | null | 'incomplete' {
    const cr = this.findLineEnd(CR);
    if (cr === -1) {
      if (this.input.length > INLINE_MAX_SIZE) throw protocolError(tooBig);
      return 'incomplete';
    }
    if (cr + 2 > this.input.length) return 'incomplete';
    if (expectedPrefix !== undefined && this.input.byteAt(0) !== expectedPrefix) {
      const got = Buffer.from([this.input.byteAt(0)]);
      throw new ProtocolError(Buffer.concat([Buffer.from("Protocol error: expected '$', got '"), got, Buffer.from("'")]));
    }
    // Consumed by the caller once the value is accepted: a refused line stays in the query buffer.
    this.countLineBytes = cr + 2;
    return this.input.strictInteger(1, cr);
  }

  /**
   * Redis looks for line ends with strchr on a NUL-terminated buffer, so a NUL byte
   * before the terminator hides it: the request then waits until the size limit.
   */
  private findLineEnd(terminator: number): number {
    // Count lines are a few bytes: looked through here, without two native searches per line.
    const input = this.input;
    const length = input.length;
    const limit = Math.min(length, this.scanned + SHORT_LINE_BYTES);
    for (let i = this.scanned; i < limit; i++) {
      const byte = input.byteAt(i);
      if (byte === terminator) return i;
      if (byte === 0) {
        this.scanned = i;
        return -1;
      }
    }
    this.scanned = limit;
    if (limit === length) return -1;
    const at = this.input.indexOf(terminator, this.scanned);
    const nul = this.input.indexOf(0, this.scanned, at === -1 ? this.input.length : at);
    if (nul !== -1) {
      this.scanned = nul;
      return -1;
    }
    if (at === -1) this.scanned = this.input.length;
    return at;
  }

  private consume(count: number): void {
    this.input.consume(count);
    this.scanned = 0;
  }
}
