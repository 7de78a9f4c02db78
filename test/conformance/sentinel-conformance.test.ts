import { beforeAll, describe, expect, it } from 'vitest';
import { implUnderTest, useHarness } from '../harness/index.js';
import { CASES } from './cases.js';
import { differenceReport, prettyResp, stepDifference } from './compare.js';
import { runCase } from './run-case.js';
import { startSide, type Side } from './side.js';

/**
 * The sentinel under test (SENTINEL_IMPL, ours by default) against the real
 * redis-sentinel 7.0.15, command by command. With SENTINEL_IMPL=redis both
 * sides are the real binary: that run proves the normalisation leaves no
 * false difference. CONFORMANCE_DUMP=1 prints the reference transcripts.
 */

const subjectImpl = implUnderTest();
const subjectName = subjectImpl === 'redis' ? 'redis-sentinel (second instance)' : 'ts-sentinel';
const referenceName = 'redis-sentinel 7.0.15';

describe(`conformance: ${subjectName} vs ${referenceName}`, () => {
  const h = useHarness('conformance');
  let reference: Side;
  let subject: Side;

  beforeAll(async () => {
    // Both sides settle before a failure is reported, so neither is left half-started.
    const sides = await Promise.allSettled([startSide(h, 'reference', 'redis'), startSide(h, 'subject', subjectImpl)]);
    for (const side of sides) if (side.status === 'rejected') throw side.reason;
    [reference, subject] = sides.map((side) => (side as PromiseFulfilledResult<Side>).value);
  });

  it('the comparison is not vacuous: the reference’s own peer differs where its identity shows', async () => {
    // The peer is the same binary, but its myid is the reference's `<peer-id>` and it lists the reference as its peer.
    const peerSeenAsReference: Side = { ...reference, name: 'peer', subjectPort: reference.topology.sentinels[1].port };
    const kase = CASES.find((c) => c.name === 'SENTINEL MYID')!;
    const [expected, actual] = await Promise.all([runCase(reference, kase, 2), runCase(peerSeenAsReference, kase, 2)]);
    expect(stepDifference(expected[0], actual[0])).toEqual({ path: 'reply', reference: 'bulk "<myid>"', subject: 'bulk "<peer-id>"' });
    expect(stepDifference(expected[1], actual[1])).toBeUndefined();
  });

  for (const protocol of [2, 3] as const) {
    describe(`RESP${protocol}`, () => {
      for (const kase of CASES.filter((c) => (c.protocols ?? [2, 3]).includes(protocol))) {
        it(kase.name, async () => {
          const [expected, actual] = await Promise.all([runCase(reference, kase, protocol), runCase(subject, kase, protocol)]);
          if (process.env.CONFORMANCE_DUMP) {
            const lines = expected.map((o) => `> ${o.command}\n${o.replies.map((r) => prettyResp(r)).join('\n')}${o.status === 'ok' ? '' : ` (${o.status})`}`);
            console.log(`=== ${kase.name} (RESP${protocol})\n${lines.join('\n')}`);
          }
          const label = { caseName: kase.name, protocol, referenceName, subjectName };
          const reports: string[] = [];
          expected.forEach((step, i) => {
            // The command that went unanswered is reported; the ones skipped after it add nothing.
            if (actual[i].status === 'not-sent') return;
            const difference = stepDifference(step, actual[i]);
            if (difference) reports.push(differenceReport(label, step, actual[i], difference));
          });
          if (reports.length > 0) {
            throw new Error(`${reports.length} of ${expected.length} replies differ:\n\n${reports.join('\n\n')}`);
          }
        });
      }
    });
  }
});
