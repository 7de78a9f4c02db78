import { randomBytes } from 'node:crypto';
import { array, bulk, bulkArray, err, errBytes, integer, map, nullBulk, ok } from '../../resp/reply.js';
import { channelArguments, type AclUser } from '../acl.js';
import { bytesToText } from '../bytes.js';
import type { Client } from '../client.js';
import type { CommandContext, CommandHandler } from '../context.js';
import { arityAccepts } from '../dispatch.js';
import { notAnInteger, parseInteger, subcommandSyntaxError, wrongArity } from '../errors.js';
import { raw } from './raw.js';

const NO_ACL_FILE =
  'This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.';
const DEFAULT_LOG_COUNT = 10;
const DEFAULT_GENPASS_BITS = 256;
const MAX_GENPASS_BITS = 4096;

const name = (user: AclUser) => Buffer.from(user.name, 'latin1');

export const aclWhoami: CommandHandler = (ctx) => bulk(name(ctx.client.user));

export const aclUsers: CommandHandler = (ctx) => bulkArray(ctx.server.acl.list().map(name));

export const aclList: CommandHandler = (ctx) =>
  bulkArray(ctx.server.acl.list().map((u) => Buffer.from(`user ${u.name} ${u.describe()}`, 'latin1')));

export const aclGetuser: CommandHandler = (ctx) => {
  const user = ctx.server.acl.get(ctx.bytes(2));
  if (user === undefined) return nullBulk;
  const latin1 = (s: string) => bulk(Buffer.from(s, 'latin1'));
  return map([
    [bulk('flags'), { type: 'set', items: user.flags().map((f) => bulk(f)) }],
    [bulk('passwords'), bulkArray(user.passwords)],
    [bulk('commands'), bulk(user.commandRules.join(' '))],
    [bulk('keys'), latin1(user.keysText())],
    [bulk('channels'), latin1(user.channelsText())],
    [bulk('selectors'), array([])],
  ]);
};

/** ACL CAT [category]: the categories (captured reply), or the commands and subcommands in one. */
export const aclCat: CommandHandler = (ctx) => {
  const catalog = ctx.server.catalog;
  if (ctx.argc === 2) return raw(catalog.aclCatReply);
  if (ctx.argc > 3) return subcommandSyntaxError(ctx.argv);
  const category = ctx.keyword(2);
  if (!catalog.categories.includes(category)) return errBytes(`Unknown category '${ctx.printed(2, 128)}'`);
  return bulkArray(catalog.all().filter((s) => s.categories.includes(category)).map((s) => s.name));
};

export const aclSetuser: CommandHandler = (ctx) => {
  const username = ctx.bytes(2);
  if (/[ \0]/.test(username)) return err("Usernames can't contain spaces or null characters");
  const refused = ctx.server.acl.setUser(username, ctx.argv.slice(3).map((a) => a.toString('latin1')));
  if (refused !== null) {
    return err(`Error in ACL SETUSER modifier '${bytesToText(refused.rule)}': ${refused.reason}`);
  }
  const user = ctx.server.acl.get(username);
  if (user !== undefined) disconnectLostSubscribers(ctx, user);
  return ok;
};

/** Subscribers whose user may no longer listen to one of their channels are disconnected. */
function disconnectLostSubscribers(ctx: CommandContext, user: AclUser): void {
  const acl = ctx.server.acl;
  for (const client of ctx.server.clients()) {
    if (client.user !== user || client.subscriptionCount === 0) continue;
    const lost =
      [...client.channels].some((c) => !acl.canAccessChannel(user, c, false)) ||
      [...client.patterns].some((p) => !acl.canAccessChannel(user, p, true));
    if (lost) disconnect(ctx, client);
  }
}

export const aclDeluser: CommandHandler = (ctx) => {
  const names = ctx.argv.slice(2).map((a) => a.toString('latin1'));
  if (names.includes('default')) return err("The 'default' user cannot be removed");
  let deleted = 0;
  for (const username of names) {
    const user = ctx.server.acl.get(username);
    if (user === undefined || !ctx.server.acl.delete(username)) continue;
    deleted++;
    ctx.server
      .clients()
      .filter((c) => c.user === user)
      .forEach((c) => disconnect(ctx, c));
  }
  return integer(deleted);
};

function disconnect(ctx: CommandContext, client: Client): void {
  if (client === ctx.client) client.closeAfterReply = true;
  else client.kill();
}

/** ACL LOG [count | RESET] */
export const aclLog: CommandHandler = (ctx) => {
  if (ctx.argc > 3) return subcommandSyntaxError(ctx.argv);
  let count = DEFAULT_LOG_COUNT;
  if (ctx.argc === 3) {
    if (ctx.keyword(2) === 'reset') {
      ctx.server.aclLog.reset();
      return ok;
    }
    const parsed = parseInteger(ctx.argv[2]);
    if (parsed === null) return notAnInteger;
    count = parsed;
  }
  const now = ctx.server.now();
  return array(
    ctx.server.aclLog.recent(count).map((e) =>
      map([
        [bulk('count'), integer(e.count)],
        [bulk('reason'), bulk(e.reason)],
        [bulk('context'), bulk(e.context)],
        [bulk('object'), bulk(Buffer.from(e.object, 'latin1'))],
        [bulk('username'), bulk(Buffer.from(e.username, 'latin1'))],
        [bulk('age-seconds'), { type: 'double', value: (now - e.time) / 1000 }],
        [bulk('client-info'), bulk(e.clientInfo)],
      ]),
    ),
  );
};

export const aclGenpass: CommandHandler = (ctx) => {
  let bits = DEFAULT_GENPASS_BITS;
  if (ctx.argc > 2) {
    const parsed = parseInteger(ctx.argv[2]);
    if (parsed === null) return notAnInteger;
    if (parsed <= 0 || parsed > MAX_GENPASS_BITS) {
      return err(
        'ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096',
      );
    }
    bits = parsed;
  }
  const chars = Math.ceil(bits / 4);
  return bulk(randomBytes(Math.ceil(chars / 2)).toString('hex').slice(0, chars));
};

/** ACL DRYRUN user command [arg ...]: would this user be allowed to run it? */
export const aclDryrun: CommandHandler = (ctx) => {
  const { acl, catalog } = ctx.server;
  const user = acl.get(ctx.bytes(2));
  if (user === undefined) return errBytes(`User '${ctx.printed(2)}' not found`);
  const lookup = catalog.lookup(ctx.bytes(3), ctx.argc > 4 ? ctx.bytes(4) : undefined);
  if (lookup.kind !== 'found') return errBytes(`Command '${ctx.printed(3)}' not found`);
  const spec = lookup.spec;
  const argv = ctx.argv.slice(3);
  if (!arityAccepts(spec.arity, argv.length)) return wrongArity(spec.name);
  if (!acl.canRun(user, spec)) return bulk(`This user has no permissions to run the '${spec.name}' command`);
  const channels = channelArguments(spec.name, argv);
  const refused = channels?.names.find((c) => !acl.canAccessChannel(user, c, channels.patterns));
  if (refused !== undefined) return bulk(`This user has no permissions to access the '${bytesToText(refused)}' channel`);
  return ok;
};

export const aclLoad: CommandHandler = () => err(NO_ACL_FILE);
export const aclSave: CommandHandler = () => err(NO_ACL_FILE);
export const aclHelp: CommandHandler = (ctx) => raw(ctx.server.catalog.help('ACL'));
