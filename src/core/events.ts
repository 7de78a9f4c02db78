import { announced, type Address } from './address.js';
import type { Instance } from './instance.js';

export type LogLevel = 'debug' | 'verbose' | 'notice' | 'warning';

export const LEVEL_ORDER: Record<LogLevel, number> = { debug: 0, verbose: 1, notice: 2, warning: 3 };

/**
 * An event as Sentinel reports it: logged as `<type> <message>`, published on
 * the channel named `<type>` (unless debug), and handed to the master's
 * notification script (warnings that concern an instance).
 */
export interface SentinelEvent {
  level: LogLevel;
  type: string;
  message: string;
  /** The master whose notification-script runs for this event, when an instance is attached. */
  masterName: string | null;
}

const MAX_EVENT_MESSAGE = 1023;

/** `<kind> <name> <ip> <port>`, plus ` @ <master> <ip> <port>` for replicas and sentinels. */
export function describeInstance(ri: Instance, announceHostnames: boolean): string {
  const own = `${ri.kind} ${ri.name} ${announced(ri.addr, announceHostnames)} ${ri.addr.port}`;
  if (ri.kind === 'master') return own;
  const m = ri.master;
  return `${own} @ ${m.name} ${announced(m.addr, announceHostnames)} ${m.addr.port}`;
}

export function makeEvent(
  level: LogLevel,
  type: string,
  ri: Instance | null,
  text: string,
  announceHostnames: boolean,
  withInstance: boolean,
): SentinelEvent {
  let message = text;
  if (ri && withInstance) message = text === '' ? describeInstance(ri, announceHostnames) : `${describeInstance(ri, announceHostnames)} ${text}`;
  if (Buffer.byteLength(message) > MAX_EVENT_MESSAGE) message = Buffer.from(message).subarray(0, MAX_EVENT_MESSAGE).toString();
  const master = ri ? (ri.kind === 'master' ? ri : ri.master) : null;
  return { level, type, message, masterName: master ? master.name : null };
}

export function addressText(addr: Address, announceHostnames: boolean): string {
  return `${announced(addr, announceHostnames)} ${addr.port}`;
}
