import type { Action } from './actions.js';
import { makeAddress, type Address, type AddressError, type Resolver } from './address.js';
import { makeEvent, type LogLevel } from './events.js';
import { masterOf, type Instance, type MasterInstance } from './instance.js';
import type { SentinelSettings } from './persisted.js';
import type { Registry } from './registry.js';
import type { SentinelState } from './state.js';
import { MAX_CONNECTING_PER_STEP, type Timings, type Tuning } from './timing.js';

/** What the core gets from outside besides its inputs: randomness and name lookups, both injected. */
export interface CoreEnvironment {
  /** Uniform in [0, 1). */
  random: () => number;
  resolve: Resolver;
}

/**
 * One step of the core: the state it changes, the time it happens at (fixed
 * for the whole step), and the actions it asks for, in order. Rules take it
 * as their first argument; only the step's driver (sentinel.ts) makes one.
 */
export class StepContext {
  readonly actions: Action[] = [];
  /** The step asked for a config write. */
  persistRequested = false;
  /** Instances this step may still start connecting to (see links.reconnect). */
  connectsLeft = MAX_CONNECTING_PER_STEP;

  constructor(
    readonly state: SentinelState,
    readonly now: number,
    private readonly env: CoreEnvironment,
  ) {}

  get settings(): SentinelSettings {
    return this.state.settings;
  }

  get masters(): Map<string, MasterInstance> {
    return this.state.masters;
  }

  get timings(): Timings {
    return this.state.timings;
  }

  get tuning(): Tuning {
    return this.state.tuning;
  }

  get registry(): Registry {
    return this.state.registry;
  }

  enqueue(...actions: Action[]): void {
    this.actions.push(...actions);
  }

  emit(level: LogLevel, type: string, ri: Instance | null, text = '', withInstance = true): void {
    const event = makeEvent(level, type, ri, text, this.settings.announceHostnames, withInstance);
    this.actions.push({ kind: 'event', event });
    const script = ri ? masterOf(ri).notificationScript : null;
    if (level === 'warning' && script) this.state.scripts.add([script, type, event.message]);
  }

  log(level: LogLevel, message: string, localTime?: number): void {
    this.actions.push(localTime === undefined ? { kind: 'log', level, message } : { kind: 'log', level, message, localTime });
  }

  /** The config must be written before anything queued after this is carried out. */
  persist(): void {
    this.persistRequested = true;
    this.actions.push({ kind: 'persist' });
  }

  crash(): void {
    this.log('warning', 'Sentinel CRASH because of SENTINEL simulate-failure');
    this.actions.push({ kind: 'crash' });
  }

  randomInt(n: number): number {
    return Math.floor(this.env.random() * n);
  }

  random(): number {
    return this.env.random();
  }

  /** An address under our resolve-hostnames setting; `acceptUnresolved` as when loading the config. */
  address(host: string, port: number, acceptUnresolved = false): Address | AddressError {
    return makeAddress(host, port, this.settings.resolveHostnames, this.env.resolve, acceptUnresolved);
  }

  /** An IP literal, or with resolve-hostnames a name that resolves. */
  isAcceptableHost(host: string): boolean {
    return typeof this.address(host, 0) !== 'string';
  }

  resolveHost(host: string): string | null {
    return this.env.resolve(host);
  }
}
