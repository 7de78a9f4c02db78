import { RawConnection, type RespValue } from '../harness/index.js';
import { commandSpec, type ConformanceCase } from './cases.js';
import type { StepOutcome } from './compare.js';
import { normaliseReply } from './normalise.js';
import { substituteVars, type Side } from './side.js';

/** Loopback replies take well under a millisecond; this only bounds a server that never answers. */
const REPLY_TIMEOUT_MS = 1000;
const END_MARKER = 'conformance-end-of-case';

function contains(value: RespValue, text: string): boolean {
  switch (value.type) {
    case 'bulk':
    case 'simple':
      return value.value === text;
    case 'array':
    case 'push':
      return value.items.some((item) => contains(item, text));
    default:
      return false;
  }
}

/**
 * Runs one case on a fresh connection to the side's subject and returns the
 * normalised outcome of every command, plus a last pseudo-step holding any
 * frames the server sent beyond what the commands called for.
 */
export async function runCase(side: Side, kase: ConformanceCase, protocol: 2 | 3): Promise<StepOutcome[]> {
  const conn = await RawConnection.open(side.subjectPort);
  const outcomes: StepOutcome[] = [];
  try {
    if (protocol === 3) await conn.hello(3);
    for (const entry of kase.commands) {
      const spec = commandSpec(entry);
      const args = spec.args.map((a) => substituteVars(a, side.vars));
      const command = `${spec.inline ? '(inline) ' : ''}${spec.args.map((a) => (/^[\x21-\x7e]+$/.test(a) ? a : JSON.stringify(a))).join(' ')}`;
      // A server that left one command unanswered would make every later reply ambiguous (and slow).
      if (outcomes.some((o) => o.status === 'timeout' || o.status === 'broken')) {
        outcomes.push({ command, replies: [], status: 'not-sent' });
        continue;
      }
      if (conn.closed) {
        outcomes.push({ command, replies: [], status: 'closed' });
        continue;
      }
      if (spec.inline) conn.sendInline(args.join(' '));
      else conn.send(args);
      const outcome: StepOutcome = { command, replies: [], status: 'ok' };
      for (let i = 0; i < (spec.replies ?? 1); i++) {
        try {
          const reply = await conn.read(REPLY_TIMEOUT_MS);
          outcome.replies.push(normaliseReply(reply.value, side.tokens, spec.mask));
        } catch {
          Object.assign(outcome, failedStatus(conn));
          break;
        }
      }
      outcomes.push(outcome);
    }
    outcomes.push(await trailingFrames(conn, side, outcomes));
  } finally {
    conn.close();
  }
  return outcomes;
}

function failedStatus(conn: RawConnection): Pick<StepOutcome, 'status' | 'detail'> {
  if (conn.failureReason) return { status: 'broken', detail: conn.failureReason.message };
  return { status: conn.closed ? 'closed' : 'timeout' };
}

/** Sends a marker PING and collects whatever arrives before its answer: normally nothing. */
async function trailingFrames(conn: RawConnection, side: Side, outcomes: StepOutcome[]): Promise<StepOutcome> {
  const outcome: StepOutcome = { command: '(frames sent beyond the expected replies)', replies: [], status: 'ok' };
  if (outcomes.some((o) => o.status === 'timeout' || o.status === 'broken')) return { ...outcome, status: 'not-sent' };
  if (conn.closed) return outcome;
  conn.send(['PING', END_MARKER]);
  for (;;) {
    try {
      const reply = await conn.read(REPLY_TIMEOUT_MS);
      if (contains(reply.value, END_MARKER)) return outcome;
      outcome.replies.push(normaliseReply(reply.value, side.tokens));
    } catch {
      return { ...outcome, ...failedStatus(conn) };
    }
  }
}
