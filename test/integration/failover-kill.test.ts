import { Redis } from 'ioredis';
import { describe, it } from 'vitest';
import { sentinelsUnderTest, useHarness, waitFor } from '../harness/index.js';
import {
  FAILOVER_CHANNELS,
  configValue,
  countEvents,
  dumpEvents,
  eventLines,
  infoFields,
  masterAt,
  monitorLine,
  replicaAt,
  startTunedTopology,
  theOneThatSaw,
  waitForReplicaOf,
} from '../harness/failover-kit.js';

/**
 * kill -9 of the master of 1 master + 2 replicas watched by 3 sentinels
 * (quorum 2): one failover, seen the same way by every sentinel, the other
 * replica and the returning old master follow the new master, and the
 * config files say so.
 */

const DOWN_AFTER_MS = 1000;
const FAILOVER_TIMEOUT_MS = 10_000;
/** From the kill to +switch-master everywhere: SDOWN 1 s, ODOWN and election ~1 s, promotion and reconf a few s. */
const FAILOVER_DEADLINE_MS = 30_000;
/** The longest a sentinel-aware client may be unable to write across the failover. */
const MAX_CLIENT_DOWNTIME_MS = 15_000;

/** What the leader publishes for a failover, in order (other channels are ignored). */
const LEADER_CHANNELS = FAILOVER_CHANNELS;

