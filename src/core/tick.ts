import { runFailoverStateMachine, startFailoverIfNeeded } from './failover.js';
import { askMasterStateToOtherSentinels, checkObjectivelyDown, checkSubjectivelyDown } from './failure-detection.js';
import { sendHello } from './hello-out.js';
import type { Instance, MasterInstance } from './instance.js';
import { reconnect, send, sendPing } from './links.js';
import { forgetLongDown } from './roster.js';
import type { StepContext } from './step-context.js';
import { switchToPromoted } from './reconfiguration.js';
import { MAX_PENDING_COMMANDS } from './timing.js';

/** The timer: TILT, the periodic commands, and the checks every instance goes through on each run. */

const REDIS_TICK_MIN = 52;
const REDIS_TICK_MAX = 100;

/** What a tick saw, for choosing when the next one runs. */
export interface TickOutcome {
  /** A master is in doubt, electing or failing over. */
  busy: boolean;
  /** When the first instance not SDOWN would be found SDOWN if nothing is heard from it. */
  sdownDeadline: number;
}

/** The delay until the next tick: Redis runs its timer at a random 10..19 Hz to desynchronise peers. */
export function scheduleNextTick(cx: StepContext, last: TickOutcome): number {
  const { tickMinMs, tickMaxMs } = cx.tuning;
  if (tickMinMs === REDIS_TICK_MIN && tickMaxMs === REDIS_TICK_MAX) return redisCadence(cx);
  const fast = tickMinMs + cx.randomInt(tickMaxMs - tickMinMs + 1);
  if (last.busy) {
    cx.state.hz = Math.floor(1000 / fast);
    return fast;
  }
  // Beyond Redis: at rest the fast profile runs at Redis's cadence (a tick visits every
  // instance, so a fast timer would cost every idle master dearly), but never past the moment
  // an unanswered PING or a lost link makes an instance SDOWN, which is seen on time.
  const resting = redisCadence(cx);
  const due = Math.max(fast, Math.min(resting, last.sdownDeadline - cx.now));
  cx.state.hz = Math.floor(1000 / due);
  return due;
}

function redisCadence(cx: StepContext): number {
  cx.state.hz = 10 + cx.randomInt(10);
  return Math.floor(1000 / cx.state.hz);
}

export function tick(cx: StepContext): TickOutcome {
  checkTilt(cx);
  const outcome: TickOutcome = { busy: false, sdownDeadline: Infinity };
  let switching: MasterInstance | null = null;
  for (const m of cx.masters.values()) {
    handleInstance(cx, m, outcome);
    for (const r of m.replicas.values()) handleInstance(cx, r, outcome);
    for (const s of m.sentinels.values()) handleInstance(cx, s, outcome);
    if (m.forgetAfterMs > 0) forgetLongDown(cx, m);
    if (m.flags.sdown || m.flags.odown || m.flags.failoverInProgress || m.startWait !== null) outcome.busy = true;
    if (m.failoverState === 'update_config') switching = m;
  }
  if (switching) switchToPromoted(cx, switching);
  cx.enqueue(...cx.state.scripts.startPending(cx.now));
  const { actions, reports } = cx.state.scripts.killTimedOut(cx.now, cx.timings);
  for (const r of reports) cx.emit(r.level, r.type, null, r.message);
  cx.enqueue(...actions);
  return outcome;
}

/** When `ri` would be found SDOWN if nothing is heard from it; Infinity when it already is, or nothing is awaited. */
function sdownDeadline(ri: Instance): number {
  if (ri.flags.sdown) return Infinity;
  const link = ri.link;
  const since = link.actPingTime !== 0 ? link.actPingTime : link.disconnected ? link.lastAvailTime : 0;
  return since === 0 ? Infinity : since + ri.downAfterMs + 1;
}

function checkTilt(cx: StepContext): void {
  const now = cx.now;
  const delta = now - cx.state.previousTickTime;
  if (delta < 0 || delta > cx.timings.tiltTrigger) {
    cx.state.tilt = true;
    cx.state.tiltStartTime = now;
    cx.emit('warning', '+tilt', null, '#tilt mode entered');
    // Beyond Redis: say what was measured, so an operator can tell a stalled process from a clock step.
    cx.log('warning', `TILT: the timer ran ${delta} ms after the previous run (trigger ${cx.timings.tiltTrigger} ms)`);
  }
  cx.state.previousTickTime = now;
}

function handleInstance(cx: StepContext, ri: Instance, outcome: TickOutcome): void {
  reconnect(cx, ri);
  sendPeriodicCommands(cx, ri);
  if (cx.state.tilt) {
    if (cx.now - cx.state.tiltStartTime < cx.timings.tiltPeriod) return;
    cx.state.tilt = false;
    cx.emit('warning', '-tilt', null, '#tilt mode exited');
  }
  checkSubjectivelyDown(cx, ri);
  outcome.sdownDeadline = Math.min(outcome.sdownDeadline, sdownDeadline(ri));
  if (ri.kind === 'master') handleMasterActing(cx, ri);
}

function handleMasterActing(cx: StepContext, m: MasterInstance): void {
  checkObjectivelyDown(cx, m);
  if (startFailoverIfNeeded(cx, m)) askMasterStateToOtherSentinels(cx, m, true);
  runFailoverStateMachine(cx, m);
  askMasterStateToOtherSentinels(cx, m, false);
}

function sendPeriodicCommands(cx: StepContext, ri: Instance): void {
  const link = ri.link;
  const now = cx.now;
  if (link.disconnected) return;
  if (link.pendingCommands >= MAX_PENDING_COMMANDS * link.refcount) return;

  let infoPeriod = cx.timings.infoPeriod;
  if (ri.kind === 'slave' && (ri.master.flags.odown || ri.master.flags.failoverInProgress || ri.masterLinkDownTime !== 0)) {
    infoPeriod = cx.tuning.fastInfoPeriodMs;
  }
  const pingPeriod = Math.min(ri.downAfterMs, cx.timings.pingPeriod);

  if (ri.kind !== 'sentinel' && (ri.infoRefresh === 0 || now - ri.infoRefresh > infoPeriod)) {
    send(cx, ri, 'cc', ['INFO'], 'info');
  }
  if (now - link.lastPongTime > pingPeriod && now - link.lastPingTime > pingPeriod / 2) {
    sendPing(cx, ri);
  }
  if (now - ri.lastPubTime > cx.timings.publishPeriod) sendHello(cx, ri);
}
