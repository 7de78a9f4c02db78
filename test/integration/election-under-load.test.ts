import { describe, it } from 'vitest';
import { withCpuLoad } from '../harness/cpu-load.js';
import { FailoverGroup, type FailoverRecord } from '../harness/failover-loop.js';
import { implUnderTest } from '../harness/sentinel.js';

/**
 * kill -9 failovers in a row under CPU load (two busy loops per core): each
 * must complete, every sentinel answering the new master, within
 * down-after-milliseconds + 2 s. A split vote (every sentinel electing
 * itself, then -failover-abort-not-elected and a retry 2 × failover-timeout
 * later) misses that by seconds. test/bench/election-load.bench.ts measures
 * the same over many failovers.
 */

const FAILOVERS = 5;
const DOWN_AFTER_MS = 1000;
const FAILOVER_TIMEOUT_MS = 5000;
const GRACE_MS = 2000;
/** A failover not complete by then has missed the bound; waiting longer would only make the failure slower. */
const DEADLINE_MS = DOWN_AFTER_MS + GRACE_MS + 1000;

function show(r: FailoverRecord): string {
  return `every sentinel knew after down-after + ${r.allKnowMs ?? `>${DEADLINE_MS - DOWN_AFTER_MS}`} ms; tries ${r.tries}, epochs [${r.epochs.join(',')}], aborts ${r.aborts}, elected ${r.elected}`;
}

describe('elections under CPU load', () => {
  it(`${FAILOVERS} kill -9 failovers in a row, each complete within down-after + ${GRACE_MS} ms`, async ({ expect, onTestFailed }) => {
    await withCpuLoad({ perCore: 2, label: 'election-under-load' }, async () => {
      const group = await FailoverGroup.start({
        impl: implUnderTest(),
        downAfterMs: DOWN_AFTER_MS,
        failoverTimeoutMs: FAILOVER_TIMEOUT_MS,
        deadlineMs: DEADLINE_MS,
        label: 'election-under-load',
      });
      onTestFailed(() => group.noteFailure('elections under CPU load'));
      try {
        const records: FailoverRecord[] = [];
        for (let n = 0; n < FAILOVERS; n++) {
          const r = await group.killMaster({ recover: n < FAILOVERS - 1 });
          records.push(r);
          const history = records.map((x, i) => `  failover ${i + 1}: ${show(x)}`).join('\n');
          expect(r.allKnowMs !== null && r.allKnowMs <= GRACE_MS, `failover ${n + 1} of ${FAILOVERS} too slow:\n${history}`).toBe(true);
          // One election, in one epoch, that elected its leader (a sentinel that tried the same epoch
          // and lost may log -failover-abort-not-elected: that is no split), and one switch.
          expect(r.epochs, `failover ${n + 1}: epochs tried\n${history}`).toHaveLength(1);
          expect(r.elected, `failover ${n + 1}: leaders elected\n${history}`).toBe(1);
          expect(r.switches, `failover ${n + 1}: +switch-master from one sentinel\n${history}`).toBeLessThanOrEqual(1);
          if (n < FAILOVERS - 1) expect(r.cycleMs, `failover ${n + 1}: the group became stable again`).not.toBeNull();
        }
      } finally {
        await group.dispose();
      }
    });
  }, 300_000);
});
