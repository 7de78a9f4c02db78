/**
 * A short, fixed sample of the config fuzzer (test/fuzz/config-fuzzer.ts):
 * every generated sentinel.conf and command line must be accepted or refused
 * by our daemon exactly as by redis-sentinel 7.0.15, with the same stderr text
 * and exit status. Longer runs: node dist/test/fuzz/config-fuzzer.js --seed S --inputs N
 */
import { describe, expect, it } from 'vitest';
import { report, runFuzz } from '../fuzz/config-fuzzer.js';
import { withoutRealSentinel } from '../harness/real-sentinel.js';

const SEED = 20261205;
const INPUTS = 60;

describe.skipIf(withoutRealSentinel('config fuzzing against redis-sentinel'))('config fuzzing against redis-sentinel', () => {
  it(`accepts and refuses ${INPUTS} generated configs as redis-sentinel does (seed ${SEED})`, async () => {
    const summary = await runFuzz({ seed: SEED, inputs: INPUTS, concurrency: 3 });
    const differences = summary.differences.map((c) => report(SEED, c)).join('\n');
    expect(differences, `seed ${SEED}`).toBe('');
    expect(summary.compared).toBe(INPUTS);
    // Both outcomes occurred, so the sample compared refusals and start-ups alike.
    const accepted = summary.counts['same listening'] ?? 0;
    const refused = summary.counts['same exited(1)'] ?? 0;
    expect(accepted, JSON.stringify(summary.counts)).toBeGreaterThanOrEqual(5);
    expect(refused, JSON.stringify(summary.counts)).toBeGreaterThanOrEqual(5);
  }, 60_000);
});
