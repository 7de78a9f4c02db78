import { err, error, type Reply } from '../resp/reply.js';
import { channelArguments } from './acl.js';
import { lowerAscii } from '../core/ascii.js';
import { byteString } from './bytes.js';
import type { Client, Outcome } from './client.js';
import type { CommandSpec } from './command-catalog.js';
import { CommandContext, type CommandHandler, type CommandResult, type ServerContext } from './context.js';
import { noAuth, unknownCommand, unknownSubcommand, wrongArity } from './errors.js';

/** Commands a RESP2 client may still send once it has subscribed. */
const ALLOWED_WHILE_SUBSCRIBED = new Set(['ping', 'subscribe', 'psubscribe', 'unsubscribe', 'punsubscribe']);
const SECURITY_WARNING =
  'Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis instance. Connection aborted.';
const SECURITY_WARNING_INTERVAL_MS = 60_000;

/**
 * Runs one request the way redis-server's processCommand does: the protocol
 * attack guard, command lookup, arity, authentication, ACL, the RESP2 pub/sub
 * restriction and CLIENT PAUSE, in that order, then the handler.
 */
export class Dispatcher {
  private lastSecurityWarning = -Infinity;

  constructor(
    private readonly server: ServerContext,
    private readonly handlers: ReadonlyMap<string, CommandHandler>,
  ) {}

  authRequired(client: Client): boolean {
    const user = this.server.acl.defaultUser;
    return (!user.nopass || !user.enabled) && !client.authenticated;
  }

  execute(client: Client, argv: Buffer[]): Outcome {
    const name = lowerAscii(byteString(argv[0]));
    if (name === 'host:' || name === 'post') {
      this.securityWarning();
      client.kill();
      return 'aborted';
    }

    const lookup = this.server.catalog.lookup(name, argv.length > 1 ? argv[1] : undefined);
    client.lastCommand = lookup.kind === 'found' ? lookup.spec.name : null;
    if (lookup.kind === 'unknown-command') return this.reject(client, unknownCommand(argv));
    if (lookup.kind === 'unknown-subcommand') return this.reject(client, unknownSubcommand(argv));
    const spec = lookup.spec;

    if (!arityAccepts(spec.arity, argv.length)) return this.reject(client, wrongArity(spec.name));
    if (!spec.flags.has('no_auth') && this.authRequired(client)) return this.reject(client, noAuth);
    const denied = this.aclDenial(client, spec, argv);
    if (denied !== null) return this.reject(client, denied);
    if (client.protocol === 2 && client.subscriptionCount > 0 && !ALLOWED_WHILE_SUBSCRIBED.has(spec.name)) {
      return this.reject(
        client,
        err(`Can't execute '${spec.name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`),
      );
    }
    if (this.server.pause.holds(spec)) return 'postponed';

    const result = this.call(client, argv, spec);
    this.server.stats.commandsProcessed++;
    if (result instanceof Promise) {
      // Nothing else of this client's runs until its reply is written, so the per-command flags apply to it alone.
      return result
        .catch((e: unknown) => this.failed(spec, e))
        .then((reply) => {
          this.reply(client, reply);
          this.afterCommand(client, spec);
        });
    }
    this.reply(client, result);
    this.afterCommand(client, spec);
    return 'done';
  }

  private call(client: Client, argv: Buffer[], spec: CommandSpec): CommandResult {
    const handler = this.handlers.get(spec.name);
    if (handler === undefined) return err(`unknown command '${spec.name}'`);
    try {
      return handler(new CommandContext(this.server, client, argv, spec));
    } catch (e) {
      return this.failed(spec, e);
    }
  }

  /** A handler bug must not take the server down; the client gets an error instead. */
  private failed(spec: CommandSpec, e: unknown): Reply {
    this.server.log('warning', `Error while running '${spec.name}': ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return err(`internal error while running '${spec.name}'`);
  }

  /** The NOPERM error for a command or channel the client's user may not use, logged to ACL LOG; null if allowed. */
  private aclDenial(client: Client, spec: CommandSpec, argv: Buffer[]): Reply | null {
    const { acl, aclLog } = this.server;
    const entry = () => ({ username: client.user.name, time: this.server.now(), clientInfo: this.server.clientInfo(client) });
    if (!acl.canRun(client.user, spec)) {
      aclLog.add({ ...entry(), reason: 'command', object: spec.name });
      return error(`NOPERM this user has no permissions to run the '${spec.name}' command`);
    }
    const channels = channelArguments(spec.name, argv);
    if (channels === null) return null;
    const refused = channels.names.find((channel) => !acl.canAccessChannel(client.user, channel, channels.patterns));
    if (refused === undefined) return null;
    aclLog.add({ ...entry(), reason: 'channel', object: refused });
    return error('NOPERM this user has no permissions to access one of the channels used as arguments');
  }

  private reject(client: Client, reply: Reply): Outcome {
    this.reply(client, reply);
    this.afterCommand(client, null);
    return 'done';
  }

  private reply(client: Client, result: Reply | Reply[]): void {
    if (!Array.isArray(result)) {
      this.replyOne(client, result);
      return;
    }
    for (const reply of result) this.replyOne(client, reply);
  }

  private replyOne(client: Client, reply: Reply): void {
    if (reply.type === 'error') this.server.stats.errorReplies++;
    client.write(reply);
  }

  /** Per-command flags that last exactly one command. */
  private afterCommand(client: Client, spec: CommandSpec | null): void {
    const isClientCommand = spec !== null && (spec.name === 'client' || spec.parent?.name === 'client');
    if (client.tracking !== null && !isClientCommand) client.tracking.caching = false;
    client.replySkip = client.replySkipNext;
    client.replySkipNext = false;
  }

  private securityWarning(): void {
    const now = this.server.now();
    if (now - this.lastSecurityWarning < SECURITY_WARNING_INTERVAL_MS) return;
    this.lastSecurityWarning = now;
    this.server.log('warning', SECURITY_WARNING);
  }
}

export function arityAccepts(arity: number, argc: number): boolean {
  return arity >= 0 ? argc === arity : argc >= -arity;
}
