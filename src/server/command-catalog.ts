import { loadFixture } from './fixtures.js';
import { indexResp, mapLookup, type RespNode } from './resp-index.js';
import { ROUTED_SENTINEL_SUBCOMMANDS } from './routed-subcommands.js';

/**
 * One command or subcommand of the sentinel command table, as redis-sentinel
 * 7.0.15 describes it in `COMMAND`: the captured reply is the single source of
 * names, arities, flags and ACL categories.
 */
export interface CommandSpec {
  /** Lower-case full name: `ping`, `client|list`. */
  readonly name: string;
  /** Positive: exactly that many tokens; negative: at least that many. */
  readonly arity: number;
  readonly flags: ReadonlySet<string>;
  /** ACL categories without the `@`. */
  readonly categories: readonly string[];
  readonly parent: CommandSpec | null;
  /** Keyed by the lower-case subcommand name alone (`list`). */
  readonly subcommands: ReadonlyMap<string, CommandSpec>;
  /** Beyond Redis, on a subcommand outside the table (routed-subcommands.ts): the table's one whose ACL permission it has. */
  readonly actsAs?: CommandSpec;
}

export type Protocol = 2 | 3;

/**
 * Beyond Redis: subcommands that take more arguments than redis-sentinel's (which COMMAND still
 * shows, as captured). SENTINEL FAILOVER <master> [TO <ip> <port>] [COORDINATED] [TIMEOUT <ms>].
 */
const ARITY_BEYOND_REDIS: ReadonlyMap<string, number> = new Map([['sentinel|failover', -3]]);

/** The result of looking up a request's command name (and subcommand). */
export type Lookup =
  | { kind: 'found'; spec: CommandSpec }
  | { kind: 'unknown-command' }
  | { kind: 'unknown-subcommand'; container: CommandSpec };

const UNKNOWN_COMMAND: Lookup = Object.freeze({ kind: 'unknown-command' });

interface ProtocolFixtures {
  commandReply: Buffer;
  infoEntries: Map<string, Buffer>;
  docsReply: Buffer;
  docsEntries: Map<string, Buffer>;
}

export class CommandCatalog {
  private static loaded: CommandCatalog | undefined;

  /** Commands in the order of the captured COMMAND reply. */
  readonly topLevel: readonly CommandSpec[];
  /** The ACL categories, in ACL CAT order. */
  readonly categories: readonly string[];
  private readonly byName = new Map<string, CommandSpec>();
  /** Subcommands answered but not in the table, by container, then lower-case name. */
  private readonly routed: ReadonlyMap<CommandSpec, ReadonlyMap<string, CommandSpec>>;
  private readonly foundLookups = new Map<CommandSpec, Lookup>();
  private readonly perProtocol: Record<Protocol, ProtocolFixtures>;
  private readonly helps: Record<HelpTopic, Buffer>;
  readonly aclCatReply: Buffer;

  /** The catalog, read from the fixtures once per process. */
  static load(): CommandCatalog {
    CommandCatalog.loaded ??= new CommandCatalog();
    return CommandCatalog.loaded;
  }

  private constructor() {
    const command2 = loadFixture('COMMAND.resp2');
    const root = indexResp(command2);
    this.topLevel = root.children.map((entry) => this.buildSpec(entry, null));
    this.perProtocol = { 2: readProtocolFixtures(2, command2), 3: readProtocolFixtures(3, loadFixture('COMMAND.resp3')) };
    this.aclCatReply = loadFixture('ACL-CAT.resp2');
    this.categories = indexResp(this.aclCatReply).children.map((c) => c.text ?? '');
    this.routed = buildRouted(this.byName);
    this.helps = {
      ACL: loadFixture('ACL-HELP.resp2'),
      CLIENT: loadFixture('CLIENT-HELP.resp2'),
      COMMAND: loadFixture('COMMAND-HELP.resp2'),
      SENTINEL: loadFixture('SENTINEL-HELP.resp2'),
    };
  }

  /** A command or subcommand by full name (`client|list`), case-insensitively. */
  get(fullName: string): CommandSpec | undefined {
    return this.byName.get(fullName.toLowerCase());
  }

  /** Resolves `argv[0]` and, for container commands, `argv[1]`. */
  lookup(name: string, subcommand: string | Buffer | undefined): Lookup {
    // Names as the table spells them (lower case) are found without lower-casing them first.
    const spec = this.byName.get(name) ?? this.byName.get(name.toLowerCase());
    if (spec === undefined || spec.parent !== null) return UNKNOWN_COMMAND;
    if (spec.subcommands.size === 0 || subcommand === undefined) return this.found(spec);
    // A request's argument arrives as bytes: made into a (byte) string only for a container command.
    const typed = typeof subcommand === 'string' ? subcommand : subcommand.toString('latin1');
    // Clients repeat the same subcommand, spelled the same way: compared as typed, it needs no hashing.
    const last = this.lastSubcommand.get(spec);
    if (last !== undefined && last.typed === typed) return last.lookup;
    const lower = typed.toLowerCase();
    const sub = spec.subcommands.get(typed) ?? spec.subcommands.get(lower) ?? this.routed.get(spec)?.get(lower);
    if (sub === undefined) return { kind: 'unknown-subcommand', container: spec };
    const lookup = this.found(sub);
    this.lastSubcommand.set(spec, { typed, lookup });
    return lookup;
  }

