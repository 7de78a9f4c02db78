import { describe, expect, it } from 'vitest';
import { emptySentinelConfig, type SentinelConfig } from '../../src/config/model.js';
import type { Action } from '../../src/core/actions.js';
import { isMasterDownByAddr } from '../../src/core/election.js';
import { NOT_SAVED_PREFIX, PersistGate, SAVED_LINE } from '../../src/core/persist-gate.js';
import { OK_IF_FLUSHED, sentinelCommand } from '../../src/server/commands/sentinel-subcommands.js';
import { CoreHarness, PEER_ID } from './core-fixture.js';

/** A gate over a disk whose writes finish when the test says so. */
function gateWithSlowDisk() {
  const writes: Array<{ config: SentinelConfig; done: (error: string | null) => void }> = [];
  const performed: string[] = [];
  const state = { epoch: 0n };
  const gate = new PersistGate({
    snapshot: () => config(state.epoch),
    write: (config, done) => writes.push({ config, done }),
    perform: (a) => performed.push(a.kind === 'log' ? `log: ${a.message}` : a.kind === 'send' ? `send ${a.args.join(' ')}` : a.kind),
  });
  return { gate, writes, performed, state };
}

const config = (epoch: bigint): SentinelConfig => ({ ...emptySentinelConfig(), currentEpoch: epoch });
const persist: Action = { kind: 'persist' };
const send = (what: string): Action => ({ kind: 'send', link: 1, conn: 'cc', generation: 1, args: [what], tag: { instance: 1, purpose: 'ignore' } });

describe('PersistGate', () => {
  it('carries out actions at once while nothing is being written', () => {
    const { gate, performed, writes, state } = gateWithSlowDisk();
    gate.push([send('PING'), send('INFO')]);
    expect(performed).toEqual(['send PING', 'send INFO']);
    expect(writes).toEqual([]);
  });

  it('holds everything after a persist, from the same step and later ones, until the write is done', () => {
    const { gate, performed, writes, state } = gateWithSlowDisk();
    state.epoch = 1n;
    gate.push([send('A'), persist, send('B')]);
    gate.push([send('C')]);
    expect(performed).toEqual(['send A']);
    expect(writes).toHaveLength(1);
    writes[0].done(null);
    expect(performed).toEqual(['send A', `log: ${SAVED_LINE}`, 'send B', 'send C']);
    expect(gate.busy).toBe(false);
  });

  it('lets connects, PINGs and INFO through while a write is under way: they reveal nothing, and held back would make instances look down', () => {
    const { gate, performed, writes, state } = gateWithSlowDisk();
    const ping: Action = { kind: 'send', link: 2, conn: 'cc', generation: 1, args: ['PING'], tag: { instance: 2, purpose: 'ping' } };
    const connect: Action = { kind: 'connect', link: 3, conn: 'cc', generation: 1, host: '127.0.0.1', port: 6380 };
    const hello: Action = { kind: 'send', link: 2, conn: 'cc', generation: 1, args: ['PUBLISH', '__sentinel__:hello', 'x'], tag: { instance: 2, purpose: 'publish' } };
    state.epoch = 1n;
    gate.push([persist, hello, ping, connect]);
    expect(performed).toEqual(['send PING', 'connect']);
    writes[0].done(null);
    expect(performed).toEqual(['send PING', 'connect', `log: ${SAVED_LINE}`, 'send PUBLISH __sentinel__:hello x']);
  });

  it('keeps at most one write in flight; the next takes the config as it stands when it starts, logs a line per flush asked for, each before what waited for it, as Redis orders them', () => {
    const { gate, performed, writes, state } = gateWithSlowDisk();
    state.epoch = 1n;
    gate.push([persist, send('B')]);
    state.epoch = 2n;
    gate.push([persist, send('C')]);
    state.epoch = 3n;
    gate.push([persist, send('D')]);
    expect(writes.map((w) => w.config.currentEpoch)).toEqual([1n]);
    writes[0].done(null);
    expect(performed).toEqual([`log: ${SAVED_LINE}`, 'send B']);
    expect(writes.map((w) => w.config.currentEpoch)).toEqual([1n, 3n]);
    writes[1].done(null);
    expect(performed).toEqual([`log: ${SAVED_LINE}`, 'send B', `log: ${SAVED_LINE}`, 'send C', `log: ${SAVED_LINE}`, 'send D']);
  });

  it('answers a waiter with the outcome of the write that covers its request, and logs a failure as Redis does', () => {
    const { gate, performed, writes, state } = gateWithSlowDisk();
    const outcomes: Array<[number, string | null]> = [];
    state.epoch = 1n;
    gate.push([persist]);
    gate.whenWritten(gate.requests, (e) => outcomes.push([1, e]));
    state.epoch = 2n;
    gate.push([persist]);
    gate.whenWritten(gate.requests, (e) => outcomes.push([2, e]));
    writes[0].done(null);
    expect(outcomes).toEqual([[1, null]]);
    writes[1].done('Is a directory');
    expect(outcomes).toEqual([
      [1, null],
      [2, 'Is a directory'],
    ]);
    expect(performed.at(-1)).toBe(`log: ${NOT_SAVED_PREFIX}Is a directory`);
    gate.whenWritten(2, (e) => outcomes.push([3, e]));
    expect(outcomes.at(-1)).toEqual([3, 'Is a directory']);
  });

  it('is idle only once the write is done and nothing is held', () => {
    const { gate, writes, state } = gateWithSlowDisk();
    let idle = false;
    state.epoch = 1n;
    gate.push([persist, send('B')]);
    gate.whenIdle(() => (idle = true));
    expect(idle).toBe(false);
    writes[0].done(null);
    expect(idle).toBe(true);
  });
});

describe('a core', () => {
  it('queues a persist action and answers FLUSHCONFIG with the OK that waits for the write', () => {
    const h = new CoreHarness();
    expect(h.command((cx) => sentinelCommand(cx, ['flushconfig'], { isExecutable: () => false }))).toBe(OK_IF_FLUSHED);
    const actions = h.lastOutput?.actions ?? [];
    expect(actions).toHaveLength(1);
    expect(actions[0]).toEqual({ kind: 'persist' });
  });

  it('queues the vote to disk ahead of its announcement', () => {
    const h = new CoreHarness();
    const answer = h.command((cx) => isMasterDownByAddr(cx, '127.0.0.1', 6379, 1n, PEER_ID));
    expect(answer).toMatchObject({ leader: PEER_ID, epoch: 1n });
    const kinds = (h.lastOutput?.actions ?? []).map((a) => (a.kind === 'event' ? a.event.type : a.kind));
    const vote = kinds.indexOf('+vote-for-leader');
    expect(vote).toBeGreaterThan(0);
    expect(kinds.slice(0, vote)).toContain('persist');
    expect(kinds.lastIndexOf('persist')).toBeLessThan(vote);
  });
});
