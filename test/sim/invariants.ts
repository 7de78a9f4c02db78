import type { ObservedReply, ReplyTag } from '../../src/core/actions.js';
import type { SentinelEvent } from '../../src/core/events.js';
import { currentMasterAddress, type MasterInstance } from '../../src/core/instance.js';
import type { SentinelState } from '../../src/core/state.js';
import { ASK_PERIOD_MS } from './plan.js';
import type { SimRedis } from './redis.js';

export const MASTER_NAME = 'mymaster';

/** A fresh is-master-down answer may be counted until the next tick clears it: 5 ask periods plus a tick. */
const MASTER_DOWN_FRESHNESS_MS = 5 * ASK_PERIOD_MS + 150;

/** Who a sentinel is, as the checker needs it: stable across restarts. */
export interface SentinelView {
  readonly node: string;
  readonly core: { readonly state: SentinelState } | null;
  /** The sentinel's own clock. */
  now(): number;
  /** The config as last written to disk. */
  persistedLeaderEpoch(): bigint;
}

interface DownAnswer {
  address: string;
  down: boolean;
  /** The asking sentinel's clock when the answer arrived. */
  at: number;
}

/**
 * The safety properties, checked on every event, vote answer and SLAVEOF as
 * they happen; the first violation of each kind is kept with the time it happened.
 */
export class Checker {
  readonly violations: string[] = [];
  /** epoch -> the run ids elected leader in it, and whether that election was forced. */
  readonly elected = new Map<bigint, Array<{ runid: string; forced: boolean }>>();
  /** Every event every sentinel emitted, in order: what the regression seeds check they still reach. */
  readonly timeline: Array<{ at: number; node: string; type: string; message: string }> = [];
  /** Every is-master-down answer received, in order. */
  readonly answers: Array<{ at: number; node: string; address: string; down: boolean }> = [];
  /** myid -> epoch -> the run id it voted for. */
  private readonly votes = new Map<string, Map<bigint, string>>();
  /** asking sentinel -> answering sentinel's IP -> its last is-master-down answer. */
  private readonly downAnswers = new Map<string, Map<string, DownAnswer>>();
  readonly counts = { tryFailover: 0, elected: 0, electedForced: 0, promotions: 0, abortNotElected: 0 };
  readonly switches = new Map<string, number>();
  /** Epochs in which some sentinel tried an automatic failover, and those in which one was elected. */
  readonly triedEpochs = new Set<bigint>();
  readonly electedEpochs = new Set<bigint>();
  /** When the first automatic +try-failover, the first +elected-leader and the first +switch-master happened (simulated time). */
  firstTryAt: number | null = null;
  firstElectedAt: number | null = null;
  firstSwitchAt: number | null = null;

  constructor(private readonly now: () => number) {}

  private violation(text: string): void {
    this.violations.push(`at ${this.now()}ms: ${text}`);
  }

  onEvent(s: SentinelView, st: SentinelState, e: SentinelEvent): void {
    this.timeline.push({ at: this.now(), node: s.node, type: e.type, message: e.message });
    const m = st.masters.get(MASTER_NAME);
    switch (e.type) {
      case '+vote-for-leader':
        this.onVote(s, st, e.message);
        break;
      case '+try-failover':
        this.counts.tryFailover++;
        if (m) this.onTryFailover(s, st, m);
        if (m && !m.flags.forceFailover) {
          this.triedEpochs.add(m.failoverEpoch);
          this.firstTryAt ??= this.now();
        }
        break;
      case '-failover-abort-not-elected':
        this.counts.abortNotElected++;
        break;
      case '+elected-leader':
        if (m) this.onElected(s, st, m);
        break;
      case '+promoted-slave':
        this.counts.promotions++;
        break;
      case '+switch-master':
        this.switches.set(s.node, (this.switches.get(s.node) ?? 0) + 1);
        this.firstSwitchAt ??= this.now();
        break;
      default:
        break;
    }
  }

