/**
 * Piping for the proxy workers, straight on libuv's TCP handles: no Socket, no stream, one
 * callback per read and none per write that the kernel takes at once. Under redis-benchmark's
 * load a net.Socket proxy spent some 40% of its CPU time outside the system calls, much of it in
 * the stream machinery around each read and write (callbacks, write requests, next-tick queues).
 *
 * The handle API used here (`onread`, `useUserBuffer`, `writeBuffer`, `shutdown`, `close`, and
 * the `stream_wrap` binding's shared state) is the one Node's own net.Socket is built on.
 */
import type { Pipe, PipeBytes } from './pipe.js';
import { TurnWrites } from './turn-writes.js';

interface Request {
  oncomplete: (this: Request, status: number) => void;
  /** Keeps what libuv still has to write alive until it is written. */
  buffer: Buffer | null;
  to: Direction | null;
}

/** A connected TCP handle as it arrives over the IPC channel. */
export interface Handle {
  onread: () => void;
  useUserBuffer(buffer: Uint8Array): void;
  readStart(): number;
  readStop(): number;
  writeBuffer(req: Request, data: Buffer): number;
  shutdown(req: Request): number;
  /** Once only: later calls do nothing, and their callback is not called. */
  close(callback?: () => void): void;
}

interface StreamWrapBinding {
  WriteWrap: new () => Request;
  ShutdownWrap: new () => Request;
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kLastWriteWasAsync: number;
}

const binding = (process as unknown as { binding(name: 'stream_wrap'): StreamWrapBinding }).binding('stream_wrap');
const { WriteWrap, ShutdownWrap, streamBaseState: state, kReadBytesOrError, kLastWriteWasAsync } = binding;

/** libuv's end-of-stream code. */
const UV_EOF = -4095;

/** Every handle reads into this buffer; each read is copied out of it at once, into the arena. */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/**
 * What is read during a turn of the event loop waits here to be written at the turn's end (see
 * `queue`); the arena is used again from its start once that is done, so reads allocate nothing.
 * A write the kernel does not take at once keeps its arena: a new one is taken for what follows.
 */
const ARENA_SIZE = 256 * 1024;
let arena = Buffer.allocUnsafe(ARENA_SIZE);
let used = 0;

/** One way of a session: what was read from `from`, waiting in `waiting` to be written to `to`. */
interface Direction {
  from: Handle;
  to: Handle;
  /** Where in `waiting` the bytes not written yet are. */
  start: number;
  end: number;
  waiting: Buffer;
  /** Writes libuv has not finished; `from` is not read from while there are any. */
  pending: number;
  session: Session;
}

interface Session {
  open: boolean;
  close(graceful: boolean): void;
}

/** Once every write of the turn is made, the arena is used again from its start. */
const turn = new TurnWrites<Direction>(flush, () => {
  used = 0;
});

function queue(d: Direction, n: number): void {
  if (used + n > ARENA_SIZE) turn.flushAll();
  // Bytes go on the end of what waits, or, if something else was read in between, after it is written.
  if (d.end > d.start && (d.waiting !== arena || d.end !== used)) flush(d);
  READ_BUFFER.copy(arena, used, 0, n);
  if (d.end === d.start) {
    d.waiting = arena;
    d.start = used;
  }
  used += n;
  d.end = used;
  turn.mark(d);
}

/** A write request the kernel took at once is not kept by Node, so it serves the next write too. */
let spare = newWriteRequest();

function newWriteRequest(): Request {
  const req = new WriteWrap();
  req.oncomplete = written;
  req.buffer = null;
  req.to = null;
  return req;
}

function flush(d: Direction): void {
  if (d.end === d.start) return;
  const data = d.waiting.subarray(d.start, d.end);
  d.start = d.end = 0;
  const req = spare;
  if (d.to.writeBuffer(req, data) !== 0) {
    spare = newWriteRequest();
    return d.session.close(false);
  }
  if (state[kLastWriteWasAsync] === 0) return;
  // The kernel did not take it all: libuv holds the rest, so its arena must not be reused, and
  // `from` is not read from until it is written.
  spare = newWriteRequest();
  req.buffer = d.waiting;
  req.to = d;
  if (d.waiting === arena) {
    arena = Buffer.allocUnsafe(ARENA_SIZE);
    used = 0;
  }
  if (d.pending++ === 0) d.from.readStop();
}

function written(this: Request, status: number): void {
  const d = this.to!;
  this.buffer = null;
  if (!d.session.open) return;
  if (status < 0) return d.session.close(false);
  if (--d.pending === 0) d.from.readStart();
}

/**
 * Pipes two connected TCP handles to each other, counting the bytes into `bytes`. When either
 * side ends, what was read from it is still written to the other, which is then shut down;
 * `ended` is called once, after both handles are closed.
 */
export function pipeHandles(client: Handle, server: Handle, bytes: PipeBytes, ended: () => void): Pipe {
  const session: Session = { open: true, close };
  const toServer: Direction = { from: client, to: server, start: 0, end: 0, waiting: arena, pending: 0, session };
  const toClient: Direction = { from: server, to: client, start: 0, end: 0, waiting: arena, pending: 0, session };
  let closing = 2;
  const closed = () => {
    if (--closing === 0) ended();
  };

  function close(graceful: boolean): void {
    if (!session.open) {
      // Cut while a graceful end still waits for its last writes to be taken: end it now.
      if (!graceful) for (const handle of [client, server]) handle.close(closed);
      return;
    }
    session.open = false;
    turn.forget(toServer);
    turn.forget(toClient);
    for (const d of [toServer, toClient]) {
      if (graceful) flush(d);
      d.start = d.end = 0;
    }
    for (const handle of [client, server]) {
      handle.readStop();
      if (graceful) shutThenClose(handle, closed);
      else handle.close(closed);
    }
  }

  const read = (d: Direction, count: (n: number) => void) => () => {
    const n = state[kReadBytesOrError];
    if (n > 0) {
      count(n);
      queue(d, n);
    } else if (n < 0) close(n === UV_EOF);
  };
  client.onread = read(toServer, (n) => (bytes.toServer += n));
  server.onread = read(toClient, (n) => (bytes.toClient += n));
  for (const handle of [client, server]) {
    handle.useUserBuffer(READ_BUFFER);
    if (handle.readStart() !== 0) close(false);
  }
  return { cut: () => close(false) };
}

/** Closes `handle` once what was written to it is sent (libuv's shutdown waits for pending writes). */
function shutThenClose(handle: Handle, closed: () => void): void {
  const req = new ShutdownWrap();
  req.oncomplete = () => handle.close(closed);
  if (handle.shutdown(req) !== 0) handle.close(closed);
}
