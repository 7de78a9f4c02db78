import { bulk, err, integer, nullBulk, push, type Reply } from '../../resp/reply.js';
import type { CommandContext, CommandHandler } from '../context.js';

const HELLO_CHANNEL = '__sentinel__:hello';

type Kind = 'subscribe' | 'unsubscribe' | 'psubscribe' | 'punsubscribe';

/** `[kind, name, total subscriptions]`: arrays in RESP2, pushes in RESP3. */
function confirmation(ctx: CommandContext, kind: Kind, name: string | null): Reply {
  return push([bulk(kind), name === null ? nullBulk : bulk(Buffer.from(name, 'latin1')), integer(ctx.client.subscriptionCount)]);
}

function names(ctx: CommandContext): string[] {
  return ctx.argv.slice(1).map((a) => a.toString('latin1'));
}

export const subscribe: CommandHandler = (ctx) =>
  names(ctx).map((channel) => {
    ctx.server.pubsub.subscribe(ctx.client, channel);
    return confirmation(ctx, 'subscribe', channel);
  });

export const psubscribe: CommandHandler = (ctx) =>
  names(ctx).map((pattern) => {
    ctx.server.pubsub.psubscribe(ctx.client, pattern);
    return confirmation(ctx, 'psubscribe', pattern);
  });

/** Without arguments: every current subscription, or one reply with a null name when there is none. */
export const unsubscribe: CommandHandler = (ctx) => {
  const targets = ctx.argc > 1 ? names(ctx) : [...ctx.client.channels];
  if (targets.length === 0) return confirmation(ctx, 'unsubscribe', null);
  return targets.map((channel) => {
    ctx.server.pubsub.unsubscribe(ctx.client, channel);
    return confirmation(ctx, 'unsubscribe', channel);
  });
};

export const punsubscribe: CommandHandler = (ctx) => {
  const targets = ctx.argc > 1 ? names(ctx) : [...ctx.client.patterns];
  if (targets.length === 0) return confirmation(ctx, 'punsubscribe', null);
  return targets.map((pattern) => {
    ctx.server.pubsub.punsubscribe(ctx.client, pattern);
    return confirmation(ctx, 'punsubscribe', pattern);
  });
};

/**
 * PUBLISH: a sentinel only takes hello messages from its peers. They go to the
 * sentinel, are not re-published, and are answered `:1` whatever their content.
 */
export const publish: CommandHandler = (ctx) => {
  if (ctx.bytes(1) !== HELLO_CHANNEL) return err('Only HELLO messages are accepted by Sentinel instances.');
  try {
    ctx.server.hooks.hello(ctx.text(2));
  } catch (e) {
    ctx.server.log('warning', `Error while processing a hello message: ${e instanceof Error ? e.message : String(e)}`);
  }
  return integer(1);
};
