import { bulk, err, errBytes, integer, nullBulk, ok, type Reply } from '../../resp/reply.js';
import type { Client } from '../client.js';
import type { CommandContext, CommandHandler } from '../context.js';
import { parseInteger, subcommandSyntaxError, syntaxError } from '../errors.js';
import { INVALID_CLIENT_NAME, isValidClientName } from './connection.js';
import { raw } from './raw.js';

type ClientType = 'normal' | 'pubsub' | 'master' | 'replica';
const CLIENT_TYPES: Record<string, ClientType> = {
  normal: 'normal',
  pubsub: 'pubsub',
  master: 'master',
  slave: 'replica',
  replica: 'replica',
};

/** A sentinel's clients are never masters or replicas. */
function typeOf(client: Client): ClientType {
  return client.subscriptionCount > 0 ? 'pubsub' : 'normal';
}

function unknownType(ctx: CommandContext, i: number): Reply {
  return errBytes(`Unknown client type '${ctx.printed(i)}'`);
}

function infoText(ctx: CommandContext, clients: Client[]): Reply {
  return { type: 'verbatim', format: 'txt', value: clients.map((c) => `${ctx.server.clientInfo(c)}\n`).join('') };
}

export const clientId: CommandHandler = (ctx) => integer(ctx.client.id);

export const clientGetname: CommandHandler = (ctx) =>
  ctx.client.name === null ? nullBulk : bulk(Buffer.from(ctx.client.name, 'latin1'));

export const clientSetname: CommandHandler = (ctx) => {
  const name = ctx.argv[2];
  if (!isValidClientName(name)) return INVALID_CLIENT_NAME;
  ctx.client.name = name.length === 0 ? null : name.toString('latin1');
  return ok;
};

export const clientInfo: CommandHandler = (ctx) => infoText(ctx, [ctx.client]);

/** CLIENT LIST [TYPE type] [ID id ...] */
export const clientList: CommandHandler = (ctx) => {
  const clients = ctx.server.clients();
  if (ctx.argc === 2) return infoText(ctx, clients);
  if (ctx.argc === 4 && ctx.keyword(2) === 'type') {
    const type = CLIENT_TYPES[ctx.keyword(3)];
    if (type === undefined) return unknownType(ctx, 3);
    return infoText(ctx, clients.filter((c) => typeOf(c) === type));
  }
  if (ctx.argc > 3 && ctx.keyword(2) === 'id') {
    const found: Client[] = [];
    for (let j = 3; j < ctx.argc; j++) {
      const id = parseInteger(ctx.argv[j]);
      if (id === null) return err('Invalid client ID');
      const client = ctx.server.clientById(id);
      if (client !== undefined) found.push(client);
    }
    return infoText(ctx, found);
  }
  return syntaxError;
};

interface KillFilter {
  id?: number;
  type?: ClientType;
  addr?: string;
  laddr?: string;
  user?: string;
  skipMe: boolean;
}

/** CLIENT KILL ip:port, or CLIENT KILL <filter> <value> ... */
export const clientKill: CommandHandler = (ctx) => {
  if (ctx.argc === 3) {
    const addr = ctx.text(2);
    const target = ctx.server.clients().find((c) => c.addr === addr);
    if (target === undefined) return err('No such client');
    kill(ctx, target);
    return ok;
  }
  const filter = parseKillFilter(ctx);
  if (!('skipMe' in filter)) return filter;
  const targets = ctx.server.clients().filter((c) => matchesKillFilter(ctx, c, filter));
  targets.forEach((c) => kill(ctx, c));
  return integer(targets.length);
};

