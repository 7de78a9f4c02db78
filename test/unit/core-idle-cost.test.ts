import { describe, expect, it } from 'vitest';
import type { Action, ObservedReply } from '../../src/core/actions.js';
import type { Instance } from '../../src/core/instance.js';
import { newMasterConfig } from '../../src/config/model.js';
import { FAST_TUNING } from '../../src/core/timing.js';
import { CoreHarness, infoText, pong } from './core-fixture.js';

/**
 * The work of an idle second with many healthy masters is what Redis's periods require, with
 * the fast profile too: its timer runs at Redis's 10–19 Hz while nothing is in doubt (each
 * tick visits every instance), and each instance gets a PING a second, an INFO every 10 s and
 * a hello every 2 s. The fast rate comes back as soon as a master is in doubt, and an
 * instance that stops answering is still found SDOWN on time.
 */

const MASTERS = 50;
const SECOND = 1000;

function world(): CoreHarness {
  return new CoreHarness((c) => {
    c.masters = [];
    for (let i = 0; i < MASTERS; i++) {
      const m = newMasterConfig(`m${i}`, '127.0.0.1', 7000 + 2 * i, 1);
      m.knownReplicas.push({ host: '127.0.0.1', port: 7001 + 2 * i });
      c.masters.push(m);
    }
  }, FAST_TUNING);
}

/** What a healthy instance answers to the sentinel's periodic commands. */
function answerTo(h: CoreHarness, ri: Instance, command: string): ObservedReply | null {
  if (command === 'PING') return pong;
  if (command === 'PUBLISH') return { type: 'integer', value: 1 };
  if (command !== 'INFO') return null;
  const role = ri.kind === 'master' ? ['role:master'] : ['role:slave', 'master_host:127.0.0.1', `master_port:${ri.kind === 'slave' ? ri.master.addr.port : 0}`, 'master_link_status:up'];
  return infoText(role);
}

/** Ticks at the delays the core asks for, every instance but `silent` answering at once; returns the ticks run. */
function run(h: CoreHarness, ms: number, silent: Set<Instance> = new Set()): number {
  const end = h.now + ms;
  let ticks = 0;
  while (h.now < end) {
    const out = h.step({ kind: 'tick' });
    ticks++;
    for (const a of out.actions) {
      if (a.kind === 'connect') h.step({ kind: 'connected', link: a.link, conn: a.conn, generation: a.generation, localIp: '127.0.0.1' });
      if (a.kind !== 'send') continue;
      const ri = h.state.registry.instance(a.tag.instance);
      const reply = ri && !silent.has(ri) ? answerTo(h, ri, a.args[0]) : null;
      if (reply) h.step({ kind: 'reply', link: a.link, conn: a.conn, generation: a.generation, tag: a.tag, reply });
    }
    h.now += out.nextTickMs ?? 0;
  }
  return ticks;
}

function sendsPerInstance(actions: Action[], command: string): number {
  const n = actions.filter((a) => a.kind === 'send' && a.args[0] === command).length;
  return n / (2 * MASTERS);
}

describe('idle cost with many masters (fast profile)', () => {
  it("runs the timer at Redis's rate and sends what Redis's periods require", () => {
    const h = world();
    run(h, 15 * SECOND);
    const from = h.actions.length;
    const ticks = run(h, 20 * SECOND);
    const sent = h.actions.slice(from);
    expect(ticks / 20).toBeGreaterThanOrEqual(10);
    expect(ticks / 20).toBeLessThanOrEqual(19.5);
    expect(sendsPerInstance(sent, 'PING') / 20).toBeLessThanOrEqual(1.05);
    expect(sendsPerInstance(sent, 'PING') / 20).toBeGreaterThanOrEqual(0.9);
    expect(sendsPerInstance(sent, 'INFO') / 20).toBeLessThanOrEqual(0.11);
    expect(sendsPerInstance(sent, 'PUBLISH') / 20).toBeLessThanOrEqual(0.55);
  });

  it('finds a silent master SDOWN on time, then runs the timer at the fast rate while it is in doubt', () => {
    const h = world();
    run(h, 15 * SECOND);
    const m = h.state.masters.get('m7')!;
    run(h, 40 * SECOND, new Set([m]));
    const sdown = h.events.find((e) => e.type === '+sdown' && e.message.startsWith('master m7 '));
    expect(sdown).toBeDefined();
    // The SDOWN tick ran 1 ms after the unanswered PING turned down-after old.
    expect(m.sDownSinceTime - m.link.actPingTime).toBe(m.downAfterMs + 1);
    const ticks = run(h, 2 * SECOND, new Set([m]));
    expect(ticks / 2).toBeGreaterThanOrEqual(45);
  });
});
