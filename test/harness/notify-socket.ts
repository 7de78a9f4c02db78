import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Harness } from './harness.js';
import type { ManagedProcess } from './process.js';
import { waitFor } from './wait-for.js';

const RECEIVER = join(import.meta.dirname, 'notify-socket.py');

export interface Datagram {
  /** The bytes, as latin-1 text. */
  data: string;
  /** The sender's pid, as the kernel reports it to systemd. */
  pid: number | null;
}

/** For describe.skipIf: true (skip, loudly) when python3 cannot stand in for systemd's socket. */
export function withoutNotifySocket(suite: string): boolean {
  const r = spawnSync('python3', ['-c', 'import socket; socket.SCM_CREDENTIALS; socket.AF_UNIX'], { timeout: 30_000 });
  if (r.status === 0) return false;
  process.stderr.write(`\n*** SKIPPED: "${suite}" needs python3 to receive on a unix datagram socket (Node cannot). ***\n\n`);
  return true;
}

/**
 * A fake $NOTIFY_SOCKET: a python3 child bound to it (a path, or '@name' for an abstract
 * socket), recording every datagram and its sender's pid.
 */
export class NotifySocket {
  private constructor(
    readonly name: string,
    private readonly process: ManagedProcess,
  ) {}

  static async start(h: Harness, label: string, name: string): Promise<NotifySocket> {
    const process = h.startProcess({ name: label, command: 'python3', args: [RECEIVER, name] });
    await process.waitForLog(/^\{"bound"/, { timeoutMs: 15_000, description: `${label} bound to ${name}` });
    return new NotifySocket(name, process);
  }

  datagrams(): Datagram[] {
    return this.process
      .log()
      .split('\n')
      .filter((line) => line.startsWith('{"data"'))
      .map((line) => JSON.parse(line) as Datagram);
  }

  /** The first datagram with exactly these bytes, waiting for it up to timeoutMs. */
  waitFor(data: string, timeoutMs = 10_000): Promise<Datagram> {
    return waitFor(() => this.datagrams().find((d) => d.data === data), {
      timeoutMs,
      description: `${JSON.stringify(data)} on ${this.name}`,
      until: (d) => d !== undefined,
    }) as Promise<Datagram>;
  }
}
