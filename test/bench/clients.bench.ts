/**
 * `npm run bench`: the client matrix (test/integration/matrix) with more
 * faults: every client writing while the master is killed (kill -9), hung
 * (SIGSTOP, resumed and demoted) and failed over by hand, redis-sentinel and
 * ours side by side, on loopback and with a delay between the clients and the
 * sentinels. BENCH_CLIENT_FAULTS faults of each kind per setting (default 5),
 * BENCH_CLIENT_LATENCY the delay each way in ms (default 5).
 */
import { it } from 'vitest';
import { writeResultsSection } from './results-file.js';
import { comparisonTable, DOWN_AFTER_MS, FAULT_KINDS, faultSequence, runMatrix, STALL_MS } from '../integration/matrix/run.js';

const PER_KIND = Number(process.env.BENCH_CLIENT_FAULTS ?? 5);
const LATENCY_MS = Number(process.env.BENCH_CLIENT_LATENCY ?? 5);

it(
  'client matrix: stalls and write gaps per client, redis-sentinel vs ours',
  async () => {
    const faults = faultSequence(PER_KIND);
    const log = (line: string) => process.stdout.write(`${line}\n`);
    const parts = [
      `${PER_KIND} faults of each kind per setting; down-after-milliseconds ${DOWN_AFTER_MS}; a stall is no write on the new master within ${STALL_MS} ms ` +
        'of the last +switch-master (and of the old master\'s demotion for SIGSTOP and SENTINEL FAILOVER); gaps in ms, a stall counts as ∞.',
    ];
    for (const latencyMs of [0, LATENCY_MS]) {
      const redis = await runMatrix({ impl: 'redis', latencyMs, faults, log });
      const ours = await runMatrix({ impl: 'ours', latencyMs, faults, log });
      const setting = latencyMs ? `${latencyMs} ms each way between clients and sentinels` : 'loopback';
      const repairs = [...redis.rounds, ...ours.rounds].filter((r) => r.repairs.length).map((r) => `${r.impl} round ${r.round}: ${r.repairs.join('; ')}`);
      parts.push('', `### ${setting}`, '', comparisonTable(ours.writers, redis.rounds, ours.rounds, FAULT_KINDS));
      if (repairs.length) parts.push('', `Repaired by hand between faults: ${repairs.join(' / ')}`);
      process.stdout.write(`\n${parts.slice(-3).join('\n')}\n`);
    }
    writeResultsSection('Client matrix', parts);
  },
  60 * 60_000,
);