function parseKillFilter(ctx: CommandContext): KillFilter | Reply {
  const filter: KillFilter = { skipMe: true };
  for (let i = 2; i < ctx.argc; i += 2) {
    const option = ctx.keyword(i);
    if (i + 1 >= ctx.argc) return syntaxError;
    if (option === 'id') {
      const id = parseInteger(ctx.argv[i + 1]);
      if (id === null || id < 1) return err('client-id should be greater than 0');
      filter.id = id;
    } else if (option === 'type') {
      const type = CLIENT_TYPES[ctx.keyword(i + 1)];
      if (type === undefined) return unknownType(ctx, i + 1);
      filter.type = type;
    } else if (option === 'addr') {
      filter.addr = ctx.text(i + 1);
    } else if (option === 'laddr') {
      filter.laddr = ctx.text(i + 1);
    } else if (option === 'user') {
      const user = ctx.bytes(i + 1);
      if (ctx.server.acl.get(user) === undefined) return errBytes(`No such user '${ctx.printed(i + 1)}'`);
      filter.user = user;
    } else if (option === 'skipme') {
      const value = ctx.keyword(i + 1);
      if (value !== 'yes' && value !== 'no') return syntaxError;
      filter.skipMe = value === 'yes';
    } else {
      return syntaxError;
    }
  }
  return filter;
}

function matchesKillFilter(ctx: CommandContext, c: Client, f: KillFilter): boolean {
  return (
    (f.id === undefined || c.id === f.id) &&
    (f.type === undefined || typeOf(c) === f.type) &&
    (f.addr === undefined || c.addr === f.addr) &&
    (f.laddr === undefined || c.laddr === f.laddr) &&
    (f.user === undefined || c.user.name === f.user) &&
    !(f.skipMe && c === ctx.client)
  );
}

/** The calling client still gets its reply, then its connection closes. */
function kill(ctx: CommandContext, target: Client): void {
  if (target === ctx.client) target.closeAfterReply = true;
  else target.kill();
}

/** CLIENT PAUSE timeout [WRITE|ALL] */
export const clientPause: CommandHandler = (ctx) => {
  if (ctx.argc > 4) return subcommandSyntaxError(ctx.argv);
  let mode: 'write' | 'all' = 'all';
  if (ctx.argc === 4) {
    const word = ctx.keyword(3);
    if (word !== 'write' && word !== 'all') return err('CLIENT PAUSE mode must be WRITE or ALL');
    mode = word;
  }
  const timeout = parseInteger(ctx.argv[2]);
  if (timeout === null) return err('timeout is not an integer or out of range');
  if (timeout < 0) return err('timeout is negative');
  ctx.server.pause.pause(timeout, mode);
  return ok;
};

export const clientUnpause: CommandHandler = (ctx) => {
  ctx.server.pause.unpause();
  return ok;
};

/** CLIENT REPLY ON|OFF|SKIP: only ON is answered. */
export const clientReply: CommandHandler = (ctx) => {
  const client = ctx.client;
  switch (ctx.keyword(2)) {
    case 'on':
      client.replyOff = false;
      client.replySkip = false;
      client.replySkipNext = false;
      return ok;
    case 'off':
      client.replyOff = true;
      return { type: 'none' };
    case 'skip':
      if (!client.replyOff) client.replySkipNext = true;
      return { type: 'none' };
    default:
      return syntaxError;
  }
};

export const clientNoEvict: CommandHandler = (ctx) => {
  const word = ctx.keyword(2);
  if (word !== 'on' && word !== 'off') return syntaxError;
  ctx.client.noEvict = word === 'on';
  return ok;
};

/** CLIENT UNBLOCK id [TIMEOUT|ERROR]: no sentinel command blocks, so there is never anyone to unblock. */
export const clientUnblock: CommandHandler = (ctx) => {
  if (ctx.argc > 4) return subcommandSyntaxError(ctx.argv);
  if (ctx.argc === 4 && ctx.keyword(3) !== 'timeout' && ctx.keyword(3) !== 'error') {
    return err('CLIENT UNBLOCK reason should be TIMEOUT or ERROR');
  }
  if (parseInteger(ctx.argv[2]) === null) return err('value is not an integer or out of range');
  return integer(0);
};

export const clientHelp: CommandHandler = (ctx) => raw(ctx.server.catalog.help('CLIENT'));
