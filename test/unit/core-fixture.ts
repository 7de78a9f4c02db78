import { emptySentinelConfig, newMasterConfig, type SentinelConfig } from '../../src/config/model.js';
import type { Action, ConnKind, ObservedReply } from '../../src/core/actions.js';
import type { SentinelEvent } from '../../src/core/events.js';
import type { Instance } from '../../src/core/instance.js';
import { PersistGate } from '../../src/core/persist-gate.js';
import { Sentinel, type InputBody, type StepOutput } from '../../src/core/sentinel.js';
import { toConfig } from '../../src/core/snapshot.js';
import type { SentinelState } from '../../src/core/state.js';
import type { CoreEnvironment, StepContext } from '../../src/core/step-context.js';
import { REDIS_TUNING, type Tuning } from '../../src/core/timing.js';

export const MYID = 'a'.repeat(40);
export const PEER_ID = 'b'.repeat(40);

/**
 * A core on a fake clock, driven step by step as the daemon drives it, with a
 * recorder of everything it asks for. Config writes complete at once: each
 * `persist` is snapshotted into `saved` and logged where the daemon logs it.
 */
export class CoreHarness {
  now = 1_000_000;
  readonly sentinel: Sentinel;
  readonly saved: SentinelConfig[] = [];
  readonly events: SentinelEvent[] = [];
  readonly actions: Action[] = [];
  /** Set to make the next config writes fail with this error text. */
  diskError: string | null = null;
  private readonly gate: PersistGate;
  private lastBatch: Action[] = [];

  /** Redis's timer and polling unless told otherwise, so tests pin redis-sentinel's behaviour. */
  constructor(configure: (c: SentinelConfig) => void = () => {}, tuning: Tuning = REDIS_TUNING, env: Partial<CoreEnvironment> = {}) {
    const config = emptySentinelConfig();
    config.myid = MYID;
    const m = newMasterConfig('mymaster', '127.0.0.1', 6379, 2);
    m.downAfterMs = 5000;
    config.masters.push(m);
    configure(config);
    this.sentinel = new Sentinel({ listeningPort: 26379, tuning }, { random: () => 0.5, resolve: () => null, ...env });
    this.gate = new PersistGate({
      snapshot: () => toConfig(this.sentinel.state),
      write: (c, done) => {
        this.saved.push(structuredClone(c));
        done(this.diskError);
      },
      perform: (a) => {
        if (a.kind === 'event') this.events.push(a.event);
        this.actions.push(a);
        this.lastBatch.push(a);
      },
    });
    this.step({ kind: 'load', config });
  }

  get state(): SentinelState {
    return this.sentinel.state;
  }

  get master() {
    const m = this.state.masters.get('mymaster');
    if (!m) throw new Error('no master');
    return m;
  }

  /** One input at the current time; returns the step's output (its actions as carried out). */
  step<T = void>(input: InputBody<T>): StepOutput<T> {
    this.lastBatch = [];
    const output = this.sentinel.step<T>({ ...input, now: this.now });
    this.gate.push(output.actions);
    return { ...output, actions: this.lastBatch };
  }

  /** Runs queries and changes within one step, as a client's command does. */
  command<T>(run: (cx: StepContext) => T): T {
    return this.step<T>({ kind: 'command', run }).result;
  }

  tick(): Action[] {
    return this.step({ kind: 'tick' }).actions;
  }

  /** Advances time by `ms` in ticks of `step` ms, draining actions after each tick. */
  advance(ms: number, step = 100): void {
    const end = this.now + ms;
    while (this.now < end) {
      this.now = Math.min(end, this.now + step);
      this.tick();
    }
  }

  /** Like advance, with the given instances answering PING and PUBLISH after every tick. */
  advanceAnswering(ms: number, instances: Instance[], step = 100): void {
    const end = this.now + ms;
    while (this.now < end) {
      this.advance(Math.min(step, end - this.now), step);
      for (const ri of instances) {
        this.answer(ri, 'PING', pong);
        this.answer(ri, 'PUBLISH', { type: 'integer', value: 1 });
      }
    }
  }

  eventLines(): string[] {
    return this.events.map((e) => `${e.type} ${e.message}`);
  }

  /** Marks every connection the core opened as established. */
  connectAll(localIp = '127.0.0.1'): void {
    for (const a of [...this.actions]) {
      if (a.kind === 'connect') this.step({ kind: 'connected', link: a.link, conn: a.conn, generation: a.generation, localIp });
    }
  }

  /** Answers every command sent so far to `ri` on `conn` that matches `command` with `reply`. */
  answer(ri: Instance, command: string, reply: ObservedReply, conn: ConnKind = 'cc'): number {
    let n = 0;
    for (const a of this.takeSends(ri, command, conn)) {
      this.step({ kind: 'reply', link: a.link, conn: a.conn, generation: a.generation, tag: a.tag, reply });
      n++;
    }
    return n;
  }

  private answered = new Set<Action>();

  private takeSends(ri: Instance, command: string, conn: ConnKind) {
    const out: Extract<Action, { kind: 'send' }>[] = [];
    for (const a of this.actions) {
      if (a.kind !== 'send' || this.answered.has(a)) continue;
      if (a.tag.instance !== ri.uid || a.conn !== conn || a.args[0].toUpperCase() !== command) continue;
      this.answered.add(a);
      out.push(a);
    }
    return out;
  }

  sent(ri: Instance, command: string): string[][] {
    return this.actions
      .filter((a): a is Extract<Action, { kind: 'send' }> => a.kind === 'send' && a.tag.instance === ri.uid)
      .filter((a) => a.args[0].toUpperCase() === command)
      .map((a) => a.args);
  }
}

export const pong: ObservedReply = { type: 'string', value: 'PONG' };

export function infoText(lines: string[]): ObservedReply {
  return { type: 'string', value: `${lines.join('\r\n')}\r\n` };
}
