import { describe, expect, it } from 'vitest';
import { describeDifference, runFuzz, summary } from '../fuzz/request-fuzzer.js';
import { withoutRealSentinel } from '../harness/real-sentinel.js';

/**
 * A short seeded sample of the differential request fuzzer (test/fuzz/request-fuzzer.ts):
 * the same request bytes to redis-sentinel and to ours, replies compared byte for byte after
 * normalisation. Replay a failing input with
 *   node dist/test/fuzz/request-fuzzer.js --seed <seed> --start <input> --inputs 1
 */
const SEED = 20261205;
const INPUTS = 300;

describe.skipIf(withoutRealSentinel('request fuzzing against redis-sentinel'))('request fuzzing against redis-sentinel', () => {
  it(`seed ${SEED}: ${INPUTS} inputs, the same replies, no crash`, async () => {
    const lines: string[] = [];
    const result = await runFuzz({ seed: SEED, inputs: INPUTS, log: (l) => lines.push(l) });
    const report = `${summary(result)}\n${result.differences.slice(0, 5).map(describeDifference).join('\n')}`;

    // Not vacuous: every input was compared, and the servers had things to say.
    expect(result.compared, report).toBe(INPUTS);
    expect(result.nonEmptyReplies, report).toBeGreaterThan(INPUTS / 2);
    expect(result.errorReplies, report).toBeGreaterThan(20);
    expect(result.closedByServer, report).toBeGreaterThan(5);

    expect(result.redisDied, report).toBeNull();
    expect(result.oursDied, report).toBeNull();
    expect(result.stalls, report).toBe(0);
    expect(result.differences.length, report).toBe(0);
  }, 120_000);
});
