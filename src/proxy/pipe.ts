import type { Socket } from 'node:net';
import { TurnWrites } from './turn-writes.js';

export interface PipeBytes {
  toServer: number;
  toClient: number;
}

/** A session's two sockets piped to each other; `cut()` closes both, dropping what is not sent yet. */
export interface Pipe {
  cut(): void;
}

interface Outgoing {
  socket: Socket;
  chunks: Buffer[];
  /** Paused while `socket` cannot take more. */
  source: Socket;
  draining: boolean;
}

const turn = new TurnWrites<Outgoing>(flush);

function queue(out: Outgoing, chunk: Buffer): void {
  out.chunks.push(chunk);
  turn.mark(out);
}

function flush(out: Outgoing): void {
  if (out.chunks.length === 0) return;
  const data = out.chunks.length === 1 ? out.chunks[0] : Buffer.concat(out.chunks);
  out.chunks = [];
  if (!out.socket.destroyed && !out.socket.write(data) && !out.draining) {
    out.draining = true;
    out.source.pause();
    out.socket.once('drain', () => {
      out.draining = false;
      out.source.resume();
    });
  }
}

/**
 * Pipes `client` and `server` to each other, counting the bytes into `bytes`. When either side
 * closes, what was read from it is still written to the other, then both close; `ended` is
 * called once, after both are closed.
 */
export function pipeSockets(client: Socket, server: Socket, bytes: PipeBytes, ended: () => void): Pipe {
  const toServer: Outgoing = { socket: server, chunks: [], source: client, draining: false };
  const toClient: Outgoing = { socket: client, chunks: [], source: server, draining: false };
  let open = true;
  const close = (graceful: boolean) => {
    if (!open) return;
    open = false;
    if (graceful) {
      flush(toServer);
      flush(toClient);
    }
    turn.forget(toServer);
    turn.forget(toClient);
    client.destroy();
    server.destroy();
    ended();
  };
  for (const socket of [client, server]) {
    socket.on('close', () => close(true));
    socket.on('error', () => close(false));
  }
  client.on('data', (chunk: Buffer) => {
    bytes.toServer += chunk.length;
    queue(toServer, chunk);
  });
  server.on('data', (chunk: Buffer) => {
    bytes.toClient += chunk.length;
    queue(toClient, chunk);
  });
  client.resume();
  server.resume();
  return { cut: () => close(false) };
}
