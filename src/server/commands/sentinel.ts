import { argumentText } from '../../resp/byte-text.js';
import type { CommandHandler } from '../context.js';
import { raw } from './raw.js';

export const sentinelHelp: CommandHandler = (ctx) => raw(ctx.server.catalog.help('SENTINEL'));

/** Every other SENTINEL subcommand, its arity already checked, is the sentinel's to answer. */
export const sentinelSubcommand: CommandHandler = (ctx) => {
  const { client } = ctx;
  const view = { id: client.id, name: client.name ?? '', protocol: client.protocol };
  const argv = new Array<string>(ctx.argc - 1);
  for (let i = 1; i < ctx.argc; i++) argv[i - 1] = argumentText(ctx.argv[i]);
  return ctx.server.hooks.sentinelCommand(argv, view);
};
