import { appendFileSync } from 'node:fs';
import { constants } from 'node:os';
import { GenericContainer, getContainerRuntimeClient, type StartedTestContainer } from 'testcontainers';
import { forgetOrphan, reapIfOrphaned } from './reaper.js';

export type Backend = 'processes' | 'containers';

/**
 * Where redis-server and the sentinels run: env HARNESS_BACKEND, `processes` (children of
 * the test worker, the default) or `containers` (one Docker container each, through
 * testcontainers). Other helpers (clients, HAProxy, scripts) always run on the host.
 */
export function harnessBackend(): Backend {
  const value = process.env.HARNESS_BACKEND ?? 'processes';
  if (value !== 'processes' && value !== 'containers') {
    throw new Error(`HARNESS_BACKEND must be 'processes' or 'containers', not '${value}'`);
  }
  return value;
}

/** Debian's redis-server 7.0 (docker/redis.Dockerfile), also run as `redis-server --sentinel`. */
export const REDIS_IMAGE = process.env.HARNESS_REDIS_IMAGE ?? 'ts-sentinel-redis:7.0';
/** Our daemon as the Dockerfile at the repository root builds it. */
export const SENTINEL_IMAGE = process.env.HARNESS_SENTINEL_IMAGE ?? 'ts-sentinel:latest';

/** How a process is run when the backend is containers. */
export interface ContainerSpec {
  image: string;
  /** The command inside the image (its entrypoint is replaced). */
  command: string[];
  /** Host directories mounted read-write at the same path, so every path in a config holds. */
  mounts: string[];
}

export interface ContainerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

// The reaper image cannot be pulled where no registry is reachable, and every container here
// is removed by the harness (or, if the worker dies, by the harness's own reaper).
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
// Every container shares the host's network, and a daemon started with --bridge=none has no
// bridge for testcontainers to find the host's address from.
process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';

/**
 * The command as PID 1 of a container on the host's network, with the stdout and stderr
 * files of a host process (appended to from inside, through the mounts). Its host PID is
 * signalled like a child's: SIGKILL and SIGSTOP reach a namespace's init from outside, and
 * redis-server and node handle SIGTERM and SIGINT themselves.
 */
export class ContainerRun {
  private hostPid: number | undefined;
  private signalWhenStarted: NodeJS.Signals | undefined;
  readonly exit: Promise<ContainerExit>;

  constructor(
    private readonly label: string,
    spec: ContainerSpec,
    cwd: string,
    env: NodeJS.ProcessEnv | undefined,
    private readonly stderrPath: string,
    stdoutPath: string,
  ) {
    this.exit = this.run(spec, cwd, env, stdoutPath).catch((e: unknown) => {
      appendFileSync(this.stderrPath, `[harness] container for ${this.label} failed: ${(e as Error).message}\n`);
      return { code: null, signal: null };
    });
  }

  get pid(): number | undefined {
    return this.hostPid;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.hostPid === undefined) {
      // Still starting: acted on as soon as the process exists.
      this.signalWhenStarted = signal;
      return;
    }
    process.kill(this.hostPid, signal);
  }

  private async run(spec: ContainerSpec, cwd: string, env: NodeJS.ProcessEnv | undefined, stdoutPath: string): Promise<ContainerExit> {
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    const started: StartedTestContainer = await new GenericContainer(spec.image)
      .withNetworkMode('host')
      .withUser(`${uid}:${gid}`)
      .withBindMounts(spec.mounts.map((dir) => ({ source: dir, target: dir, mode: 'rw' as const })))
      .withWorkingDir(cwd)
      .withEntrypoint(['/bin/sh', '-c', 'exec "$0" "$@" >>"$HARNESS_STDOUT" 2>>"$HARNESS_STDERR"'])
      .withCommand(spec.command)
      .withEnvironment({ ...changedEnv(env), HARNESS_STDOUT: stdoutPath, HARNESS_STDERR: this.stderrPath })
      .withLabels({ 'ts-sentinel.harness': this.label })
      // No ports are published (host network), so testcontainers waits for nothing: readiness
      // is the harness's PING, as for a process.
      .start();
    const id = started.getId();
    reapIfOrphaned('container', id);
    const client = await getContainerRuntimeClient();
    const container = client.container.getById(id);
    try {
      const info = await container.inspect();
      if (info.State.Running && info.State.Pid > 0) {
        this.hostPid = info.State.Pid;
        if (this.signalWhenStarted !== undefined) process.kill(this.hostPid, this.signalWhenStarted);
      }
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      return exitOf(StatusCode);
    } finally {
      this.hostPid = undefined;
      await container.remove({ force: true }).catch(() => undefined);
      forgetOrphan('container', id);
    }
  }
}

/** A container's exit status: 128 + n when signal n ended its PID 1. */
function exitOf(status: number): ContainerExit {
  if (status > 128) {
    const name = Object.entries(constants.signals).find(([, n]) => n === status - 128)?.[0];
    if (name !== undefined) return { code: null, signal: name as NodeJS.Signals };
  }
  return { code: status, signal: null };
}

/** Only what a test set on top of its own environment: the host's PATH and HOME mean nothing in an image. */
function changedEnv(env: NodeJS.ProcessEnv | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env ?? {})) {
    if (value !== undefined && process.env[key] !== value) out[key] = value;
  }
  return out;
}
