import { argumentText } from '../resp/byte-text.js';
import type { Reply } from '../resp/reply.js';
import type { AclLog } from './acl-log.js';
import type { AclStore } from './acl.js';
import { lowerAscii } from '../core/ascii.js';
import { byteString, cString } from './bytes.js';
import type { Client } from './client.js';
import type { ClientPause } from './client-pause.js';
import type { CommandCatalog, CommandSpec } from './command-catalog.js';
import type { PubSub } from './pubsub.js';
import type { SentinelHooks } from './sentinel-hooks.js';
import type { ServerStats } from './stats.js';
import type { LogLevel } from '../core/events.js';

export type { LogLevel };

/** What INFO server and clients report about the process. */
export interface ServerIdentity {
  port: number;
  maxclients: number;
  executable: string;
  /** ms since the epoch. */
  startTime: number;
  /** INFO run_id: random per process, not the sentinel's myid. */
  runId: string;
  supervised: 'no' | 'upstart' | 'systemd' | 'unknown';
}

export interface ShutdownRequest {
  nosave: boolean;
  save: boolean;
  now: boolean;
  force: boolean;
}

/** The server state that command handlers work with. */
export interface ServerContext {
  readonly hooks: SentinelHooks;
  readonly catalog: CommandCatalog;
  readonly acl: AclStore;
  readonly aclLog: AclLog;
  readonly pubsub: PubSub;
  readonly stats: ServerStats;
  readonly pause: ClientPause;
  readonly identity: ServerIdentity;
  now(): number;
  log(level: LogLevel, message: string): void;
  /** Connected clients, oldest first. */
  clients(): Client[];
  clientById(id: number): Client | undefined;
  /** SHUTDOWN: false when no one takes the request. */
  shutdown(client: Client, request: ShutdownRequest): boolean;
  /** The CLIENT LIST line of a client, as of now. */
  clientInfo(client: Client): string;
  /** Whether the client must still authenticate before running most commands. */
  authRequired(client: Client): boolean;
}

/** One request being executed. */
export class CommandContext {
  constructor(
    readonly server: ServerContext,
    readonly client: Client,
    readonly argv: Buffer[],
    readonly spec: CommandSpec,
  ) {}

  get argc(): number {
    return this.argv.length;
  }

  /** Argument `i` as text (UTF-8). */
  text(i: number): string {
    return argumentText(this.argv[i]);
  }

  /** Argument `i` as a byte string (see bytes.ts). */
  bytes(i: number): string {
    return byteString(this.argv[i]);
  }

  /**
   * Argument `i` as Redis's printf `%s` (or `%.<max>s`) puts it into an error: a byte string
   * cut at its first NUL, not decoded (send it with errBytes).
   */
  printed(i: number, max = Number.MAX_SAFE_INTEGER): string {
    return cString(this.argv[i], max);
  }

  /** Argument `i` lower-cased, for keyword comparisons. */
  keyword(i: number): string {
    return lowerAscii(byteString(this.argv[i]));
  }
}

/** Several replies are sent in order (SUBSCRIBE answers once per channel). */
/** A promise when the reply must wait (a SENTINEL command waiting for its config write). */
export type CommandResult = Reply | Reply[] | Promise<Reply>;
export type CommandHandler = (ctx: CommandContext) => CommandResult;
