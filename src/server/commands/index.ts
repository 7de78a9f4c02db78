import type { CommandCatalog } from '../command-catalog.js';
import type { CommandHandler } from '../context.js';
import * as acl from './acl.js';
import * as client from './client.js';
import * as tracking from './client-tracking.js';
import * as command from './command.js';
import * as connection from './connection.js';
import * as info from './info.js';
import * as pubsub from './pubsub.js';
import { sentinelHelp, sentinelSubcommand } from './sentinel.js';
import { shutdown } from './shutdown.js';

/** Handlers by full command name; containers other than COMMAND have none (their arity forbids calling them bare). */
const HANDLERS: Record<string, CommandHandler> = {
  ping: connection.ping,
  auth: connection.auth,
  hello: connection.hello,
  info: info.info,
  role: info.role,
  shutdown,
  subscribe: pubsub.subscribe,
  unsubscribe: pubsub.unsubscribe,
  psubscribe: pubsub.psubscribe,
  punsubscribe: pubsub.punsubscribe,
  publish: pubsub.publish,
  'client|id': client.clientId,
  'client|getname': client.clientGetname,
  'client|setname': client.clientSetname,
  'client|info': client.clientInfo,
  'client|list': client.clientList,
  'client|kill': client.clientKill,
  'client|pause': client.clientPause,
  'client|unpause': client.clientUnpause,
  'client|reply': client.clientReply,
  'client|no-evict': client.clientNoEvict,
  'client|unblock': client.clientUnblock,
  'client|help': client.clientHelp,
  'client|tracking': tracking.clientTracking,
  'client|caching': tracking.clientCaching,
  'client|getredir': tracking.clientGetredir,
  'client|trackinginfo': tracking.clientTrackinginfo,
  command: command.command,
  'command|count': command.commandCount,
  'command|info': command.commandInfo,
  'command|docs': command.commandDocs,
  'command|list': command.commandList,
  'command|getkeys': command.commandGetkeys,
  'command|getkeysandflags': command.commandGetkeys,
  'command|help': command.commandHelp,
  'acl|cat': acl.aclCat,
  'acl|deluser': acl.aclDeluser,
  'acl|dryrun': acl.aclDryrun,
  'acl|genpass': acl.aclGenpass,
  'acl|getuser': acl.aclGetuser,
  'acl|help': acl.aclHelp,
  'acl|list': acl.aclList,
  'acl|load': acl.aclLoad,
  'acl|log': acl.aclLog,
  'acl|save': acl.aclSave,
  'acl|setuser': acl.aclSetuser,
  'acl|users': acl.aclUsers,
  'acl|whoami': acl.aclWhoami,
  'sentinel|help': sentinelHelp,
};

/**
 * The handler of every command the catalog knows (SENTINEL subcommands go to
 * the sentinel hooks). Fails at start-up if the catalog has a command without one.
 */
export function buildHandlers(catalog: CommandCatalog): Map<string, CommandHandler> {
  const handlers = new Map<string, CommandHandler>();
  for (const spec of [...catalog.all(), ...catalog.added()]) {
    const handler = HANDLERS[spec.name] ?? (spec.parent?.name === 'sentinel' ? sentinelSubcommand : undefined);
    if (handler !== undefined) handlers.set(spec.name, handler);
    // A container is only runnable bare when its arity allows one token (COMMAND).
    else if (spec.subcommands.size === 0 || spec.arity === -1) throw new Error(`no handler for command '${spec.name}'`);
  }
  return handlers;
}
