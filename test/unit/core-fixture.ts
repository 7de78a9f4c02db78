import { emptySentinelConfig, newMasterConfig, type SentinelConfig } from '../../src/config/model.js';
import type { Action, ConnKind, ObservedReply } from '../../src/core/actions.js';
import type { SentinelEvent } from '../../src/core/events.js';
import type { Instance } from '../../src/core/instance.js';
import { SentinelCore } from '../../src/core/sentinel.js';
import { REDIS_TUNING, type Tuning } from '../../src/core/timing.js';

export const MYID = 'a'.repeat(40);
export const PEER_ID = 'b'.repeat(40);

/** A core on a fake clock, with a recorder of everything it asks for. */
export class CoreHarness {
  now = 1_000_000;
  readonly core: SentinelCore;
  readonly saved: SentinelConfig[] = [];
  readonly events: SentinelEvent[] = [];
  readonly actions: Action[] = [];

  /** Redis's timer and polling unless told otherwise, so tests pin redis-sentinel's behaviour. */
  constructor(configure: (c: SentinelConfig) => void = () => {}, tuning: Tuning = REDIS_TUNING) {
    const config = emptySentinelConfig();
    config.myid = MYID;
    const m = newMasterConfig('mymaster', '127.0.0.1', 6379, 2);
    m.downAfterMs = 5000;
    config.masters.push(m);
    configure(config);
    this.core = new SentinelCore({
      config,
      clock: () => this.now,
      random: () => 0.5,
      resolve: () => null,
      saveConfig: (c) => {
        this.saved.push(c);
        return null;
      },
      listeningPort: 26379,
      tuning,
    });
  }

  get master() {
    const m = this.core.masters.get('mymaster');
    if (!m) throw new Error('no master');
    return m;
  }

  drain(): Action[] {
    const batch = this.core.takeActions();
    for (const a of batch) if (a.kind === 'event') this.events.push(a.event);
    this.actions.push(...batch);
    return batch;
  }

  /** Advances time by `ms` in ticks of `step` ms, draining actions after each tick. */
  advance(ms: number, step = 100): void {
    const end = this.now + ms;
    while (this.now < end) {
      this.now = Math.min(end, this.now + step);
      this.core.tick();
      this.drain();
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
    for (const a of this.actions) {
      if (a.kind === 'connect') this.core.onConnected(a.link, a.conn, a.generation, localIp);
    }
    this.drain();
  }

  /** Answers every command sent so far to `ri` on `conn` that matches `command` with `reply`. */
  answer(ri: Instance, command: string, reply: ObservedReply, conn: ConnKind = 'cc'): number {
    let n = 0;
    for (const a of this.takeSends(ri, command, conn)) {
      this.core.onReply(a.link, a.conn, a.generation, a.tag, reply);
      n++;
    }
    this.drain();
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
