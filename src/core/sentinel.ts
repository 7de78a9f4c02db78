import type { Action, ConnKind, ObservedReply, ReplyTag } from './actions.js';
import { processHello } from './hello-in.js';
import { onConnected, onConnectionClosed } from './links.js';
import { defaultSettings, type SentinelConfig } from './persisted.js';
import { onPubsubMessage, onReply } from './replies.js';
import { loadMaster } from './roster.js';
import { emptyState, type SentinelState, type StateOptions } from './state.js';
import { StepContext, type CoreEnvironment } from './step-context.js';
import { scheduleNextTick, tick } from './tick.js';
import { RUN_ID_SIZE } from './timing.js';

/** Everything that can happen to a sentinel, with `now`, the time of the step (fixed for all of it). */
export type Input<T = unknown> = InputBody<T> & { now: number };

export type InputBody<T = unknown> =
  | { kind: 'load'; config: SentinelConfig }
  /** The process is up: pick a run id if the config had none, announce the masters. */
  | { kind: 'start' }
  | { kind: 'tick' }
  | { kind: 'connected'; link: number; conn: ConnKind; generation: number; localIp: string }
  | { kind: 'closed'; link: number; conn: ConnKind; generation: number; reason: string; neverConnected: boolean }
  | { kind: 'reply'; link: number; conn: ConnKind; generation: number; tag: ReplyTag; reply: ObservedReply }
  | { kind: 'message'; link: number; generation: number; payload: string }
  /** A hello PUBLISHed to our own server by a peer. */
  | { kind: 'hello'; payload: string }
  | { kind: 'script-started'; job: number; pid: number }
  | { kind: 'script-spawn-failed'; job: number }
  | { kind: 'script-exited'; pid: number; exitCode: number; signal: number }
  /** A client's command: its queries and changes, run within the step (see operations.ts). */
  | { kind: 'command'; run: (cx: StepContext) => T };

export interface StepOutput<T = unknown> {
  /** What the shells must do, in order; nothing after a `persist` before the config is written. */
  actions: Action[];
  /** The step asked for a config write: a command's reply waits for it. */
  persists: boolean;
  /** A command's result. */
  result: T;
  /** After a `tick`: when the timer should run next, in ms (the first tick runs at once after `start`). */
  nextTickMs?: number;
}

/**
 * A sentinel's core: its state, and the one function that moves it on. Each
 * input is a step; the step returns what the shells must do. Like Raft's
 * Ready, the actions include `persist` markers: nothing after one may be
 * carried out before the config is on disk (see PersistGate).
 */
export class Sentinel {
  readonly state: SentinelState;

  constructor(
    opts: StateOptions,
    private readonly env: CoreEnvironment,
  ) {
    this.state = emptyState(opts);
  }

  step<T = void>(input: Input<T>): StepOutput<T> {
    const cx = new StepContext(this.state, input.now, this.env);
    let result: unknown;
    let nextTickMs: number | undefined;
    switch (input.kind) {
      case 'load':
        load(cx, input.config);
        break;
      case 'start':
        ensureMyId(cx);
        cx.log('warning', `Sentinel ID is ${cx.settings.myid}`);
        for (const m of cx.masters.values()) cx.emit('warning', '+monitor', m, `quorum ${m.quorum}`);
        break;
      case 'tick':
        nextTickMs = scheduleNextTick(cx, tick(cx));
        break;
      case 'connected':
        onConnected(cx, input.link, input.conn, input.generation, input.localIp);
        break;
      case 'closed':
        onConnectionClosed(cx, input.link, input.conn, input.generation, input.reason, input.neverConnected);
        break;
      case 'reply':
        onReply(cx, input.link, input.conn, input.generation, input.tag, input.reply);
        break;
      case 'message':
        onPubsubMessage(cx, input.link, input.generation, input.payload);
        break;
      case 'hello':
        processHello(cx, input.payload);
        break;
      case 'script-started':
        scriptReports(cx, this.state.scripts.started(input.job, input.pid));
        break;
      case 'script-spawn-failed':
        scriptReports(cx, this.state.scripts.forkFailed(input.job));
        break;
      case 'script-exited':
        for (const r of this.state.scripts.exited(input.pid, input.exitCode, input.signal, cx.now, cx.timings)) {
          if (r.type === '') cx.log(r.level, r.message);
          else cx.emit(r.level, r.type, null, r.message);
        }
        break;
      case 'command':
        result = input.run(cx);
        break;
    }
    return { actions: cx.actions, persists: cx.persistRequested, result: result as T, nextTickMs };
  }
}

function load(cx: StepContext, config: SentinelConfig): void {
  const { masters, myid, ...settings } = config;
  // Filled in place: a spread copy keeps most fields out of the object, slower to read.
  cx.state.settings = Object.assign(defaultSettings(), settings, { myid: myid ?? '' });
  cx.state.previousTickTime = cx.now;
  for (const mc of masters) loadMaster(cx, mc);
}

/** A sentinel started without `sentinel myid` picks one and saves it at once. */
function ensureMyId(cx: StepContext): void {
  if (cx.settings.myid.length === RUN_ID_SIZE) return;
  let id = '';
  for (let i = 0; i < RUN_ID_SIZE; i++) id += Math.floor(cx.random() * 16).toString(16);
  cx.settings.myid = id;
  cx.persist();
}

function scriptReports(cx: StepContext, r: ReturnType<SentinelState['scripts']['started']>): void {
  if (r) cx.emit(r.level, r.type, null, r.message);
}
