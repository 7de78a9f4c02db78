import { runFailoverStateMachine, startFailoverIfNeeded, switchToPromoted } from './failover.js';
import { askMasterStateToOtherSentinels, checkObjectivelyDown, checkSubjectivelyDown } from './failure-detection.js';
import { sendHello } from './hello-exchange.js';
import type { Instance, MasterInstance } from './instance.js';
import { reconnect, send, sendPing } from './links.js';
import type { SentinelCore } from './sentinel.js';
import { MAX_PENDING_COMMANDS } from './timing.js';

/** The timer: TILT, the periodic commands, and the checks every instance goes through on each run. */

const REDIS_TICK_MIN = 52;
const REDIS_TICK_MAX = 100;

/** The delay until the next tick: Redis runs its timer at a random 10..19 Hz to desynchronise peers. */
export function scheduleNextTick(core: SentinelCore): number {
  const { tickMinMs, tickMaxMs } = core.tuning;
  if (tickMinMs === REDIS_TICK_MIN && tickMaxMs === REDIS_TICK_MAX) {
    core.hz = 10 + core.randomInt(10);
    return Math.floor(1000 / core.hz);
  }
  const delay = tickMinMs + core.randomInt(tickMaxMs - tickMinMs + 1);
  core.hz = Math.floor(1000 / delay);
  return delay;
}

export function tick(core: SentinelCore): void {
  checkTilt(core);
  let switching: MasterInstance | null = null;
  for (const m of core.masters.values()) {
    handleInstance(core, m);
    for (const r of m.replicas.values()) handleInstance(core, r);
    for (const s of m.sentinels.values()) handleInstance(core, s);
    if (m.failoverState === 'update_config') switching = m;
  }
  if (switching) switchToPromoted(core, switching);
  core.enqueue(...core.scripts.startPending(core.now()));
  const { actions, reports } = core.scripts.killTimedOut(core.now(), core.timings);
  for (const r of reports) core.emit(r.level, r.type, null, r.message);
  core.enqueue(...actions);
}

function checkTilt(core: SentinelCore): void {
  const now = core.now();
  const delta = now - core.previousTickTime;
  if (delta < 0 || delta > core.timings.tiltTrigger) {
    core.tilt = true;
    core.tiltStartTime = now;
    core.emit('warning', '+tilt', null, '#tilt mode entered');
    // Beyond Redis: say what was measured, so an operator can tell a stalled process from a clock step.
    core.log('warning', `TILT: the timer ran ${delta} ms after the previous run (trigger ${core.timings.tiltTrigger} ms)`);
  }
  core.previousTickTime = now;
}

function handleInstance(core: SentinelCore, ri: Instance): void {
  reconnect(core, ri);
  sendPeriodicCommands(core, ri);
  if (core.tilt) {
    if (core.now() - core.tiltStartTime < core.timings.tiltPeriod) return;
    core.tilt = false;
    core.emit('warning', '-tilt', null, '#tilt mode exited');
  }
  checkSubjectivelyDown(core, ri);
  if (ri.kind === 'master') handleMasterActing(core, ri);
}

function handleMasterActing(core: SentinelCore, m: MasterInstance): void {
  checkObjectivelyDown(core, m);
  if (startFailoverIfNeeded(core, m)) askMasterStateToOtherSentinels(core, m, true);
  runFailoverStateMachine(core, m);
  askMasterStateToOtherSentinels(core, m, false);
}

function sendPeriodicCommands(core: SentinelCore, ri: Instance): void {
  const link = ri.link;
  const now = core.now();
  if (link.disconnected) return;
  if (link.pendingCommands >= MAX_PENDING_COMMANDS * link.refcount) return;

  let infoPeriod = core.timings.infoPeriod;
  if (ri.kind === 'slave' && (ri.master.flags.odown || ri.master.flags.failoverInProgress || ri.masterLinkDownTime !== 0)) {
    infoPeriod = core.tuning.fastInfoPeriodMs;
  }
  const pingPeriod = Math.min(ri.downAfterMs, core.timings.pingPeriod);

  if (ri.kind !== 'sentinel' && (ri.infoRefresh === 0 || now - ri.infoRefresh > infoPeriod)) {
    send(core, ri, 'cc', ['INFO'], 'info');
  }
  if (now - link.lastPongTime > pingPeriod && now - link.lastPingTime > pingPeriod / 2) {
    sendPing(core, ri);
  }
  if (now - ri.lastPubTime > core.timings.publishPeriod) sendHello(core, ri);
}
