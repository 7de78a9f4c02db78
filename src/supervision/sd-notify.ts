import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';

/**
 * What libsystemd's sd_notify() returns, which Redis logs: > 0 sent, 0 when NOTIFY_SOCKET
 * is not set, -errno on failure.
 */
export type NotifyResult = number;

export interface Notifier {
  /** Sends one datagram to $NOTIFY_SOCKET, as sd_notify(0, message) does. */
  send(message: string): Promise<NotifyResult>;
}

const EINVAL = constants.errno.EINVAL;
/** sizeof(struct sockaddr_un.sun_path) on Linux. */
const SUN_PATH_BYTES = 108;

/**
 * Sends on $NOTIFY_SOCKET through a perl process that lives as long as the daemon.
 *
 * The socket is AF_UNIX SOCK_DGRAM, which Node cannot open (node:dgram is UDP only), so
 * without a native addon some other process must send. The choices were:
 * - `systemd-notify` once per message: systemd 252's joins its fields into one datagram
 *   without the final newline ("READY=1\nSTATUS=...") and follows it with a BARRIER=1
 *   datagram from yet another process, waiting until the manager has read both; with
 *   --no-block it exits at once, and systemd drops a message whose sender is gone before
 *   it is attributed to a unit (systemd-notify(1)), READY=1 included.
 * - python3: not installed on every Debian system.
 * - perl: perl-base is Essential on Debian (always installed) and carries Socket. One
 *   helper, started at the first message, stays in the service's cgroup for the daemon's
 *   life, so systemd can always attribute its datagrams; each of our messages is sent as
 *   exactly one datagram with the same bytes as Redis's sd_notify(), and the helper
 *   answers with sd_notify()'s return value so that errors are logged as Redis logs them.
 * The sender is the helper's pid, not the main pid: the unit needs NotifyAccess=all.
 */
export function perlNotifier(socketName: string | undefined, perl = 'perl'): Notifier {
  if (socketName === undefined) return { send: () => Promise.resolve(0) };
  const invalid = invalidSocketName(socketName);
  if (invalid) return { send: () => Promise.resolve(-EINVAL) };
  return new PerlNotifier(socketName, perl);
}

/** libsystemd accepts an absolute path or an abstract name ('@' for the leading NUL), if it fits sun_path. */
function invalidSocketName(name: string): boolean {
  if ((name[0] !== '/' && name[0] !== '@') || name.length < 2) return true;
  const bytes = Buffer.byteLength(name);
  // A path needs room for its terminating NUL, an abstract name does not.
  return name[0] === '/' ? bytes >= SUN_PATH_BYTES : bytes > SUN_PATH_BYTES;
}

/**
 * Reads hex-encoded messages, one a line (a message may hold newlines), and writes back,
 * one a line, 1 or -errno for each. It ignores the signals that stop the daemon, because
 * systemd sends SIGTERM to the whole cgroup at once and STOPPING=1 goes out after it; it
 * ends when the daemon does, at the end of its stdin.
 */
const HELPER = String.raw`
use strict; use warnings; use Socket;
$| = 1;
$SIG{$_} = 'IGNORE' for qw(TERM INT HUP);
my $name = $ARGV[0];
my $to = pack_sockaddr_un(substr($name, 0, 1) eq '@' ? "\0" . substr($name, 1) : $name);
my $opened = socket(my $sock, AF_UNIX, SOCK_DGRAM, 0);
my $open_errno = $! + 0;
while (my $line = <STDIN>) {
  chomp $line;
  if (!$opened) { print -$open_errno, "\n"; next; }
  my $sent = send($sock, pack('H*', $line), MSG_NOSIGNAL, $to);
  print defined $sent ? 1 : -($! + 0), "\n";
}
`;

class PerlNotifier implements Notifier {
  private helper: ChildProcessByStdio<Writable, Readable, null> | null = null;
  /** Failed to start: every message gets this result. */
  private spawnError: NotifyResult | null = null;
  private readonly waiting: Array<(result: NotifyResult) => void> = [];
  private buffered = '';

  constructor(
    private readonly socketName: string,
    private readonly perl: string,
  ) {}

  send(message: string): Promise<NotifyResult> {
    if (this.spawnError !== null) return Promise.resolve(this.spawnError);
    const helper = this.helper ?? this.start();
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.holdLoop(true);
      helper.stdin.write(`${Buffer.from(message).toString('hex')}\n`);
    });
  }

  private start(): ChildProcessByStdio<Writable, Readable, null> {
    // NOTIFY_SOCKET stays in our environment, as sd_notify(0, ...) leaves it, for scripts.
    const helper = spawn(this.perl, ['-e', HELPER, this.socketName], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.helper = helper;
    helper.stdout.setEncoding('latin1');
    helper.stdout.on('data', (chunk: string) => this.answers(chunk));
    helper.stdin.on('error', () => {
      // The helper died; its exit settles what waits.
    });
    helper.once('error', (e: NodeJS.ErrnoException) => this.fail(-(constants.errno[e.code as keyof typeof constants.errno] ?? EINVAL)));
    helper.once('exit', () => this.fail(-constants.errno.EPIPE));
    this.holdLoop(false);
    return helper;
  }

  private answers(chunk: string): void {
    this.buffered += chunk;
    let newline: number;
    while ((newline = this.buffered.indexOf('\n')) >= 0) {
      const result = Number(this.buffered.slice(0, newline));
      this.buffered = this.buffered.slice(newline + 1);
      this.waiting.shift()?.(Number.isInteger(result) ? result : -EINVAL);
    }
    if (this.waiting.length === 0) this.holdLoop(false);
  }

  private fail(result: NotifyResult): void {
    this.spawnError ??= result;
    this.helper = null;
    for (const resolve of this.waiting.splice(0)) resolve(result);
  }

  /** The helper must not keep the process alive, except while an answer is awaited. */
  private holdLoop(hold: boolean): void {
    const helper = this.helper;
    if (!helper) return;
    for (const handle of [helper, helper.stdout, helper.stdin] as Array<{ ref(): void; unref(): void }>) {
      if (hold) handle.ref();
      else handle.unref();
    }
  }
}
