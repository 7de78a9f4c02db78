import type { SentinelEvent } from './events.js';
import type { ScriptAction } from './scripts.js';

export type ConnKind = 'cc' | 'pc';

/** What a reply is for, so the core can route it back to the instance that asked. */
export type ReplyPurpose = 'ping' | 'info' | 'publish' | 'is-master-down' | 'subscribe' | 'ignore'
  /** Beyond Redis: the master's answer to the FAILOVER of a coordinated switchover. */
  | 'switchover';

export interface ReplyTag {
  instance: number;
  purpose: ReplyPurpose;
  /** For is-master-down asks: which address of the master the question was about. */
  addressGeneration?: number;
}

/** A reply as the links observe it; status and bulk replies are both `string`. */
export type ObservedReply =
  | { type: 'string'; value: string }
  | { type: 'error'; value: string }
  /** A number when it fits exactly, a bigint beyond 2^53 (an epoch can be up to 2^63-1). */
  | { type: 'integer'; value: number | bigint }
  | { type: 'null' }
  | { type: 'array'; items: ObservedReply[] };

/** What the core asks the shells to do. Executed in order, right after the step that produced them. */
export type Action =
  | { kind: 'connect'; link: number; conn: ConnKind; generation: number; host: string; port: number }
  | { kind: 'send'; link: number; conn: ConnKind; generation: number; args: string[]; tag: ReplyTag }
  | { kind: 'close'; link: number; conn: ConnKind; generation: number }
  | { kind: 'event'; event: SentinelEvent }
  /**
   * A log line. With `localTime`, the line ends with that moment as C's ctime() prints it, in
   * the host's time zone (which the core does not know): see src/events/log-line.ts.
   */
  | { kind: 'log'; level: SentinelEvent['level']; message: string; localTime?: number }
  | ScriptAction
  /** SENTINEL SIMULATE-FAILURE: exit at once with status 99. */
  | { kind: 'crash' }
  /**
   * Write the config to disk. Nothing queued after it may be carried out before the
   * write is done: see PersistGate.
   */
  | { kind: 'persist' };
