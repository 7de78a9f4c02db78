import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { logLineText } from '../../src/events/log-line.js';
import { chaosPlan, masterDeathPlan, starvedMasterDeathPlan, type Plan } from './plan.js';
import { runPlan } from './world.js';

/**
 * Digests of everything the cores did on a fixed set of seeded schedules:
 * every input's sentinel, time, actions (in order) and result. Two builds of
 * the core that give the same digests behave the same on those schedules, so
 * a change meant to alter no behaviour (a refactoring) is checked by
 * recording before it and comparing after it:
 *
 *   npm run build && node dist/test/sim/digests.js record before.txt
 *   npm run build && node dist/test/sim/digests.js check before.txt
 */

const FAMILIES: ReadonlyArray<[string, (seed: number) => Plan, number]> = [
  ['chaos', chaosPlan, 2000],
  ['master-death', masterDeathPlan, 800],
  ['starved', starvedMasterDeathPlan, 400],
];
const BASE = 20261205;

export function scheduleDigest(plan: Plan): { digest: string; steps: number } {
  const hash = createHash('sha256');
  let steps = 0;
  runPlan(plan, false, {
    onStep: (sentinel, now, input, actions, result) => {
      // Log lines as the operator reads them (a time printed in the host's zone).
      const shown = actions.map((a) => (a.kind === 'log' ? { kind: 'log', level: a.level, message: logLineText(a) } : a));
      steps++;
      hash.update(`${sentinel} ${now} ${input} ${JSON.stringify(shown, exact)} ${result === undefined ? '-' : JSON.stringify(result, exact)}\n`);
    },
  });
  return { digest: hash.digest('hex'), steps };
}

/** Epochs are bigints: printed as the numbers they were while they fit, so digests compare across that change. */
function exact(_key: string, value: unknown): unknown {
  if (typeof value !== 'bigint') return value;
  return Number.isSafeInteger(Number(value)) ? Number(value) : `${value}n`;
}

function allDigests(): string[] {
  const lines: string[] = [];
  for (const [family, makePlan, count] of FAMILIES) {
    for (let i = 0; i < count; i++) {
      const seed = (BASE + i * 7919) >>> 0;
      const { digest, steps } = scheduleDigest(makePlan(seed));
      lines.push(`${family} ${seed} ${steps} ${digest}`);
    }
  }
  return lines;
}

function main(mode: string | undefined, file: string | undefined): number {
  if ((mode !== 'record' && mode !== 'check') || !file) {
    console.error('usage: node dist/test/sim/digests.js record|check <file>');
    return 2;
  }
  const started = Date.now();
  const lines = allDigests();
  const steps = lines.reduce((n, l) => n + Number(l.split(' ')[2]), 0);
  const summary = `${lines.length} schedules, ${steps} core steps, ${((Date.now() - started) / 1000).toFixed(1)} s`;
  if (mode === 'record') {
    writeFileSync(file, `${lines.join('\n')}\n`);
    console.log(`recorded ${summary} into ${file}`);
    return 0;
  }
  const before = readFileSync(file, 'utf8').trim().split('\n');
  const differ = lines.filter((l, i) => l !== before[i]);
  if (before.length !== lines.length) console.log(`recorded ${before.length} schedules, ran ${lines.length}`);
  for (const l of differ.slice(0, 20)) console.log(`differs: ${l.split(' ').slice(0, 2).join(' ')}`);
  console.log(`${lines.length - differ.length} of ${lines.length} schedules identical (${summary})`);
  return differ.length === 0 && before.length === lines.length ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exit(main(process.argv[2], process.argv[3]));