  /** (2) One vote per epoch per sentinel, whatever restarts happen; the vote is on disk before it is announced. */
  private onVote(s: SentinelView, st: SentinelState, message: string): void {
    const [runid, epochText] = message.split(' ');
    const epoch = BigInt(epochText);
    let mine = this.votes.get(st.settings.myid);
    if (!mine) this.votes.set(st.settings.myid, (mine = new Map()));
    const earlier = mine.get(epoch);
    if (earlier !== undefined && earlier !== runid) {
      this.violation(`${s.node} voted for ${earlier} and then for ${runid} in epoch ${epoch}`);
    }
    mine.set(epoch, runid);
    if (s.persistedLeaderEpoch() < epoch) {
      this.violation(`${s.node} announced its vote in epoch ${epoch} but persisted leader-epoch ${s.persistedLeaderEpoch()}`);
    }
  }

  /** (1) At most one leader per epoch, unless SENTINEL FAILOVER forced one. */
  private onElected(s: SentinelView, st: SentinelState, m: MasterInstance): void {
    const forced = m.flags.forceFailover;
    this.counts.elected++;
    if (forced) this.counts.electedForced++;
    const epoch = m.failoverEpoch;
    const list = this.elected.get(epoch) ?? [];
    for (const other of list) {
      if (other.runid !== st.settings.myid && !forced && !other.forced) {
        this.violation(`${s.node} (${st.settings.myid.slice(0, 8)}) and ${other.runid.slice(0, 8)} were both elected leader in epoch ${epoch}`);
      }
    }
    list.push({ runid: st.settings.myid, forced });
    this.elected.set(epoch, list);
    this.electedEpochs.add(epoch);
    this.firstElectedAt ??= this.now();
  }

  /** (3) An automatic failover starts only on an SDOWN master that a quorum (fresh answers included) says is down. */
  private onTryFailover(s: SentinelView, st: SentinelState, m: MasterInstance): void {
    if (m.flags.forceFailover) return;
    const address = `${m.addr.ip}:${m.addr.port}`;
    const now = s.now();
    let agreeing = 0;
    for (const a of this.downAnswers.get(s.node)?.values() ?? []) {
      if (a.down && a.address === address && now - a.at <= MASTER_DOWN_FRESHNESS_MS) agreeing++;
    }
    if (!m.flags.sdown || 1 + agreeing < m.quorum) {
      // What the core counted, next to the last answer each peer really gave.
      const peers = [...m.sentinels.values()].filter((p) => p.flags.masterDown).map((p) => {
        const a = this.downAnswers.get(s.node)?.get(p.addr.ip);
        return a ? `${p.addr.ip} said down=${a.down} about ${a.address} ${now - a.at}ms ago` : `${p.addr.ip} (no answer seen)`;
      });
      this.violation(
        `${s.node} started a failover of ${address} (sdown=${m.flags.sdown}) with ${agreeing} fresh agreeing answers, quorum ${m.quorum}; ` +
          `it counted: ${peers.join('; ') || 'nobody'}${st.tilt ? ' (in TILT)' : ''}`,
      );
    }
  }

  /** Records what a peer answered to SENTINEL is-master-down-by-addr. */
  onMasterDownAnswer(s: SentinelView, peerIp: string, args: string[], reply: ObservedReply): void {
    if (!s.core || reply.type !== 'array' || reply.items.length !== 3) return;
    const down = reply.items[0];
    let answers = this.downAnswers.get(s.node);
    if (!answers) this.downAnswers.set(s.node, (answers = new Map()));
    const answer = { address: `${args[2]}:${args[3]}`, down: down.type === 'integer' && down.value === 1, at: s.now() };
    answers.set(peerIp, answer);
    this.answers.push({ at: this.now(), node: s.node, address: answer.address, down: answer.down });
  }

  onRestart(s: SentinelView): void {
    this.downAnswers.delete(s.node);
  }

