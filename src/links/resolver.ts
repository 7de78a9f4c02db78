/**
 * Hostname resolution for `sentinel resolve-hostnames yes`. The core asks
 * synchronously (Resolver: host -> ip | null) and Node's DNS is asynchronous, so
 * answers come from a cache: a miss starts a lookup and answers null, and the
 * next attempt (the next INFO, hello or client command) finds the address.
 * Entries in use are looked up again periodically, so a moved name is followed.
 * Inside blockOnMiss() (a client's command) a miss is looked up synchronously
 * instead, as Redis does, so the client gets its answer on the first try.
 */
import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import type { Resolver } from '../core/address.js';
import type { BlockingLookupFn } from './blocking-lookup.js';

/** One lookup: the address, or null when the name does not exist; throws on a transient failure. */
export type LookupFn = (host: string) => Promise<string | null>;

export interface HostResolverOptions {
  lookup?: LookupFn;
  /** How often names in the cache are looked up again. */
  refreshMs?: number;
  /** A name not asked for this long is dropped at the next refresh. */
  idleExpiryMs?: number;
  /** How long "no such name" is believed before a new lookup is started on a miss. */
  negativeTtlMs?: number;
  /** Cache size; the least recently used name goes first. Peers can make us look up any name. */
  maxEntries?: number;
  /** Lookups running at once; further misses start none (they are retried on the next ask). */
  maxInFlight?: number;
  /** The synchronous lookup used inside blockOnMiss(); none: misses there are misses too. */
  blockingLookup?: BlockingLookupFn | null;
  /** The longest a blocking lookup may stall the daemon. */
  blockingTimeoutMs?: number;
  clock?: () => number;
}

export const RESOLVER_DEFAULTS = {
  refreshMs: 60_000,
  idleExpiryMs: 10 * 60_000,
  negativeTtlMs: 5_000,
  maxEntries: 1024,
  maxInFlight: 16,
  blockingTimeoutMs: 5_000,
} as const;

interface Entry {
  ip: string | null;
  resolvedAt: number;
  lastAsked: number;
}

/** getaddrinfo(AF_UNSPEC) and its first answer, as Redis's anetResolve takes it. */
export const systemLookup: LookupFn = async (host) => {
  try {
    const { address } = await dns.lookup(host, { verbatim: true });
    return address;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA') return null;
    throw e;
  }
};

export class HostResolver {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly lookup: LookupFn;
  private readonly clock: () => number;
  private readonly blockingLookup: BlockingLookupFn | null;
  private readonly settings: Required<Omit<HostResolverOptions, 'lookup' | 'clock' | 'blockingLookup'>>;
  private timer: NodeJS.Timeout | null = null;
  private blockingDepth = 0;

  constructor(options: HostResolverOptions = {}) {
    this.lookup = options.lookup ?? systemLookup;
    this.clock = options.clock ?? Date.now;
    this.blockingLookup = options.blockingLookup ?? null;
    this.settings = {
      refreshMs: options.refreshMs ?? RESOLVER_DEFAULTS.refreshMs,
      idleExpiryMs: options.idleExpiryMs ?? RESOLVER_DEFAULTS.idleExpiryMs,
      negativeTtlMs: options.negativeTtlMs ?? RESOLVER_DEFAULTS.negativeTtlMs,
      maxEntries: options.maxEntries ?? RESOLVER_DEFAULTS.maxEntries,
      maxInFlight: options.maxInFlight ?? RESOLVER_DEFAULTS.maxInFlight,
      blockingTimeoutMs: options.blockingTimeoutMs ?? RESOLVER_DEFAULTS.blockingTimeoutMs,
    };
  }

  /** The synchronous answer the core gets: IP literals as they are, names from the cache. */
  readonly resolve: Resolver = (host) => {
    if (isIP(host)) return host;
    if (host === '') return null;
    const key = host.toLowerCase();
    const entry = this.entries.get(key);
    const now = this.clock();
    if (entry === undefined) return this.lookUpMiss(key);
    entry.lastAsked = now;
    // Move to the end: Map order is the LRU order.
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (entry.ip === null && now - entry.resolvedAt >= this.settings.negativeTtlMs) return this.lookUpMiss(key);
    return entry.ip;
  };

  /** Runs `fn` with misses looked up synchronously (when a blocking lookup was given). */
  blockOnMiss<T>(fn: () => T): T {
    this.blockingDepth++;
    try {
      return fn();
    } finally {
      this.blockingDepth--;
    }
  }

  private lookUpMiss(key: string): string | null {
    if (this.blockingDepth > 0 && this.blockingLookup !== null) {
      const ip = this.blockingLookup(key, this.settings.blockingTimeoutMs);
      if (ip !== undefined) {
        this.store(key, ip);
        return ip;
      }
    }
    this.startLookup(key);
    return null;
  }

  /** Looks up every name (IP literals skipped) and waits, at most `timeoutMs`, for the answers. */
  async preResolve(hosts: Iterable<string>, timeoutMs = 10_000): Promise<void> {
    const names = [...new Set([...hosts].filter((h) => h !== '' && !isIP(h)).map((h) => h.toLowerCase()))];
    const pending = names.map((name) => this.startLookup(name, true) ?? Promise.resolve());
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)));
    await Promise.race([Promise.all(pending), deadline]);
    clearTimeout(timer);
  }

  /** Starts the periodic refresh (unref'd: it never keeps the process alive). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.refresh(), this.settings.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Drops names nobody asked for lately, looks up the others again. */
  refresh(): void {
    const now = this.clock();
    for (const [key, entry] of this.entries) {
      if (now - entry.lastAsked >= this.settings.idleExpiryMs) this.entries.delete(key);
      else this.startLookup(key);
    }
  }

  /** Names cached, for tests and diagnostics. */
  get size(): number {
    return this.entries.size;
  }

  /** The lookup of `key`, or null when none could be started (too many running). */
  private startLookup(key: string, force = false): Promise<void> | null {
    const running = this.inFlight.get(key);
    if (running) return running;
    if (!force && this.inFlight.size >= this.settings.maxInFlight) return null;
    const done = this.lookup(key)
      .then(
        (ip) => this.store(key, ip),
        () => {
          // A transient failure keeps what we knew; a name never resolved stays a miss.
          const entry = this.entries.get(key);
          if (entry) entry.resolvedAt = this.clock();
          else this.store(key, null);
        },
      )
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, done);
    return done;
  }

  private store(key: string, ip: string | null): void {
    const now = this.clock();
    const entry = this.entries.get(key);
    if (entry) {
      entry.ip = ip;
      entry.resolvedAt = now;
      return;
    }
    this.entries.set(key, { ip, resolvedAt: now, lastAsked: now });
    while (this.entries.size > this.settings.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}

/**
 * Collects the names a config asks to resolve: pass `record` as parseConfig's
 * resolveHost in a first pass, then preResolve `names`.
 */
export function recordingResolver(): { record: (host: string) => string | null; names: Set<string> } {
  const names = new Set<string>();
  return {
    names,
    record: (host) => {
      if (isIP(host)) return host;
      names.add(host);
      return null;
    },
  };
}
