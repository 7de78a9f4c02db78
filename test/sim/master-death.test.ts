import { describe, expect, it } from 'vitest';
import { exactlyOneFailover } from './invariants.js';
import { masterDeathPlan } from './plan.js';
import { runBatch, seedBatch } from './run.js';

const FILE = 'test/sim/master-death.test.ts';
const SCHEDULES = 400;

describe('one master death on a clean network (seeded simulation)', () => {
  it('gives exactly one failover: one elected leader, one +switch-master per sentinel, then agreement', () => {
    const batch = seedBatch(SCHEDULES);
    const result = runBatch(batch, masterDeathPlan, exactlyOneFailover, FILE);
    console.log(`master-death: ${result.ran} schedules in ${Math.round(result.elapsedMs)} ms, SIM_BASE=${batch.base}`);
    expect(result.report).toBe('');
  }, 180_000);
});