  /** (4) SLAVEOF NO ONE only from the leader of the current failover, to its selected, reachable, eligible replica. */
  onSlaveOfNoOne(s: SentinelView, st: SentinelState, tag: ReplyTag, target: SimRedis): void {
    if (target.priority === 0) this.violation(`${s.node} sent SLAVEOF NO ONE to ${target.node}, whose replica-priority is 0`);
    const ri = st.registry.instance(tag.instance);
    if (!ri || ri.kind !== 'slave') {
      this.violation(`${s.node} sent SLAVEOF NO ONE to ${target.node}, which it does not monitor as a replica`);
      return;
    }
    const m = ri.master;
    if (ri.flags.sdown) this.violation(`${s.node} promoted ${target.node} while it considers it SDOWN`);
    if (m.promoted !== ri) this.violation(`${s.node} promoted ${target.node}, which is not its selected replica`);
    const led = (this.elected.get(m.failoverEpoch) ?? []).some((e) => e.runid === st.settings.myid);
    if (!led) this.violation(`${s.node} promoted ${target.node} in epoch ${m.failoverEpoch} without being elected leader`);
  }
}

export interface ConvergenceInput {
  redis: readonly SimRedis[];
  sentinels: ReadonlyArray<{ node: string; core: { readonly state: SentinelState } | null }>;
  ignoreDownInstances: boolean;
}

/** (5) Null when every sentinel names the one master, with one config epoch, and every instance follows it. */
export function convergenceProblem(w: ConvergenceInput): string | null {
  const live = w.redis.filter((r) => r.up);
  if (!w.ignoreDownInstances && live.length !== w.redis.length) return 'an instance is down';
  const masters = live.filter((r) => r.repl.role === 'master');
  if (masters.length !== 1) return `the instances have ${masters.length} masters (${masters.map((r) => r.node).join(',')})`;
  const master = masters[0];
  for (const r of live) {
    if (r === master) continue;
    if (r.masterAddress() !== master.address) return `${r.node} replicates from ${r.masterAddress()}, not ${master.node}`;
    if (!r.linkUp) return `${r.node}'s replication link is down`;
  }
  const epochs = new Set<bigint>();
  for (const s of w.sentinels) {
    const m = s.core?.state.masters.get(MASTER_NAME);
    if (!s.core || !m) return `${s.node} is not running or not monitoring ${MASTER_NAME}`;
    const a = currentMasterAddress(m);
    if (`${a.ip}:${a.port}` !== master.address) return `${s.node} names ${a.ip}:${a.port}, the master is ${master.node} (${master.address})`;
    // A leader names the promoted replica from the promotion on, but has not switched until its failover ends.
    if (m.flags.failoverInProgress) return `${s.node} is still failing over`;
    epochs.add(m.configEpoch);
  }
  if (epochs.size !== 1) return `the sentinels' config epochs differ: ${[...epochs].join(',')}`;
  return null;
}

/** Epochs in which an automatic failover was tried and nobody was elected: split or lost votes. */
export function electionsWithoutLeader(c: Checker): number {
  let n = 0;
  for (const e of c.triedEpochs) if (!c.electedEpochs.has(e)) n++;
  return n;
}

/**
 * Redis's known weakness: a sentinel that has not yet heard of the switch can
 * judge the promoted replica by what it learnt about the dead master and fail
 * over a second time. One death must give exactly one failover.
 */
export function exactlyOneFailover(o: { checker: Checker; plan: { topology: { sentinels: number } } }): string[] {
  const problems: string[] = [];
  const { elected } = o.checker.counts;
  if (elected !== 1) problems.push(`${elected} failovers were elected for one master death`);
  for (let i = 0; i < o.plan.topology.sentinels; i++) {
    const n = o.checker.switches.get(`s${i}`) ?? 0;
    if (n !== 1) problems.push(`s${i} switched master ${n} times`);
  }
  return problems;
}