  /** Per container command, the subcommand last found and how it was typed. */
  private readonly lastSubcommand = new Map<CommandSpec, { typed: string; lookup: Lookup }>();

  /** One result object per command, made once: a lookup runs for every request. */
  private found(spec: CommandSpec): Lookup {
    let lookup = this.foundLookups.get(spec);
    if (lookup === undefined) {
      lookup = Object.freeze({ kind: 'found', spec }) as Lookup;
      this.foundLookups.set(spec, lookup);
    }
    return lookup;
  }

  /** Every command, each followed by its subcommands (the COMMAND LIST order). */
  all(): CommandSpec[] {
    return this.topLevel.flatMap((spec) => [spec, ...spec.subcommands.values()]);
  }

  /** The subcommands answered beyond the table (not in `all()`, COMMAND or ACL CAT). */
  routedSubcommands(): CommandSpec[] {
    return [...this.routed.values()].flatMap((subs) => [...subs.values()]);
  }

  /** The whole `COMMAND` reply. */
  commandReply(protocol: Protocol): Buffer {
    return this.perProtocol[protocol].commandReply;
  }

  /** One entry of `COMMAND INFO`. */
  infoEntry(spec: CommandSpec, protocol: Protocol): Buffer {
    const bytes = this.perProtocol[protocol].infoEntries.get(spec.name);
    if (bytes === undefined) throw new Error(`no COMMAND INFO entry for ${spec.name}`);
    return bytes;
  }

  /** The whole `COMMAND DOCS` reply. */
  docsReply(protocol: Protocol): Buffer {
    return this.perProtocol[protocol].docsReply;
  }

  /** The documentation map of one command, without its name. */
  docsEntry(spec: CommandSpec, protocol: Protocol): Buffer | undefined {
    return this.perProtocol[protocol].docsEntries.get(spec.name);
  }

  help(topic: HelpTopic): Buffer {
    return this.helps[topic];
  }

  private buildSpec(entry: RespNode, parent: CommandSpec | null): CommandSpec {
    const [name, arity, flags, , , , categories, , , subcommands] = entry.children;
    const subs = new Map<string, CommandSpec>();
    const spec: CommandSpec = {
      name: name.text ?? '',
      arity: ARITY_BEYOND_REDIS.get(name.text ?? '') ?? Number(arity.text),
      flags: new Set(flags.children.map((f) => f.text ?? '')),
      categories: categories.children.map((c) => (c.text ?? '').replace(/^@/, '')),
      parent,
      subcommands: subs,
    };
    this.byName.set(spec.name, spec);
    for (const child of subcommands?.children ?? []) {
      const sub = this.buildSpec(child, spec);
      subs.set(sub.name.slice(spec.name.length + 1), sub);
    }
    return spec;
  }
}

export type HelpTopic = 'ACL' | 'CLIENT' | 'COMMAND' | 'SENTINEL';

/** The specs of ROUTED_SENTINEL_SUBCOMMANDS, each built on the table's subcommand it acts as. */
function buildRouted(byName: ReadonlyMap<string, CommandSpec>): Map<CommandSpec, Map<string, CommandSpec>> {
  const routed = new Map<CommandSpec, Map<string, CommandSpec>>();
  const container = byName.get('sentinel');
  if (container === undefined) return routed;
  const subs = new Map<string, CommandSpec>();
  for (const { name, actsAs, arity } of ROUTED_SENTINEL_SUBCOMMANDS) {
    const target = container.subcommands.get(actsAs);
    if (target === undefined) throw new Error(`routed subcommand sentinel|${name} acts as sentinel|${actsAs}, which the table lacks`);
    subs.set(name, {
      name: `${container.name}|${name}`,
      arity: arity ?? target.arity,
      flags: target.flags,
      categories: target.categories,
      parent: container,
      subcommands: new Map(),
      actsAs: target,
    });
  }
  routed.set(container, subs);
  return routed;
}

function readProtocolFixtures(protocol: Protocol, commandReply: Buffer): ProtocolFixtures {
  const infoEntries = new Map<string, Buffer>();
  const addInfo = (entry: RespNode) => {
    infoEntries.set(entry.children[0].text ?? '', commandReply.subarray(entry.start, entry.end));
    for (const sub of entry.children[9]?.children ?? []) addInfo(sub);
  };
  indexResp(commandReply).children.forEach(addInfo);

  const docsReply = loadFixture(protocol === 2 ? 'COMMAND-DOCS.resp2' : 'COMMAND-DOCS.resp3');
  const docsEntries = new Map<string, Buffer>();
  const addDocs = (pairs: RespNode) => {
    for (let i = 0; i + 1 < pairs.children.length; i += 2) {
      const doc = pairs.children[i + 1];
      docsEntries.set(pairs.children[i].text ?? '', docsReply.subarray(doc.start, doc.end));
      const subcommands = mapLookup(doc, 'subcommands');
      if (subcommands !== undefined) addDocs(subcommands);
    }
  };
  addDocs(indexResp(docsReply));
  return { commandReply, infoEntries, docsReply, docsEntries };
}
