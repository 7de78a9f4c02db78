import { describe, expect, it } from 'vitest';
import { chaosPlan } from './plan.js';
import { runBatch, seedBatch } from './run.js';

const FILE = 'test/sim/chaos.test.ts';
const SCHEDULES = 1700;

describe('sentinels under random faults (seeded simulation)', () => {
  it(`keep one leader and one vote per epoch, fail over only on ODOWN, never promote an excluded replica, and converge once faults heal`, () => {
    const batch = seedBatch(SCHEDULES);
    const result = runBatch(batch, chaosPlan, () => [], FILE);
    console.log(`chaos: ${result.ran} schedules (${result.withFailover} with a failover) in ${Math.round(result.elapsedMs)} ms, SIM_BASE=${batch.base}`);
    expect(result.report).toBe('');
    // The faults must actually bite: a world where nothing fails over proves nothing.
    if (!batch.replay) expect(result.withFailover).toBeGreaterThan(result.ran / 5);
  }, 180_000);
});
