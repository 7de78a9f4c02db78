/**
 * A proxy worker: a child process of the sentinel that pipes the sessions handed to it. The
 * sentinel accepts, routes and connects; the worker only moves bytes, so the proxy's load
 * spreads over the CPUs and stays off the sentinel's own event loop. It exits with its parent.
 */
import { pipeHandles, type Handle } from './handle-pipe.js';
import type { Pipe, PipeBytes } from './pipe.js';
import type { FromWorker, ToWorker } from './pipe-workers.js';

/** How often the bytes piped are reported to the sentinel (also at each session's end). */
const BYTES_REPORT_MS = 500;

const halves = new Map<number, Handle>();
const sessions = new Map<number, { pipe: Pipe; bytes: PipeBytes; reported: PipeBytes }>();

function send(message: FromWorker): void {
  if (process.connected) process.send!(message);
}

function unreported(s: { bytes: PipeBytes; reported: PipeBytes }): [number, number] {
  const delta: [number, number] = [s.bytes.toServer - s.reported.toServer, s.bytes.toClient - s.reported.toClient];
  s.reported = { ...s.bytes };
  return delta;
}

function reportBytes(): void {
  const counts: Array<[number, number, number]> = [];
  for (const [id, s] of sessions) {
    const [toServer, toClient] = unreported(s);
    if (toServer > 0 || toClient > 0) counts.push([id, toServer, toClient]);
  }
  if (counts.length > 0) send({ kind: 'bytes', counts });
}

function startSession(id: number, client: Handle, server: Handle): void {
  const bytes: PipeBytes = { toServer: 0, toClient: 0 };
  const session = {
    bytes,
    reported: { toServer: 0, toClient: 0 },
    pipe: pipeHandles(client, server, bytes, () => {
      sessions.delete(id);
      const [toServer, toClient] = unreported(session);
      send({ kind: 'ended', id, toServer, toClient });
    }),
  };
  sessions.set(id, session);
}

process.on('message', (message: ToWorker, handle?: Handle) => {
  if (message.kind === 'cut') {
    const session = sessions.get(message.id);
    if (session !== undefined) return session.pipe.cut();
    halves.get(message.id)?.close();
    halves.delete(message.id);
    send({ kind: 'ended', id: message.id, toServer: 0, toClient: 0 });
    return;
  }
  if (handle === undefined) return;
  // Not read from until both halves are here.
  const other = halves.get(message.id);
  if (other === undefined) {
    halves.set(message.id, handle);
    return;
  }
  halves.delete(message.id);
  if (message.kind === 'server') startSession(message.id, other, handle);
  else startSession(message.id, handle, other);
});

process.on('disconnect', () => process.exit(0));
setInterval(reportBytes, BYTES_REPORT_MS).unref();
send({ kind: 'ready' });
