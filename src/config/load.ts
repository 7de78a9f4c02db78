/**
 * Loading sentinel.conf as redis-sentinel 7.0.15 does: every redis-server
 * directive is parsed and validated, `sentinel` lines are applied afterwards
 * (sentinel-directives.ts), and the first error is fatal with Redis's message.
 */
import { accessSync, closeSync, constants, openSync, statSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import type { DirectiveValue, SetContext } from './directive-values.js';
import { defaultValue, setDirective } from './directive-values.js';
import { mergedArgs } from './directive-format.js';
import { DEPRECATED_DIRECTIVES, lookupDirective, SENTINEL_COMMAND_NAMES } from './directives.js';
import type { SentinelConfig } from './model.js';
import { applySentinelLines, type QueuedSentinelLine, type SentinelLoadEffects } from './sentinel-directives.js';
import { readStateFile, StateFileReadError, stateFileLines, withStateFile } from './state-file.js';
import { defaultServerOptions, type ServerOptions, TYPED_DIRECTIVES } from './server-options.js';
import { encodeBytes, splitArgs } from './split-args.js';
import { AclStore } from '../server/acl.js';
import { CommandCatalog } from '../server/command-catalog.js';
import { strerror } from './strerror.js';
import { ConfigOpenError, readIncludedFiles } from './config-files.js';

export { ConfigOpenError } from './config-files.js';

const REDIS_VERSION = '7.0.15';

/** A fatal configuration error: Redis prints formatFatal() to stderr and exits with status 1. */
export class ConfigError extends Error {
  /**
   * @param line 1-based line number in the text that was being read (the
   *   main text or an included file); 0 when the error concerns no line.
   */
  constructor(
    readonly line: number,
    readonly lineText: string,
    readonly reason: string,
    /** What was logged while loading, before the error (Redis writes these as it goes). */
    readonly warnings: readonly string[] = [],
    /** Beyond Redis: the state file (absolute) when the line is one of it; null for the configuration. */
    readonly stateFile: string | null = null,
  ) {
    super(reason);
    this.name = 'ConfigError';
  }

  /** The exact stderr output of redis-server for this error. */
  formatFatal(): string {
    const file = this.stateFile === null ? 'the configuration file' : `the state file ${this.stateFile}`;
    const where = this.line > 0 ? `Reading ${file}, at line ${this.line}\n>>> '${this.lineText}'\n` : '';
    return `\n*** FATAL CONFIG FILE ERROR (Redis ${REDIS_VERSION}) ***\n${where}${this.reason}\n`;
  }
}

export interface LoadedConfig {
  server: ServerOptions;
  sentinel: SentinelConfig;
  /** Warnings Redis logs while loading (e.g. `Failed to resolve hostname 'x'`), in order. */
  warnings: string[];
  /**
   * Beyond Redis: the state file (absolute) when `sentinel state-file` is set. The
   * sentinel state above is then the state file's when it exists (see state-file.ts).
   */
  stateFile?: string | null;
}

/** A rule an ACL `user` line cannot accept: `index` counts the rules (the tokens after the user name). */
export interface UserRuleError {
  index: number;
  message: string;
}

export interface ParseConfigOptions {
  /** DNS lookup used with `sentinel resolve-hostnames yes`; null when the name does not resolve. Default: nothing resolves. */
  resolveHost?: (host: string) => string | null;
  /** The working directory relative paths start from. Default: process.cwd(). */
  cwd?: string;
  /**
   * Applies `dir <path>` (given absolute). Returns the strerror text on failure.
   * Default: checks the directory can be entered, without changing the process's directory.
   */
  chdir?: (dir: string) => string | null;
  /** access(path, X_OK), path absolute. Default: the real check. */
  isExecutable?: (path: string) => boolean;
  /** Checks that the log file (absolute) can be opened for appending; returns the strerror text. Default: the real check. */
  checkLogfile?: (path: string) => string | null;
  /** Texts of the files an `include` pattern (absolute) names; throws ConfigOpenError. Default: read from disk. */
  readInclude?: (pattern: string) => string[];
  /** ACL rule validation for `user` lines. Default: the ACL module's, as Redis checks them while loading (checkUserRules). */
  validateUserRules?: (rules: string[]) => UserRuleError | null;
  /** The text of the state file (absolute), null when it does not exist; throws StateFileReadError. Default: read from disk. */
  readStateFile?: (path: string) => string | null;
}

/** ACLSetUserStringError() for ENOENT: an unknown command or category, which loading lets through. */
const UNKNOWN_ACL_NAME = 'Unknown command or category name in ACL';

/**
 * What redis-server checks of a `user` line's rules while reading the config
 * (ACLAppendUserForLoading): each rule applied in turn to a new, empty user,
 * the first refusal fatal, except for unknown command and category names
 * (ENOENT), which only fail later, when the users are created. A `(` selector
 * must be closed by a later rule ending in `)`; otherwise Redis names the rule
 * with the `(` and reports what errno last held, which is ENOENT.
 */
export function checkUserRules(rules: string[]): UserRuleError | null {
  const store = new AclStore(CommandCatalog.load());
  const name = '\u0000config-check';
  for (let j = 0; j < rules.length; j++) {
    const rule = rules[j]!;
    if (rule === '') continue; // ACLSetUser: "Empty string is a no-operation"
    if (rule.startsWith('(')) {
      let close = j;
      while (close < rules.length && !rules[close]!.endsWith(')')) close++;
      if (close === rules.length) return { index: j, message: UNKNOWN_ACL_NAME };
      j = close; // selectors are not checked here
      continue;
    }
    const refused = store.setUser(name, [encodeBytes(rule).toString('latin1')]);
    if (refused !== null && refused.reason !== UNKNOWN_ACL_NAME) return { index: j, message: refused.reason };
  }
  return null;
}

const DUPLICATE_USER = 'Duplicate user found. A user can only be defined once in config files';
const MAX_INCLUDE_DEPTH = 64;
const MIN_HZ = 1;
const MAX_HZ = 500;

/**
 * The whole configuration text Redis loads: the file, then stdin, then the
 * command-line options after a newline (see argvToConfigText). Line numbers in
 * errors count through this text.
 */
export function assembleConfigText(fileText: string | null, stdinText: string | null, optionsText: string): string {
  return `${fileText ?? ''}${stdinText ?? ''}\n${optionsText}`;
}

class ConfigLoader {
  private readonly values = new Map<string, DirectiveValue>();
  private readonly rawArgs = new Map<string, string[]>();
  private readonly sentinelLines: QueuedSentinelLine[] = [];
  private readonly users: string[][] = [];
  private readonly renamedCommands: Array<[string, string]> = [];
  private readonly loadModules: string[][] = [];
  private readonly commands = new Set(SENTINEL_COMMAND_NAMES);
  private readonly warnings: string[] = [];
  private dir: string;
  private saveSeen = false;

  constructor(private readonly opts: ParseConfigOptions) {
    this.dir = opts.cwd ?? process.cwd();
  }

  load(text: string): LoadedConfig {
    this.loadText(text, 0);
    const applied = applySentinelLines(this.sentinelLines, this.sentinelEffects());
    if (!applied.ok) throw new ConfigError(applied.entry.line, applied.entry.text, applied.message, this.warnings);
    const loaded: LoadedConfig = { server: this.serverOptions(), sentinel: applied.config, warnings: this.warnings };
    if (applied.stateFile !== null) {
      // Relative to the directory the sentinel runs in, as Redis opens its other files (after `dir`).
      loaded.stateFile = this.absolute(applied.stateFile);
      loaded.sentinel = this.withState(loaded.stateFile, applied.config);
    }
    return loaded;
  }

  private sentinelEffects(): SentinelLoadEffects {
    return {
      resolveHost: (h) => (this.opts.resolveHost ? this.opts.resolveHost(h) : null),
      isExecutable: (p) => this.isExecutable(this.absolute(p)),
      warn: (m) => this.warnings.push(m),
    };
  }

  /** Beyond Redis: the sentinel state once the state file is loaded over sentinel.conf's. */
  private withState(path: string, fromConfig: SentinelConfig): SentinelConfig {
    let text: string | null;
    try {
      text = (this.opts.readStateFile ?? readStateFile)(path);
    } catch (err) {
      if (!(err instanceof StateFileReadError)) throw err;
      throw new ConfigError(0, '', `Can't read the state file ${path}: ${err.reason}`, this.warnings, path);
    }
    const lines = text === null ? null : stateFileLines(text);
    if (lines === null) return fromConfig;
    if (!Array.isArray(lines)) throw new ConfigError(lines.line, lines.text, lines.message, this.warnings, path);
    const applied = applySentinelLines(lines, this.sentinelEffects());
    if (!applied.ok) throw new ConfigError(applied.entry.line, applied.entry.text, applied.message, this.warnings, path);
    return withStateFile(fromConfig, applied.config);
  }

  private loadText(text: string, depth: number): void {
    const lines = text === '' ? [] : text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = trimConfigLine(lines[i]!);
      if (line === '' || line.startsWith('#')) continue;
      const error = this.loadLine(line, i + 1, depth);
      if (error !== null) throw new ConfigError(i + 1, line, error);
    }
    this.checkLogfile();
  }

  /** Returns the error text for the line, or null. */
  private loadLine(line: string, lineNumber: number, depth: number): string | null {
    const argv = splitArgs(line);
    if (argv === null) return 'Unbalanced quotes in configuration line';
    if (argv.length === 0) return null;
    const name = argv[0]!.toLowerCase();
    const argc = argv.length;

    const spec = lookupDirective(name);
    if (spec) {
      const multiArg = spec.kind === 'special' || spec.kind === 'enum' ? spec.multiArg === true : false;
      if (!multiArg && argc !== 2) return 'wrong number of arguments';
      // A multi-argument directive given one non-empty argument takes it as a list: --bind "a b".
      const args = multiArg && argc === 2 && argv[1] !== '' ? (splitArgs(argv[1]!) ?? []) : argv.slice(1);
      const result = setDirective(spec, args, this.setContext());
      if (!result.ok) return result.error;
      this.values.set(spec.name, result.value);
      this.rawArgs.set(spec.name, args);
      if (spec.name === 'oom-score-adj-values') this.warnOnOomOrder(result.value as number[]);
      return null;
    }
    if (DEPRECATED_DIRECTIVES.includes(name) && argc === 2) return null;

    if (name === 'include' && argc === 2) {
      if (depth >= MAX_INCLUDE_DEPTH) return 'Bad directive or wrong number of arguments';
      for (const text of this.readInclude(argv[1]!)) this.loadText(text, depth + 1);
      return null;
    }
    if (name === 'rename-command' && argc === 3) return this.renameCommand(argv[1]!, argv[2]!);
    if (name === 'user' && argc >= 2) return this.user(argv);
    if (name === 'loadmodule' && argc >= 2) {
      this.loadModules.push(argv.slice(1));
      return null;
    }
    // A module's own directive (`module.option value`): accepted, and unused since a sentinel loads no module.
    if (name.includes('.')) return argc < 2 ? 'Module config specified without value' : null;
    if (name === 'sentinel') {
      if (argc > 1) this.sentinelLines.push({ args: argv.slice(1), line: lineNumber, text: line });
      return null;
    }
    return 'Bad directive or wrong number of arguments';
  }

  private setContext(): SetContext {
    const loader = this;
    return {
      current: (name) => {
        const spec = lookupDirective(name);
        return loader.values.get(name) ?? (spec ? defaultValue(spec) : null);
      },
      chdir: (dir) => {
        // chdir("") fails; resolving "" would silently mean "stay here".
        if (dir === '') return strerror({ code: 'ENOENT' });
        const target = loader.absolute(dir);
        const error = loader.opts.chdir ? loader.opts.chdir(target) : canEnterDirectory(target);
        if (error === null) loader.dir = target;
        return error;
      },
      get saveSeen() {
        return loader.saveSeen;
      },
      set saveSeen(v: boolean) {
        loader.saveSeen = v;
      },
    };
  }

  private warnOnOomOrder(values: number[]): void {
    const [master, replica, bgchild] = values as [number, number, number];
    if (replica < master || bgchild < replica) {
      this.warnings.push(
        'The oom-score-adj-values configuration may not work for non-privileged processes! Please consult the documentation.',
      );
    }
  }

  private renameCommand(from: string, to: string): string | null {
    const key = from.toLowerCase();
    if (!this.commands.has(key)) return 'No such command in rename-command';
    this.commands.delete(key);
    if (to !== '') {
      if (this.commands.has(to.toLowerCase())) return 'Target command name already exists';
      this.commands.add(to.toLowerCase());
    }
    this.renamedCommands.push([from, to]);
    return null;
  }

  private user(argv: string[]): string | null {
    const name = argv[1]!;
    if (this.users.some((u) => u[0] === name)) return `Error in user declaration '${name}': ${DUPLICATE_USER}`;
    const rules = argv.slice(2);
    const bad = (this.opts.validateUserRules ?? checkUserRules)(rules);
    // Redis names the token at the rule's index in the whole line (so rule 0 shows as 'user').
    if (bad !== null) return `Error in user declaration '${argv[bad.index] ?? ''}': ${bad.message}`;
    // An empty rule does nothing in Redis (ACLSetUser), so it is not kept.
    this.users.push(argv.slice(1).filter((token, i) => i === 0 || token !== ''));
    return null;
  }

  private readInclude(pattern: string): string[] {
    if (this.opts.readInclude) return this.opts.readInclude(this.absolute(pattern));
    try {
      return readIncludedFiles(pattern, (p) => this.absolute(p));
    } catch (err) {
      if (err instanceof ConfigOpenError) throw err;
      throw new ConfigOpenError(pattern, strerror(err));
    }
  }

  private checkLogfile(): void {
    const logfile = this.values.get('logfile');
    if (typeof logfile !== 'string' || logfile === '') return;
    const target = this.absolute(logfile);
    const error = this.opts.checkLogfile ? this.opts.checkLogfile(target) : canAppend(target);
    if (error !== null) throw new ConfigError(0, '', `Can't open the log file: ${error}`);
  }

  private isExecutable(path: string): boolean {
    if (this.opts.isExecutable) return this.opts.isExecutable(path);
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  }

  private absolute(p: string): string {
    return resolvePath(this.dir, p);
  }

  private serverOptions(): ServerOptions {
    const server = defaultServerOptions(this.dir);
    for (const [name, value] of this.values) {
      const binding = TYPED_DIRECTIVES.get(name);
      if (binding) binding.set(server, value);
      else server.other.set(name, mergedArgs(name, value) ?? this.rawArgs.get(name)!);
    }
    server.dir = this.dir;
    server.hz = Math.min(MAX_HZ, Math.max(MIN_HZ, server.hz));
    server.renamedCommands = this.renamedCommands;
    server.users = this.users;
    server.loadModules = this.loadModules;
    return server;
  }
}

/** Redis trims spaces, tabs, CR and LF (but not other blanks) from both ends of a line. */
export function trimConfigLine(line: string): string {
  return line.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
}

function canEnterDirectory(path: string): string | null {
  try {
    if (!statSync(path).isDirectory()) return strerror({ code: 'ENOTDIR' });
    accessSync(path, constants.X_OK);
    return null;
  } catch (err) {
    return strerror(err);
  }
}

function canAppend(path: string): string | null {
  try {
    closeSync(openSync(path, 'a'));
    return null;
  } catch (err) {
    return strerror(err);
  }
}

/**
 * Parses a whole configuration text (see assembleConfigText). Throws
 * ConfigError for a fatal error, ConfigOpenError when an included file cannot
 * be read.
 */
export function parseConfig(text: string, opts: ParseConfigOptions = {}): LoadedConfig {
  return new ConfigLoader(opts).load(text);
}