describe('failover after kill -9 of the master', () => {
  const h = useHarness('failover-kill');

  it.concurrent('one failover, the full event sequence everywhere, replicas and the old master follow, configs rewritten', async ({ expect }) => {
    const t = await startTunedTopology(h, {
      label: 'kill',
      replicas: 2,
      sentinels: sentinelsUnderTest(3),
      quorum: 2,
      downAfterMs: DOWN_AFTER_MS,
      failoverTimeoutMs: FAILOVER_TIMEOUT_MS,
    });
    const name = t.masterName;
    const ids = await Promise.all(t.sentinels.map((s) => h.queries(s.port).myid()));
    const collectors = await Promise.all(t.sentinels.map((s) => h.events(s.port)));

    const killedAt = Date.now();
    t.master.kill('SIGKILL');
    await Promise.all(collectors.map((c) => c.waitFor({ channel: '+switch-master', since: killedAt }, FAILOVER_DEADLINE_MS)));
    const switchedAfter = Date.now() - killedAt;

    const leaderIndex = theOneThatSaw(collectors, '+elected-leader', killedAt);
    const leader = collectors[leaderIndex];
    const switchMessage = leader.find({ channel: '+switch-master' })!.message;
    const promoted = t.replicas.find((r) => switchMessage === `${name} ${t.master.host} ${t.master.port} ${r.host} ${r.port}`);
    expect(promoted, `the switch goes to one of the replicas: ${switchMessage}`).toBeDefined();
    const other = t.replicas.find((r) => r !== promoted)!;
    const oldMaster = masterAt(name, t.master);

    const leaderLines = eventLines(leader.events, { since: killedAt, channels: LEADER_CHANNELS });
    const odown = leaderLines.find((l) => l.startsWith('+odown '));
    expect(odown, dumpEvents(leader)).toMatch(new RegExp(`^\\+odown ${oldMaster} #quorum [23]/2$`));
    // What follows (+sdown of the old master as a replica) depends on timing; the failover itself does not.
    expect(leaderLines.slice(0, 19), `leader events:\n${dumpEvents(leader)}`).toEqual([
      `+sdown ${oldMaster}`,
      odown,
      '+new-epoch 1',
      `+try-failover ${oldMaster}`,
      `+vote-for-leader ${ids[leaderIndex]} 1`,
      `+elected-leader ${oldMaster}`,
      `+failover-state-select-slave ${oldMaster}`,
      `+selected-slave ${replicaAt(promoted!, name, t.master)}`,
      `+failover-state-send-slaveof-noone ${replicaAt(promoted!, name, t.master)}`,
      `+failover-state-wait-promotion ${replicaAt(promoted!, name, t.master)}`,
      `+promoted-slave ${replicaAt(promoted!, name, t.master)}`,
      `+failover-state-reconf-slaves ${oldMaster}`,
      `+slave-reconf-sent ${replicaAt(other, name, t.master)}`,
      `+slave-reconf-inprog ${replicaAt(other, name, t.master)}`,
      `+slave-reconf-done ${replicaAt(other, name, t.master)}`,
      `+failover-end ${oldMaster}`,
      `+switch-master ${switchMessage}`,
      `+slave ${replicaAt(other, name, promoted!)}`,
      `+slave ${replicaAt(t.master, name, promoted!)}`,
    ]);

    // The old master is still dead: the leader sees it down as a replica of the new master.
    await leader.waitFor({ channel: '+sdown', message: replicaAt(t.master, name, promoted!), since: killedAt }, 10_000);

    // The leader's ODOWN counted n sentinels: n - 1 observers were SDOWN by then. (An observer may
    // vote and switch before its own down-after has passed, so not every one needs to.)
    const agreeing = Number(/#quorum (\d)\/2$/.exec(odown!)![1]);
    const observersDown = collectors.filter((c, i) => i !== leaderIndex && c.find({ channel: '+sdown', message: oldMaster, since: killedAt }));
    expect(observersDown.length).toBeGreaterThanOrEqual(agreeing - 1);
    for (const [i, c] of collectors.entries()) {
      if (i === leaderIndex) continue;
      const lines = eventLines(c.events, { since: killedAt });
      const context = `observer on port ${c.port}:\n${dumpEvents(c)}`;
      // The new configuration comes in a hello of the leader, or of the other observer if it switched first.
      const informers = t.sentinels.flatMap((s, j) =>
        j === i ? [] : [`+config-update-from sentinel ${ids[j]} ${s.host} ${s.port} @ ${name} ${t.master.host} ${t.master.port}`],
      );
      expect(lines.filter((l) => l.startsWith('+config-update-from ')).length, context).toBe(1);
      expect(informers, context).toContain(lines.find((l) => l.startsWith('+config-update-from ')));
      expect(lines.filter((l) => l.startsWith('+switch-master ')), context).toEqual([`+switch-master ${switchMessage}`]);
      // The switch re-creates the replicas under the new master, the old one included.
      const after = lines.slice(lines.indexOf(`+switch-master ${switchMessage}`));
      expect(after, context).toContain(`+slave ${replicaAt(other, name, promoted!)}`);
      expect(after, context).toContain(`+slave ${replicaAt(t.master, name, promoted!)}`);
      for (const leaderOnly of ['+elected-leader', '+promoted-slave', '+failover-end', '+slave-reconf-sent']) {
        expect(countEvents(c, leaderOnly, killedAt), `${leaderOnly} on ${context}`).toBe(0);
      }
    }

    // The data path: the promoted replica is a master, the other one replicates from it.
    expect((await infoFields(promoted!.port)).role).toBe('master');
    await waitForReplicaOf(other.port, promoted!.port, 10_000);

    // The old master comes back on its port as a master and is turned into a replica of the new one.
    const restartedAt = Date.now();
    await t.master.restart();
    expect((await infoFields(t.master.port)).role, 'the old master restarts with its own command line: a master').toBe('master');
    await waitFor(() => collectors.some((c) => c.find({ channel: '+convert-to-slave', since: restartedAt })), {
      timeoutMs: 20_000,
      description: 'a +convert-to-slave for the restarted old master',
    }).catch((e: Error) => {
      throw new Error(`${e.message}\n${collectors.map((c) => `port ${c.port}:\n${dumpEvents(c)}`).join('\n')}`);
    });
    for (const c of collectors) {
      for (const e of c.all({ channel: '+convert-to-slave', since: restartedAt })) {
        expect(e.message).toBe(replicaAt(t.master, name, promoted!));
      }
    }
    const old = await waitForReplicaOf(t.master.port, promoted!.port, 15_000);
    expect(old.role).toBe('slave');
    const convertedAfter = Date.now() - restartedAt;

    // Every sentinel's config file names the new master with config-epoch 1.
    await waitFor(
      () => t.sentinels.map((s) => [monitorLine(s, name), configValue(s, `sentinel config-epoch ${name}`)]),
      {
        timeoutMs: 5000,
        description: 'every config file to be rewritten with the new master and config-epoch 1',
        until: (all) => all.every(([m, e]) => m === `sentinel monitor ${name} ${promoted!.host} ${promoted!.port} 2` && e === '1'),
      },
    );
    for (const s of t.sentinels) {
      const known = s.configLines(`sentinel known-replica ${name}`).sort();
      expect(known, `known replicas in ${s.describe()}`).toEqual(
        [`sentinel known-replica ${name} ${other.host} ${other.port}`, `sentinel known-replica ${name} ${t.master.host} ${t.master.port}`].sort(),
      );
      const q = h.queries(s.port);
      expect(await q.masterAddr(name)).toEqual([promoted!.host, String(promoted!.port)]);
      const master = await q.master(name);
      expect(master['config-epoch'], s.describe()).toBe('1');
      expect(master.flags, s.describe()).toBe('master');
    }

    // Exactly one completed failover: nothing more happened while the old master returned.
    expect(collectors.map((c) => countEvents(c, '+failover-end', killedAt))).toEqual(
      collectors.map((_, i) => (i === leaderIndex ? 1 : 0)),
    );
    expect(collectors.map((c) => countEvents(c, '+switch-master', killedAt))).toEqual([1, 1, 1]);
    console.log(`[failover-kill] ${t.sentinels[0].impl}: switch-master everywhere ${switchedAfter} ms after the kill; old master converted ${convertedAfter} ms after its restart`);
  });

  it.concurrent('an ioredis client in sentinel mode keeps incrementing a counter across the failover, then writes to the new master', async ({ expect }) => {
    const t = await startTunedTopology(h, {
      label: 'client',
      replicas: 2,
      sentinels: sentinelsUnderTest(3),
      quorum: 2,
      downAfterMs: DOWN_AFTER_MS,
      failoverTimeoutMs: FAILOVER_TIMEOUT_MS,
    });
    const client = new Redis({
      sentinels: t.sentinels.map((s) => ({ host: s.host, port: s.port })),
      name: t.masterName,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1000,
      commandTimeout: 1000,
      retryStrategy: () => 50,
      sentinelRetryStrategy: () => 50,
    });
    client.on('error', () => {
      // Connection errors during the failover are expected; the write loop records them.
    });
    const writes = new CounterWriter(client);
    try {
      await client.connect();
      writes.start();
      await waitFor(() => writes.successes().length >= 20, { timeoutMs: 5000, description: '20 INCRs on the first master' });
      const before = writes.successes();
      expect(new Set(before.map((w) => w.port)), 'writes before the kill go to the master').toEqual(new Set([t.master.port]));

      const killedAt = Date.now();
      t.master.kill('SIGKILL');
      const promoted = await waitFor(() => h.queries(t.sentinels[0].port).masterAddr(t.masterName), {
        timeoutMs: FAILOVER_DEADLINE_MS,
        intervalMs: 100,
        description: 'the sentinels to name a new master',
        until: (addr) => addr !== null && addr[1] !== String(t.master.port),
      });
      const newPort = Number(promoted![1]);
      expect(t.replicas.map((r) => r.port)).toContain(newPort);
      await waitFor(() => writes.successes().filter((w) => w.port === newPort).length >= 20, {
        timeoutMs: FAILOVER_DEADLINE_MS,
        description: `20 INCRs on the new master (port ${newPort})`,
      });
      writes.stop();
      await writes.finished();

      const all = writes.successes();
      const lastBefore = all.filter((w) => w.at < killedAt).at(-1)!;
      const after = all.filter((w) => w.at >= killedAt);
      expect(new Set(after.map((w) => w.port)), 'every write after the kill went to the new master').toEqual(new Set([newPort]));
      // Each acknowledged write on the new master adds exactly one: nothing is written elsewhere meanwhile.
      after.forEach((w, i) => {
        if (i > 0) expect(w.value, `write ${i} after the failover`).toBe(after[i - 1].value + 1);
      });
      // Replication is asynchronous: at most the last writes before the kill may be missing, nothing is invented.
      expect(after[0].value).toBeGreaterThanOrEqual(1);
      expect(after[0].value).toBeLessThanOrEqual(lastBefore.value + 1);
      expect(Number(await h.client(newPort).get('counter'))).toBe(after.at(-1)!.value);
      const downtime = after[0].at - lastBefore.at;
      expect(downtime, 'time without a successful write').toBeLessThan(MAX_CLIENT_DOWNTIME_MS);
      console.log(`[failover-kill] ${t.sentinels[0].impl}: ioredis could not write for ${downtime} ms (${writes.failures} failed attempts)`);
    } finally {
      writes.stop();
      client.disconnect();
    }
  });
});

interface CounterWrite {
  /** Date.now() when the INCR was sent. */
  at: number;
  value: number;
  /** The server port the client was connected to. */
  port: number | undefined;
}

/** INCR counter in a loop, paced a little, recording which server acknowledged which value. */
class CounterWriter {
  private readonly done: CounterWrite[] = [];
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  failures = 0;

  constructor(private readonly client: Redis) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  stop(): void {
    this.running = false;
  }

  finished(): Promise<void> {
    return this.loop;
  }

  successes(): CounterWrite[] {
    return [...this.done];
  }

  private async run(): Promise<void> {
    while (this.running) {
      const at = Date.now();
      try {
        const value = await this.client.incr('counter');
        this.done.push({ at, value, port: this.client.stream?.remotePort });
      } catch {
        this.failures++;
      }
      // Paces the loop (about 100 writes a second), so a refused command does not spin.
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}
