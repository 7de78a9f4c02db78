import type { MasterInstance } from './instance.js';
import { defaultSettings, type SentinelSettings } from './persisted.js';
import { Registry } from './registry.js';
import { ScriptQueue } from './scripts.js';
import { FAST_TUNING, MAX_DESYNC_MS, redisTimings, type Timings, type Tuning } from './timing.js';

/**
 * Everything a sentinel knows: its settings and epoch, every monitored master
 * with its replicas and peers, and the process-wide flags (TILT, simulated
 * failures). Plain data; the rules that change it take a StepContext.
 */
export interface SentinelState {
  settings: SentinelSettings;
  readonly masters: Map<string, MasterInstance>;
  readonly timings: Timings;
  readonly tuning: Tuning;
  readonly registry: Registry;
  readonly scripts: ScriptQueue;
  /** The port announced in hello messages when announce-port is 0. */
  readonly listeningPort: number;
  /** The password of our own default user, sent to peers when sentinel-pass is not set. */
  requirepass: string | null;
  tilt: boolean;
  tiltStartTime: number;
  /** When the timer last ran; a jump either way from it enters TILT. */
  previousTickTime: number;
  simFailureFlags: number;
  hz: number;
  /** The random extra wait before a failover may start, and after voting for a peer. */
  maxDesyncMs: number;
}

export interface StateOptions {
  listeningPort: number;
  timings?: Partial<Timings>;
  tuning?: Tuning;
  requirepass?: string | null;
}

/** A sentinel that monitors nothing yet; a `load` step gives it its config. */
export function emptyState(opts: StateOptions): SentinelState {
  return {
    settings: defaultSettings(),
    masters: new Map(),
    timings: Object.assign(redisTimings(), opts.timings),
    tuning: opts.tuning ?? FAST_TUNING,
    registry: new Registry(),
    scripts: new ScriptQueue(),
    listeningPort: opts.listeningPort,
    requirepass: opts.requirepass ?? null,
    tilt: false,
    tiltStartTime: 0,
    previousTickTime: 0,
    simFailureFlags: 0,
    hz: 10,
    maxDesyncMs: MAX_DESYNC_MS,
  };
}
