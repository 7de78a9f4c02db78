import type { CommandHandler } from '../context.js';
import { raw } from './raw.js';

export const sentinelHelp: CommandHandler = (ctx) => raw(ctx.server.catalog.help('SENTINEL'));

/** Every other SENTINEL subcommand, its arity already checked, is the sentinel's to answer. */
export const sentinelSubcommand: CommandHandler = (ctx) => {
  const { client } = ctx;
  const view = { id: client.id, name: client.name ?? '', protocol: client.protocol };
  return ctx.server.hooks.sentinelCommand(
    ctx.argv.slice(1).map((a) => a.toString('utf8')),
    view,
  );
};
