import { array, bulk, bulkArray, err, integer, map, nullBulk, type Reply } from '../../resp/reply.js';
import type { CommandSpec } from '../command-catalog.js';
import type { CommandHandler } from '../context.js';
import { syntaxError } from '../errors.js';
import { globMatch } from '../../core/glob.js';
import { raw } from './raw.js';

export const command: CommandHandler = (ctx) => raw(ctx.server.catalog.commandReply(ctx.client.protocol));

export const commandCount: CommandHandler = (ctx) => integer(ctx.server.catalog.topLevel.length);

export const commandHelp: CommandHandler = (ctx) => raw(ctx.server.catalog.help('COMMAND'));

/** COMMAND INFO [name ...]: the captured entries; unknown names give a null. */
export const commandInfo: CommandHandler = (ctx) => {
  const catalog = ctx.server.catalog;
  if (ctx.argc === 2) return raw(catalog.commandReply(ctx.client.protocol));
  return array(
    ctx.argv.slice(2).map((name) => {
      const spec = catalog.get(name.toString('latin1'));
      return spec === undefined ? nullBulk : raw(catalog.infoEntry(spec, ctx.client.protocol));
    }),
  );
};

/** COMMAND DOCS [name ...]: a map of the known names to their captured docs. */
export const commandDocs: CommandHandler = (ctx) => {
  const catalog = ctx.server.catalog;
  const protocol = ctx.client.protocol;
  if (ctx.argc === 2) return raw(catalog.docsReply(protocol));
  const entries: Array<[Reply, Reply]> = [];
  for (const name of ctx.argv.slice(2)) {
    const spec = catalog.get(name.toString('latin1'));
    const docs = spec === undefined ? undefined : catalog.docsEntry(spec, protocol);
    if (spec !== undefined && docs !== undefined) entries.push([bulk(spec.name), raw(docs)]);
  }
  return map(entries);
};

/** COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern] */
export const commandList: CommandHandler = (ctx) => {
  const all = ctx.server.catalog.all();
  const names = (specs: CommandSpec[]) => bulkArray(specs.map((s) => s.name));
  if (ctx.argc === 2) return names(all);
  if (ctx.argc !== 5 || ctx.keyword(2) !== 'filterby') return syntaxError;
  switch (ctx.keyword(3)) {
    case 'module':
      return names([]);
    case 'aclcat': {
      const category = ctx.keyword(4);
      return names(all.filter((s) => s.categories.includes(category)));
    }
    case 'pattern': {
      return names(all.filter((s) => globMatch(ctx.argv[4], s.name, true)));
    }
    default:
      return syntaxError;
  }
};

/** COMMAND GETKEYS / GETKEYSANDFLAGS: no sentinel command takes keys. */
export const commandGetkeys: CommandHandler = (ctx) => {
  const target = ctx.server.catalog.lookup(ctx.bytes(2), ctx.argc > 3 ? ctx.bytes(3) : undefined);
  if (target.kind !== 'found') return err('Invalid command specified');
  return err('The command has no key arguments');
};
