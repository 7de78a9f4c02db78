import { preencoded } from '../../resp/encode.js';
import { array, bulk, err, errBytes, error, integer, map, ok, simple, type Reply } from '../../resp/reply.js';
import type { CommandContext, CommandHandler } from '../context.js';
import { parseInteger, syntaxError, wrongArity, wrongPass } from '../errors.js';

const REDIS_VERSION = '7.0.15';
const PONG = preencoded(simple('PONG'));
export const INVALID_CLIENT_NAME = err('Client names cannot contain spaces, newlines or special characters.');

export const ping: CommandHandler = (ctx) => {
  if (ctx.argc > 2) return wrongArity('ping');
  // A RESP2 subscriber can only receive arrays, so its PONG is one.
  if (ctx.client.protocol === 2 && ctx.client.subscriptionCount > 0) {
    return array([bulk('pong'), bulk(ctx.argc === 2 ? ctx.argv[1] : '')]);
  }
  return ctx.argc === 2 ? bulk(ctx.argv[1]) : PONG;
};

export const auth: CommandHandler = (ctx) => {
  if (ctx.argc > 3) return syntaxError;
  if (ctx.argc === 2 && ctx.server.acl.defaultUser.nopass) {
    return err(
      'AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
    );
  }
  const [username, password] = ctx.argc === 2 ? ['default', ctx.bytes(1)] : [ctx.bytes(1), ctx.bytes(2)];
  return authenticate(ctx, username, password) ? ok : wrongPass;
};

export const hello: CommandHandler = (ctx) => {
  let protocol: 2 | 3 | null = null;
  if (ctx.argc >= 2) {
    const version = parseInteger(ctx.argv[1]);
    if (version === null) return err('Protocol version is not an integer or out of range');
    if (version !== 2 && version !== 3) return error('NOPROTO unsupported protocol version');
    protocol = version;
  }
  // As Redis 7.0 does, each option takes effect as it is read: a failed AUTH or a bad option
  // after AUTH or SETNAME leaves the authentication and the name already changed.
  for (let j = 2; j < ctx.argc; j++) {
    const more = ctx.argc - 1 - j;
    const option = ctx.keyword(j);
    if (option === 'auth' && more >= 2) {
      if (!authenticate(ctx, ctx.bytes(j + 1), ctx.bytes(j + 2))) return wrongPass;
      j += 2;
    } else if (option === 'setname' && more >= 1) {
      const name = ctx.argv[j + 1];
      if (!isValidClientName(name)) return INVALID_CLIENT_NAME;
      ctx.client.name = name.length === 0 ? null : name.toString('latin1');
      j += 1;
    } else {
      return errBytes(`Syntax error in HELLO option '${ctx.printed(j)}'`);
    }
  }
  if (ctx.server.authRequired(ctx.client)) {
    return error(
      'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
    );
  }
  if (protocol !== null) ctx.client.protocol = protocol;
  return helloReply(ctx);
};

function helloReply(ctx: CommandContext): Reply {
  return map([
    [bulk('server'), bulk('redis')],
    [bulk('version'), bulk(REDIS_VERSION)],
    [bulk('proto'), integer(ctx.client.protocol)],
    [bulk('id'), integer(ctx.client.id)],
    [bulk('mode'), bulk('sentinel')],
    [bulk('modules'), array([])],
  ]);
}

/** Switches the client to the user on success; a failure goes to ACL LOG. */
function authenticate(ctx: CommandContext, username: string, password: string): boolean {
  const { server, client } = ctx;
  const user = server.acl.authenticate(username, password);
  if (user === null) {
    server.aclLog.add({
      reason: 'auth',
      object: ctx.bytes(0),
      username,
      time: server.now(),
      clientInfo: server.clientInfo(client),
    });
    return false;
  }
  client.user = user;
  client.authenticated = true;
  return true;
}

/** Names are printable ASCII without spaces, so that CLIENT LIST stays parseable. */
export function isValidClientName(name: Buffer): boolean {
  return name.every((byte) => byte >= 0x21 && byte <= 0x7e);
}
