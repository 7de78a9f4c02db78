import { createHash } from 'node:crypto';
import type { CommandCatalog, CommandSpec } from './command-catalog.js';
import { globMatch } from '../core/glob.js';

/**
 * ACL users as redis-sentinel 7.0 keeps them: enabled flag, passwords (SHA-256),
 * key and channel patterns, and the set of commands the user may run.
 *
 * Names, passwords and patterns are byte strings (latin1-decoded), so that they
 * hash and compare exactly as the bytes a client sent.
 *
 * Simplifications, all invisible to a sentinel's usual clients:
 * - the command rules are shown as applied (`-@all +ping -@admin`), where Redis
 *   recomputes a minimal description from its bitmaps;
 * - selectors (`(...)`) are refused with a syntax error;
 * - `+cmd|arg` first-argument rules exist only for real subcommands.
 */
export class AclUser {
  enabled = false;
  nopass = false;
  payloadSanitizing: 'default' | 'sanitize' | 'skip' = 'default';
  /** SHA-256 hex digests, in the order they were added. */
  passwords: string[] = [];
  allKeys = false;
  /** As written: `~foo`, `%R~bar`. */
  keyPatterns: string[] = [];
  allChannels = false;
  /** Without the leading `&`. */
  channelPatterns: string[] = [];
  /** The command rules as applied, starting with `+@all` or `-@all`. */
  commandRules: string[] = ['-@all'];
  /** Full names of the commands and subcommands this user may run. */
  allowed = new Set<string>();

  constructor(readonly name: string) {}

  copyFrom(other: AclUser): void {
    this.enabled = other.enabled;
    this.nopass = other.nopass;
    this.payloadSanitizing = other.payloadSanitizing;
    this.passwords = [...other.passwords];
    this.allKeys = other.allKeys;
    this.keyPatterns = [...other.keyPatterns];
    this.allChannels = other.allChannels;
    this.channelPatterns = [...other.channelPatterns];
    this.commandRules = [...other.commandRules];
    this.allowed = new Set(other.allowed);
  }

  /** The flags of ACL GETUSER. */
  flags(): string[] {
    const flags = [this.enabled ? 'on' : 'off'];
    if (this.nopass) flags.push('nopass');
    if (this.payloadSanitizing === 'skip') flags.push('skip-sanitize-payload');
    if (this.payloadSanitizing === 'sanitize') flags.push('sanitize-payload');
    return flags;
  }

  keysText(): string {
    return this.allKeys ? '~*' : this.keyPatterns.join(' ');
  }

  channelsText(): string {
    return this.allChannels ? '&*' : this.channelPatterns.map((p) => `&${p}`).join(' ');
  }

  /** The rule list of ACL LIST and of the `user` config line. */
  describe(): string {
    const parts = this.flags();
    parts.push(...this.passwords.map((h) => `#${h}`));
    if (this.allKeys) parts.push('~*');
    else parts.push(...this.keyPatterns);
    if (this.allChannels) parts.push('&*');
    else parts.push('resetchannels', ...this.channelPatterns.map((p) => `&${p}`));
    parts.push(...this.commandRules);
    return parts.join(' ');
  }
}

/** Why a rule was refused; the text follows `Error in ACL SETUSER modifier '<rule>': `. */
export class AclRuleError extends Error {}

const UNKNOWN_NAME = 'Unknown command or category name in ACL';
const SYNTAX = 'Syntax error';
const NO_SUCH_PASSWORD = 'The password you are trying to remove from the user does not exist';
const BAD_HASH = 'The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters';
const KEY_AFTER_ALL =
  "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns";
const CHANNEL_AFTER_ALL =
  "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels";

/** The channel arguments of a pub/sub command, as ACL checks them; null for other commands. */
export function channelArguments(command: string, argv: Buffer[]): { names: string[]; patterns: boolean } | null {
  const all = () => argv.slice(1).map((a) => a.toString('latin1'));
  if (command === 'subscribe') return { names: all(), patterns: false };
  if (command === 'psubscribe') return { names: all(), patterns: true };
  if (command === 'publish') return { names: [argv[1].toString('latin1')], patterns: false };
  return null;
}

