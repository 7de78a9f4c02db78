import { describe, expect, it } from 'vitest';
import { describeInputs, instanceSummary, runInstanceFuzz } from '../fuzz/instance-fuzzer.js';

/**
 * A short seeded sample of the instance and peer fuzzer (test/fuzz/instance-fuzzer.ts): our
 * daemon monitors fake masters, replicas and peers that answer with plausible and hostile
 * replies and push mutated hellos. Rerun longer with
 *   node dist/test/fuzz/instance-fuzzer.js --seed <seed> --seconds 600
 */
const SEED = 20261205;
const SECONDS = 20;
/** Peak RSS measured over 30-600 s runs of seeds 1-3 stayed under 290 MB; see the README. */
const MAX_RSS_MB = 350;

describe('instance and peer fuzzing', () => {
  it(`seed ${SEED}: ${SECONDS} s of hostile instances and peers, the daemon answers throughout`, async () => {
    const r = await runInstanceFuzz({ seed: SEED, seconds: SECONDS, maxRssMb: MAX_RSS_MB, log: () => undefined });
    const report = `${instanceSummary(r)}\n${describeInputs(r.lastInputs.slice(-15))}`;

    // Not vacuous: the daemon talked to the fakes, every kind of hostile reply was sent, and
    // hellos made it learn replicas and peers.
    expect(r.replies, report).toBeGreaterThan(1000);
    expect(r.hostile.size, report).toBe(17);
    expect(r.pushes, report).toBeGreaterThan(3000);
    expect(r.peerRequests, report).toBeGreaterThan(2000);
    expect(r.peakReplicas, report).toBeGreaterThan(0);
    expect(r.peakSentinels, report).toBeGreaterThan(0);
    expect(r.checks, report).toBeGreaterThan(SECONDS * 2);

    expect(r.failures, report).toEqual([]);
    expect(r.stalls, report).toBe(0);
    expect(r.peakRssKb / 1024, report).toBeLessThan(MAX_RSS_MB);
  }, 60_000);
});
