import { readFileSync, readlinkSync } from 'node:fs';
import { getContainerRuntimeClient } from 'testcontainers';
import { describe, expect, it } from 'vitest';
import { harnessBackend, REDIS_IMAGE, SENTINEL_IMAGE } from './container.js';
import { useHarness, waitFor } from './index.js';

/**
 * The container backend (HARNESS_BACKEND=containers, run by scripts/docker-check.sh):
 * redis-server and both sentinels really run in containers of the images under test, are
 * signalled by PID like processes, report their exit status, and leave no container behind.
 */

const inContainers = harnessBackend() === 'containers';
if (!inContainers) {
  process.stderr.write(
    '\n*** SKIPPED: the container backend checks run with HARNESS_BACKEND=containers (scripts/docker-check.sh runs them when Docker can be started) ***\n\n',
  );
}

async function harnessContainers(): Promise<Array<{ label: string; image: string; state: string }>> {
  const client = await getContainerRuntimeClient();
  const all = await client.container.list();
  return all
    .filter((c) => c.Labels['ts-sentinel.harness'] !== undefined)
    .map((c) => ({ label: c.Labels['ts-sentinel.harness'], image: c.Image, state: c.State }));
}

function cmdline(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
}

describe.runIf(inContainers)('container backend', () => {
  const h = useHarness('container-backend', { scope: 'test' });

  it('runs redis-server and both sentinels in containers of the images, in PID namespaces of their own', async () => {
    const master = await h.startRedis({ name: 'master' });
    const monitors = [{ name: 'mymaster', port: master.port, quorum: 1 }];
    const ours = await h.startSentinel({ impl: 'ours', name: 'ours', monitors });
    const real = await h.startSentinel({ impl: 'redis', name: 'real', monitors });

    const ownNamespace = readlinkSync('/proc/self/ns/pid');
    for (const p of [master, ours, real]) expect(readlinkSync(`/proc/${p.pid}/ns/pid`), p.process.spec.name).not.toBe(ownNamespace);
    expect(cmdline(ours.pid).slice(0, 3)).toEqual(['node', '/app/bin/sentinel.js', ours.configPath]);
    expect(cmdline(real.pid)[0]).toMatch(/^redis-server .*\[sentinel\]$/);

    const containers = await harnessContainers();
    expect(containers.map((c) => `${c.label} ${c.image} ${c.state}`).sort()).toEqual([
      `master ${REDIS_IMAGE} running`,
      `ours ${SENTINEL_IMAGE} running`,
      `real ${REDIS_IMAGE} running`,
    ]);

    // Both sentinels see the master through the host's network, and rewrite their configs in the mounted dir.
    for (const s of [ours, real]) {
      await waitFor(() => h.queries(s.port).master('mymaster'), {
        timeoutMs: 10_000,
        description: `${s.name} to see the master with flags master`,
        until: (m) => m.flags === 'master',
      });
      await waitFor(() => s.configLines('sentinel myid'), { timeoutMs: 5000, description: `${s.name}'s config rewrite`, until: (l) => l.length === 1 });
    }

    await h.cleanup();
    expect(await harnessContainers()).toEqual([]);
  });

  it('a SIGSTOPped container stops answering and resumes on SIGCONT; a restart keeps the sentinel from its config', async () => {
    const master = await h.startRedis({ name: 'master' });
    const ours = await h.startSentinel({ impl: 'ours', name: 'ours', monitors: [{ name: 'mymaster', port: master.port, quorum: 1 }] });
    const myid = await h.queries(ours.port).myid();
    await waitFor(() => ours.configLines('sentinel myid'), { timeoutMs: 5000, description: 'the config rewrite', until: (l) => l.length === 1 });

    ours.kill('SIGSTOP');
    const client = h.client(ours.port, { commandTimeout: 500 });
    await expect(client.ping()).rejects.toThrow(/timed out/i);
    ours.kill('SIGCONT');
    await waitFor(() => h.client(ours.port).ping(), { timeoutMs: 5000, description: 'PONG after SIGCONT', until: (r) => r === 'PONG' });

    const before = ours.pid;
    await ours.restart();
    expect(ours.pid).not.toBe(before);
    expect(await h.queries(ours.port).myid()).toBe(myid);
    expect(ours.process.runs).toBe(2);
  });

  it('reports how a container ended: the exit code of a refused config, the signal of a kill', async () => {
    const error = await h
      .startSentinel({ impl: 'ours', name: 'bad', monitors: [], configLines: ['sentinel no-such-directive 1'] })
      .catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('exited during startup ({"code":1,"signal":null})');
    expect((error as Error).message).toMatch(/Bad directive or wrong number of arguments|Unrecognized sentinel configuration statement/);

    const server = await h.startRedis({ name: 'victim' });
    server.kill('SIGKILL');
    expect(await server.process.waitForExit(30_000)).toEqual({ code: null, signal: 'SIGKILL' });
    await waitFor(harnessContainers, { timeoutMs: 10_000, description: 'the killed container removed', until: (c) => c.length === 0 });
  });
});