export function sha256Hex(bytes: string): string {
  return createHash('sha256').update(Buffer.from(bytes, 'latin1')).digest('hex');
}

export class AclStore {
  private readonly users = new Map<string, AclUser>();

  constructor(private readonly catalog: CommandCatalog) {
    const user = new AclUser('default');
    for (const rule of ['on', 'nopass', '~*', '&*', '+@all']) this.applyRule(user, rule);
    this.users.set(user.name, user);
  }

  get defaultUser(): AclUser {
    const user = this.users.get('default');
    if (user === undefined) throw new Error('the default user is missing');
    return user;
  }

  get(name: string): AclUser | undefined {
    return this.users.get(name);
  }

  /** All users, sorted by name as Redis lists them. */
  list(): AclUser[] {
    return [...this.users.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * ACL SETUSER: applies every rule to a copy and keeps it only if all succeed.
   * Returns the refused rule and why, or null. Creates the user when missing.
   */
  setUser(name: string, rules: string[]): { rule: string; reason: string } | null {
    const existing = this.users.get(name);
    const draft = new AclUser(name);
    if (existing !== undefined) draft.copyFrom(existing);
    for (const rule of rules) {
      try {
        this.applyRule(draft, rule);
      } catch (e) {
        if (e instanceof AclRuleError) return { rule, reason: e.message };
        throw e;
      }
    }
    if (existing !== undefined) existing.copyFrom(draft);
    else this.users.set(name, draft);
    return null;
  }

  delete(name: string): boolean {
    if (name === 'default') return false;
    return this.users.delete(name);
  }

  /** The user that `name`/`password` authenticate as, or null. */
  authenticate(name: string, password: string): AclUser | null {
    const user = this.users.get(name);
    if (user === undefined || !user.enabled) return null;
    if (user.nopass || user.passwords.includes(sha256Hex(password))) return user;
    return null;
  }

  /** requirepass: the default user's only password, or nopass when null. */
  setDefaultPassword(password: string | null): void {
    const user = this.defaultUser;
    this.applyRule(user, 'resetpass');
    this.applyRule(user, password === null ? 'nopass' : `>${password}`);
  }

  canRun(user: AclUser, spec: CommandSpec): boolean {
    return user.allowed.has(spec.permittedAs ?? spec.name);
  }

  /** A channel is matched against the user's patterns; a PSUBSCRIBE pattern must equal one of them. */
  canAccessChannel(user: AclUser, channel: string, isPattern: boolean): boolean {
    if (user.allChannels) return true;
    const bytes = Buffer.from(channel, 'latin1');
    return user.channelPatterns.some((p) => (isPattern ? p === channel : globMatch(Buffer.from(p, 'latin1'), bytes)));
  }

  private applyRule(user: AclUser, rule: string): void {
    const lower = rule.toLowerCase();
    switch (lower) {
      case 'on':
        user.enabled = true;
        return;
      case 'off':
        user.enabled = false;
        return;
      case 'skip-sanitize-payload':
        user.payloadSanitizing = 'skip';
        return;
      case 'sanitize-payload':
        user.payloadSanitizing = 'sanitize';
        return;
      case 'allkeys':
        user.allKeys = true;
        user.keyPatterns = [];
        return;
      case 'resetkeys':
        user.allKeys = false;
        user.keyPatterns = [];
        return;
      case 'allchannels':
        user.allChannels = true;
        user.channelPatterns = [];
        return;
      case 'resetchannels':
        user.allChannels = false;
        user.channelPatterns = [];
        return;
      case 'nopass':
        user.nopass = true;
        user.passwords = [];
        return;
      case 'resetpass':
        user.nopass = false;
        user.passwords = [];
        return;
      case 'allcommands':
        this.applyRule(user, '+@all');
        return;
      case 'nocommands':
        this.applyRule(user, '-@all');
        return;
      case 'clearselectors':
        return;
      case 'reset':
        for (const r of ['resetpass', 'resetkeys', 'resetchannels', 'off', '-@all']) this.applyRule(user, r);
        user.payloadSanitizing = 'sanitize';
        return;
    }
    switch (rule[0]) {
      case '>':
        addOnce(user.passwords, sha256Hex(rule.slice(1)));
        user.nopass = false;
        return;
      case '#':
        addOnce(user.passwords, checkedHash(rule.slice(1)));
        user.nopass = false;
        return;
      case '<':
        removePassword(user, sha256Hex(rule.slice(1)));
        return;
      case '!':
        removePassword(user, checkedHash(rule.slice(1)));
        return;
      case '~':
      case '%':
        addKeyPattern(user, rule);
        return;
      case '&':
        addChannelPattern(user, rule.slice(1));
        return;
      case '+':
      case '-':
        this.applyCommandRule(user, rule[0] === '+', lower.slice(1));
        return;
    }
    throw new AclRuleError(SYNTAX);
  }

  private applyCommandRule(user: AclUser, allow: boolean, name: string): void {
    let affected: CommandSpec[];
    if (name === '@all') {
      affected = this.catalog.all();
      user.allowed.clear();
      user.commandRules = [];
    } else if (name.startsWith('@')) {
      const category = name.slice(1);
      if (!this.catalog.categories.includes(category)) throw new AclRuleError(UNKNOWN_NAME);
      affected = this.catalog.all().filter((spec) => spec.categories.includes(category));
    } else {
      const spec = this.catalog.get(name);
      if (spec === undefined) throw new AclRuleError(UNKNOWN_NAME);
      affected = [spec, ...spec.subcommands.values()];
    }
    for (const spec of affected) {
      if (allow) user.allowed.add(spec.name);
      else user.allowed.delete(spec.name);
    }
    user.commandRules.push(`${allow ? '+' : '-'}${name}`);
  }
}

function addOnce(list: string[], value: string): void {
  if (!list.includes(value)) list.push(value);
}

function checkedHash(hash: string): string {
  if (!/^[0-9a-f]{64}$/.test(hash)) throw new AclRuleError(BAD_HASH);
  return hash;
}

function removePassword(user: AclUser, hash: string): void {
  const at = user.passwords.indexOf(hash);
  if (at === -1) throw new AclRuleError(NO_SUCH_PASSWORD);
  user.passwords.splice(at, 1);
  user.nopass = false;
}

function addKeyPattern(user: AclUser, rule: string): void {
  if (user.allKeys) throw new AclRuleError(KEY_AFTER_ALL);
  let pattern: string;
  let prefix = '~';
  if (rule.startsWith('%')) {
    const tilde = rule.indexOf('~');
    if (tilde < 2) throw new AclRuleError(SYNTAX);
    const perms = rule.slice(1, tilde).toUpperCase();
    if (!/^[RW]+$/.test(perms)) throw new AclRuleError(SYNTAX);
    const read = perms.includes('R');
    const write = perms.includes('W');
    if (!(read && write)) prefix = read ? '%R~' : '%W~';
    pattern = rule.slice(tilde + 1);
  } else {
    pattern = rule.slice(1);
  }
  if (prefix === '~' && pattern === '*') {
    user.allKeys = true;
    user.keyPatterns = [];
    return;
  }
  addOnce(user.keyPatterns, `${prefix}${pattern}`);
}

function addChannelPattern(user: AclUser, pattern: string): void {
  if (user.allChannels) throw new AclRuleError(CHANNEL_AFTER_ALL);
  if (pattern === '*') {
    user.allChannels = true;
    user.channelPatterns = [];
    return;
  }
  addOnce(user.channelPatterns, pattern);
}
