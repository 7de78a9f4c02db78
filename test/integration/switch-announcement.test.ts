import { describe, it } from 'vitest';
import { useHarness } from '../harness/index.js';
import { startTunedTopology } from '../harness/failover-kit.js';
import { FAST_TUNING } from '../../src/core/timing.js';

/**
 * Beyond Redis: every one of our sentinels answers GET-MASTER-ADDR-BY-NAME with
 * the new master for a while before its +switch-master reaches pub/sub
 * subscribers, so a client that is asking when the switch happens connects to
 * the new master before it hears of the switch (what ioredis 5's
 * failoverDetector needs). redis-sentinel's followers announce the switch the
 * moment they start answering the new address.
 */

const HOLD_MS = FAST_TUNING.switchAnnounceHoldMs;
const POLL_MS = 2;
/** The poll sees the new answer at most a poll interval and a reply after the switch. */
const POLL_SLACK_MS = 15;

describe('the switch is announced after the new address is answered', () => {
  const h = useHarness('switch-announcement');

  it('each sentinel answers the new master at least the hold before its +switch-master arrives', async ({ expect }) => {
    const t = await startTunedTopology(h, {
      replicas: 2,
      sentinels: ['ours', 'ours', 'ours'],
      quorum: 2,
      downAfterMs: 1000,
      failoverTimeoutMs: 10_000,
    });
    const oldPort = String(t.master.port);
    const collectors = await Promise.all(t.sentinels.map((s) => h.events(s.port, '+switch-master')));
    const pollers = t.sentinels.map((s) => h.client(s.port));
    const firstNewAnswer: Array<number | null> = t.sentinels.map(() => null);
    let polling = true;
    const polls = pollers.map(async (client, i) => {
      while (polling) {
        const reply = (await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', t.masterName)) as [string, string];
        if (firstNewAnswer[i] === null && reply[1] !== oldPort) firstNewAnswer[i] = Date.now();
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    });

    const killedAt = Date.now();
    t.master.kill('SIGKILL');
    try {
      const announced = await Promise.all(collectors.map((c) => c.waitFor({ channel: '+switch-master', since: killedAt }, 20_000)));
      for (const [i, event] of announced.entries()) {
        const answeredAt = firstNewAnswer[i];
        expect(answeredAt, `sentinel ${t.sentinels[i].port} answered the new address before announcing`).not.toBeNull();
        const lead = event.time - answeredAt!;
        expect(lead, `sentinel ${t.sentinels[i].port}: answer-to-announcement lead`).toBeGreaterThanOrEqual(HOLD_MS - POLL_SLACK_MS);
      }
    } finally {
      polling = false;
      await Promise.all(polls);
    }
  });
});
