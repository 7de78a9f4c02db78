/** The client limits of redis.conf that apply to a sentinel's clients too, in bytes and seconds. */
export interface OutputLimit {
  /** 0: none. */
  hard: number;
  /** 0: none. */
  soft: number;
  /** How long a client may stay at or over `soft`. */
  seconds: number;
}

export interface ClientLimits {
  /** proto-max-bulk-len. */
  maxBulkLength: number;
  /** client-query-buffer-limit: unparsed input a client may hold. */
  queryBufferLimit: number;
  /** timeout: seconds an idle client is kept, 0 = forever. */
  idleTimeoutSeconds: number;
  /** client-output-buffer-limit, for the classes a sentinel's clients fall into. */
  output: { normal: OutputLimit; pubsub: OutputLimit };
}

export const DEFAULT_CLIENT_LIMITS: ClientLimits = {
  maxBulkLength: 512 * 1024 * 1024,
  queryBufferLimit: 1024 * 1024 * 1024,
  idleTimeoutSeconds: 0,
  output: {
    normal: { hard: 0, soft: 0, seconds: 0 },
    pubsub: { hard: 32 * 1024 * 1024, soft: 8 * 1024 * 1024, seconds: 60 },
  },
};

/**
 * One client's standing against its output limit, judged as Redis does each time output is
 * added: over the hard limit at once; over the soft limit once it has stayed there more than
 * `seconds`, counted in whole seconds of the clock; the soft timer restarts whenever the
 * output is seen under the soft limit.
 */
export class OutputLimitWatch {
  /** Whole seconds when the soft limit was first seen reached; 0 when under it. */
  private softSince = 0;

  exceeded(limit: OutputLimit, used: number, clock: { now(): number }): boolean {
    const hard = limit.hard > 0 && used >= limit.hard;
    const overSoft = limit.soft > 0 && used >= limit.soft;
    let soft = false;
    if (overSoft) {
      const now = Math.floor(clock.now() / 1000);
      if (this.softSince === 0) this.softSince = now;
      else soft = now - this.softSince > limit.seconds;
    } else {
      this.softSince = 0;
    }
    return hard || soft;
  }
}
