import type { SentinelConfig } from './persisted.js';
import type { Action } from './actions.js';

/** What the gate needs from its shell: a disk, and a way to carry out the other actions. */
export interface GateIo {
  /** The config as it stands now: what a write starting now puts on disk. */
  snapshot(): SentinelConfig;
  /** Starts writing `config`; `done` is called once, with null or the error text, when it is durable (or failed). */
  write(config: SentinelConfig, done: (error: string | null) => void): void;
  /** Carries out an action that is not a persist (in order). */
  perform(action: Action): void;
}

export const SAVED_LINE = 'Sentinel new configuration saved on disk';
export const NOT_SAVED_PREFIX = 'WARNING: Sentinel was not able to save the new configuration on disk!!!: ';

/**
 * Connections, PINGs, INFO and SUBSCRIBE say nothing about the state, so they go at once (and a
 * close or send of an older connection generation is ignored by the links): held back, a slow
 * write would make healthy instances look down, and a step that discovers a thousand replicas
 * would open all their connections in one burst after the write. Votes, epochs (hellos,
 * is-master-down asks) and failover commands wait.
 */
function revealsNothing(action: Action): boolean {
  if (action.kind === 'connect') return true;
  if (action.kind !== 'send') return false;
  const purpose = action.tag.purpose;
  return purpose === 'ping' || purpose === 'info' || purpose === 'subscribe';
}

/**
 * Raft's "persist before send" for a core whose config writes are
 * asynchronous. The core's actions go through here in order; a `persist`
 * action starts a write, and every action queued after it (by the same step
 * or by later ones, so per-link order is kept) waits until that write is
 * done, but for what reveals nothing of the state (see revealsNothing).
 * Writes coalesce: at most one is in flight, and the next one takes the
 * config as it stands when it starts (a snapshot per request would keep one
 * copy of every replica per flush alive while a step discovers hundreds of
 * them). A write's outcome is logged as Redis logs a flush, at the place the
 * write completes in the action stream.
 *
 * Replies to clients are not actions: the shell asks `whenWritten` for the
 * write a command's step requested and answers then; other replies go at once.
 */
export class PersistGate {
  /** Persist requests so far; request n is covered by the first write started after it. */
  private requested = 0;
  /** Every request up to this one is on disk (or its write failed). */
  private durable = 0;
  private writing = false;
  /** A request came after the write in flight started. */
  private dirty = false;
  private lastError: string | null = null;
  /** Actions waiting for a write, from heldFrom on (an index, not shift(): a step may hold thousands). */
  private held: Array<{ action: Action; after: number }> = [];
  private heldFrom = 0;
  private readonly waiters: Array<{ upTo: number; resolve: (error: string | null) => void }> = [];
  private readonly idleWaiters: Array<() => void> = [];

  constructor(private readonly io: GateIo) {}

  /** The number of persist requests so far: compare before and after a step to see whether it asked for one. */
  get requests(): number {
    return this.requested;
  }

  /** True while a write is in flight or actions are held. */
  get busy(): boolean {
    return this.writing || this.heldFrom < this.held.length;
  }

  /** The actions of one step, in order. */
  push(actions: readonly Action[]): void {
    for (const action of actions) {
      if (action.kind === 'persist') {
        this.requested++;
        this.dirty = true;
        this.startWrite();
      } else if (!revealsNothing(action) && (this.heldFrom < this.held.length || this.durable < this.requested)) {
        this.held.push({ action, after: this.requested });
      } else {
        this.io.perform(action);
      }
    }
  }

  /** Calls back with the outcome of the write that covers request `upTo` (at once if it is already done). */
  /** True once every request up to `upTo` is written (or its write failed). */
  isWritten(upTo: number): boolean {
    return upTo <= this.durable;
  }

  whenWritten(upTo: number, resolve: (error: string | null) => void): void {
    if (upTo <= this.durable) resolve(this.lastError);
    else this.waiters.push({ upTo, resolve });
  }

  /** Calls back once no write is in flight and nothing is held. */
  whenIdle(resolve: () => void): void {
    if (!this.busy) resolve();
    else this.idleWaiters.push(resolve);
  }

  private startWrite(): void {
    if (this.writing || !this.dirty) return;
    const config = this.io.snapshot();
    const upTo = this.requested;
    this.dirty = false;
    this.writing = true;
    let called = false;
    this.io.write(config, (error) => {
      if (called) return;
      called = true;
      this.writing = false;
      this.written(upTo, error);
    });
  }

  private written(upTo: number, error: string | null): void {
    this.lastError = error;
    // A line per flush asked for, each followed by what waited for that flush: Redis's log order,
    // even when one write covered several. Released before the next write starts, so they keep
    // their place ahead of what that write holds.
    while (this.durable < upTo) {
      this.durable++;
      this.io.perform(
        error === null
          ? { kind: 'log', level: 'notice', message: SAVED_LINE }
          : { kind: 'log', level: 'warning', message: `${NOT_SAVED_PREFIX}${error}` },
      );
      while (this.heldFrom < this.held.length && this.held[this.heldFrom].after <= this.durable) {
        this.io.perform(this.held[this.heldFrom++].action);
      }
      if (this.heldFrom === this.held.length) {
        this.held = [];
        this.heldFrom = 0;
      }
    }
    for (let i = 0; i < this.waiters.length; ) {
      if (this.waiters[i].upTo <= upTo) this.waiters.splice(i, 1)[0].resolve(error);
      else i++;
    }
    this.startWrite();
    if (!this.busy) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
