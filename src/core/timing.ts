/**
 * Sentinel's timing parameters, named as SENTINEL DEBUG names them, with the
 * Redis 7.0 values. SENTINEL DEBUG changes them at run time; they are never persisted.
 */
export interface Timings {
  infoPeriod: number;
  pingPeriod: number;
  askPeriod: number;
  publishPeriod: number;
  defaultDownAfter: number;
  defaultFailoverTimeout: number;
  tiltTrigger: number;
  tiltPeriod: number;
  slaveReconfTimeout: number;
  minLinkReconnectPeriod: number;
  electionTimeout: number;
  scriptMaxRuntime: number;
  scriptRetryDelay: number;
}

/** A fresh object each time, filled in place (a spread copy would keep most fields out of the object, slower to read). */
export function redisTimings(): Timings {
  return {
    infoPeriod: 10_000,
    pingPeriod: 1_000,
    askPeriod: 1_000,
    publishPeriod: 2_000,
    defaultDownAfter: 30_000,
    defaultFailoverTimeout: 180_000,
    tiltTrigger: 2_000,
    tiltPeriod: 30_000,
    slaveReconfTimeout: 10_000,
    minLinkReconnectPeriod: 15_000,
    electionTimeout: 10_000,
    scriptMaxRuntime: 60_000,
    scriptRetryDelay: 30_000,
  };
}

export const REDIS_TIMINGS: Readonly<Timings> = Object.freeze(redisTimings());

/** SENTINEL DEBUG parameter names, in the order the no-argument form lists them. */
export const DEBUG_PARAMETERS: ReadonlyArray<[string, keyof Timings]> = [
  ['info-period', 'infoPeriod'],
  ['ping-period', 'pingPeriod'],
  ['ask-period', 'askPeriod'],
  ['publish-period', 'publishPeriod'],
  ['default-down-after', 'defaultDownAfter'],
  ['default-failover-timeout', 'defaultFailoverTimeout'],
  ['tilt-trigger', 'tiltTrigger'],
  ['tilt-period', 'tiltPeriod'],
  ['slave-reconf-timeout', 'slaveReconfTimeout'],
  ['min-link-reconnect-period', 'minLinkReconnectPeriod'],
  ['election-timeout', 'electionTimeout'],
  ['script-max-runtime', 'scriptMaxRuntime'],
  ['script-retry-delay', 'scriptRetryDelay'],
];

/** A replica's INFO period while its master is down, failing over, or its own link is down. */
export const FAST_INFO_PERIOD = 1_000;
export const MAX_PENDING_COMMANDS = 100;
/** Instances one step starts connecting to at most; the others wait for the next tick. */
export const MAX_CONNECTING_PER_STEP = 200;
export const MAX_DESYNC_MS = 1_000;
export const DEFAULT_SLAVE_PRIORITY = 100;
export const HELLO_CHANNEL = '__sentinel__:hello';
export const RUN_ID_SIZE = 40;
/** Beyond Redis: how soon a master with protect-empty-restart is reconnected to after its link dropped (Redis: ping-period). */
export const PROTECTED_MASTER_RECONNECT_MS = 100;

/**
 * How eagerly the sentinel acts once a master is in doubt. `REDIS_TUNING`
 * reproduces redis-sentinel 7.0; `FAST_TUNING` (the default) cuts the time
 * between "the master is down" and "clients can write again" without changing
 * who may be elected or which replica is chosen.
 */
export interface Tuning {
  /** The timer runs every tickMinMs..tickMaxMs, at random, to desynchronise peers. */
  tickMinMs: number;
  tickMaxMs: number;
  /** How often peers are asked about a master we see SDOWN (Redis: ask-period). */
  askPeriodWhileSdownMs: number | null;
  /** INFO period of replicas while their master is down or failing over (Redis: 1000). */
  fastInfoPeriodMs: number;
  /** Ask for INFO right after a SLAVEOF transaction, so promotion is seen at once. */
  infoAfterSlaveof: boolean;
  /** A random wait before starting a failover of an ODOWN master, so peers rarely split the vote. */
  failoverStartJitterMs: number;
  /**
   * Beyond Redis: how long a `+switch-master` (and what follows it) waits before it reaches
   * pub/sub subscribers, while the sentinel already answers the new address (see
   * EventPublisher). Redis: 0.
   */
  switchAnnounceHoldMs: number;
  /**
   * Beyond Redis: before starting (or retrying) a failover, wait `rank` times this many ms, and
   * at least `rank` times `failoverRankDelayTicks` runs of the timer, where `rank` is this
   * sentinel's place by run id among itself and the peers that could start one too (their
   * answer of the last ask-period says the master is down, and they are neither SDOWN nor
   * disconnected). The first in that order starts at once; the others wait long enough to
   * receive its vote request, and voting for it defers their own attempt (as in Redis).
   * Counting timer runs keeps the order when every process was stalled at once: the timers
   * of all of them expire together, but each reads its waiting messages before every run.
   * Redis: 0 and 0.
   */
  failoverRankDelayMs: number;
  failoverRankDelayTicks: number;
  /**
   * Beyond Redis: an election that can no longer elect anybody (every voter's vote in the
   * epoch is known and nobody has a majority) ends at once with
   * -failover-abort-not-elected, and is retried in a new epoch after the start wait above,
   * instead of 2 × failover-timeout later; unless this sentinel has since voted for a peer or
   * learnt of a newer epoch. An election lost to a peer, or overtaken by a peer's newer one
   * that this sentinel voted for, also ends at once, without a retry. Redis: false.
   */
  retryLeaderlessElection: boolean;
}

export const REDIS_TUNING: Readonly<Tuning> = Object.freeze({
  tickMinMs: 52,
  tickMaxMs: 100,
  askPeriodWhileSdownMs: null,
  fastInfoPeriodMs: FAST_INFO_PERIOD,
  infoAfterSlaveof: false,
  failoverStartJitterMs: 0,
  switchAnnounceHoldMs: 0,
  failoverRankDelayMs: 0,
  failoverRankDelayTicks: 0,
  retryLeaderlessElection: false,
});

/** Quick retries of leaderless elections for one ODOWN episode, before Redis's retry delay applies again. */
export const MAX_QUICK_ELECTION_RETRIES = 10;

export const FAST_TUNING: Readonly<Tuning> = Object.freeze({
  tickMinMs: 10,
  tickMaxMs: 20,
  askPeriodWhileSdownMs: 50,
  fastInfoPeriodMs: 100,
  infoAfterSlaveof: true,
  failoverStartJitterMs: 40,
  failoverRankDelayMs: 100,
  failoverRankDelayTicks: 3,
  retryLeaderlessElection: true,
  switchAnnounceHoldMs: 100,
});

/** Beyond Redis, SENTINEL FAILOVER ... COORDINATED: the master's FAILOVER TIMEOUT when none is given. */
export const COORDINATED_DEFAULT_TIMEOUT_MS = 5_000;
/** The largest TIMEOUT accepted: writes are held on the master for up to that long. */
export const COORDINATED_MAX_TIMEOUT_MS = 3_600_000;
/** INFO from the master and the chosen replica this often while the handover runs, to see its end at once. */
export const COORDINATED_POLL_MS = 100;
/** Past TIMEOUT, how long to wait for the master to report that it gave up before giving up ourselves. */
export const COORDINATED_GRACE_MS = 2_000;
