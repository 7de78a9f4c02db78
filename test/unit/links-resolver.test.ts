import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { BlockingLookup } from '../../src/links/blocking-lookup.js';
import { HostResolver, recordingResolver, systemLookup, type LookupFn } from '../../src/links/resolver.js';
import { parseConfig } from '../../src/config/load.js';

/** A lookup whose answers the test gives, one pending promise per call. */
function scriptedLookup() {
  const calls: Array<{ host: string; answer: (ip: string | null) => void; fail: (e: Error) => void }> = [];
  const lookup: LookupFn = (host) =>
    new Promise((resolve, reject) => calls.push({ host, answer: resolve, fail: reject }));
  return { lookup, calls };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('HostResolver', () => {
  it('answers IP literals without a lookup', () => {
    const { lookup, calls } = scriptedLookup();
    const r = new HostResolver({ lookup });
    expect(r.resolve('10.1.2.3')).toBe('10.1.2.3');
    expect(r.resolve('::1')).toBe('::1');
    expect(calls).toEqual([]);
  });

  it('misses once, looks up in the background, then answers from the cache', async () => {
    const { lookup, calls } = scriptedLookup();
    const r = new HostResolver({ lookup });
    expect(r.resolve('Db.Example')).toBeNull();
    expect(r.resolve('db.example')).toBeNull();
    // one lookup for both asks, the name compared without case
    expect(calls.map((c) => c.host)).toEqual(['db.example']);
    calls[0]!.answer('192.0.2.7');
    await settle();
    expect(r.resolve('DB.example')).toBe('192.0.2.7');
    expect(calls).toHaveLength(1);
  });

  it('believes "no such name" for the negative TTL, then asks again', async () => {
    let now = 0;
    const { lookup, calls } = scriptedLookup();
    const r = new HostResolver({ lookup, clock: () => now, negativeTtlMs: 5000 });
    r.resolve('gone.example');
    calls[0]!.answer(null);
    await settle();
    now = 4999;
    expect(r.resolve('gone.example')).toBeNull();
    expect(calls).toHaveLength(1);
    now = 5000;
    expect(r.resolve('gone.example')).toBeNull();
    expect(calls).toHaveLength(2);
    calls[1]!.answer('192.0.2.9');
    await settle();
    expect(r.resolve('gone.example')).toBe('192.0.2.9');
  });

  it('refresh follows a moved name, keeps the old address on a transient failure, and drops idle names', async () => {
    let now = 0;
    const { lookup, calls } = scriptedLookup();
    const r = new HostResolver({ lookup, clock: () => now, idleExpiryMs: 60_000 });
    await Promise.all([r.preResolve(['a.example', 'b.example']), settle().then(() => calls.forEach((c, i) => c.answer(`192.0.2.${i + 1}`)))]);
    expect(r.resolve('a.example')).toBe('192.0.2.1');

    now = 30_000;
    r.refresh();
    expect(calls.slice(2).map((c) => c.host).sort()).toEqual(['a.example', 'b.example']);
    calls.find((c, i) => i >= 2 && c.host === 'a.example')!.answer('192.0.2.50');
    calls.find((c, i) => i >= 2 && c.host === 'b.example')!.fail(Object.assign(new Error('timeout'), { code: 'EAI_AGAIN' }));
    await settle();
    expect(r.resolve('a.example')).toBe('192.0.2.50');
    now = 59_999;
    expect(r.size).toBe(2);
    // b was last asked at 0: idle for 60 s at the next refresh
    now = 60_000;
    r.refresh();
    expect(r.size).toBe(1);
    expect(r.resolve('a.example')).toBe('192.0.2.50');
  });

  it('keeps the cache and the lookups in flight bounded when asked for endless new names', async () => {
    const { lookup, calls } = scriptedLookup();
    const r = new HostResolver({ lookup, maxEntries: 100, maxInFlight: 4 });
    for (let i = 0; i < 1000; i++) r.resolve(`n${i}.example`);
    expect(calls).toHaveLength(4);
    for (let round = 0; round < 50; round++) {
      for (const c of calls.splice(0)) c.answer('192.0.2.1');
      await settle();
      for (let i = 0; i < 10; i++) r.resolve(`m${round}-${i}.example`);
    }
    expect(r.size).toBeLessThanOrEqual(100);
    expect(r.size).toBeGreaterThan(50);
  });

  it('preResolve waits for the answers, but no longer than its timeout', async () => {
    const { lookup, calls } = scriptedLookup();
    const r = new HostResolver({ lookup });
    const started = Date.now();
    await r.preResolve(['slow.example', '127.0.0.1'], 100);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(calls.map((c) => c.host)).toEqual(['slow.example']);
    expect(r.resolve('slow.example')).toBeNull();
  });

  it('a failed first lookup is a miss, retried after the negative TTL', async () => {
    let now = 0;
    const { lookup, calls } = scriptedLookup();
    const r = new HostResolver({ lookup, clock: () => now, negativeTtlMs: 1000 });
    r.resolve('flaky.example');
    calls[0]!.fail(new Error('EAI_AGAIN'));
    await settle();
    expect(r.resolve('flaky.example')).toBeNull();
    now = 1000;
    r.resolve('flaky.example');
    expect(calls).toHaveLength(2);
  });
});

describe('blocking lookups for client commands', () => {
  it('inside blockOnMiss a miss is answered at once; outside it stays a miss', () => {
    const asked: string[] = [];
    const { lookup, calls } = scriptedLookup();
    const r = new HostResolver({
      lookup,
      blockingLookup: (host) => {
        asked.push(host);
        return host === 'db.example' ? '192.0.2.20' : host === 'gone.example' ? null : undefined;
      },
    });
    expect(r.resolve('other.example')).toBeNull();
    expect(asked).toEqual([]);
    expect(r.blockOnMiss(() => r.resolve('DB.example'))).toBe('192.0.2.20');
    // cached now: no second blocking lookup, and the answer holds outside too
    expect(r.blockOnMiss(() => r.resolve('db.example'))).toBe('192.0.2.20');
    expect(r.resolve('db.example')).toBe('192.0.2.20');
    expect(asked).toEqual(['db.example']);
    expect(r.blockOnMiss(() => r.resolve('gone.example'))).toBeNull();
    // no answer in time: a miss, and a background lookup is started
    expect(r.blockOnMiss(() => r.resolve('slow.example'))).toBeNull();
    expect(calls.map((c) => c.host)).toEqual(['other.example', 'slow.example']);
  });

  it('the worker-thread lookup resolves synchronously, and times out instead of hanging', () => {
    const blocking = new BlockingLookup();
    try {
      expect(blocking.lookup('localhost', 5000)).toMatch(/^(127\.0\.0\.1|::1)$/);
      expect(blocking.lookup(hostname(), 5000)).not.toBeNull();
      const started = Date.now();
      // 0 ms cannot be met by a real lookup
      expect(blocking.lookup('localhost', 0)).toBeUndefined();
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      blocking.close();
    }
  });
});

describe('system lookup', () => {
  it('resolves localhost and this machine\'s name through the system (getaddrinfo)', async () => {
    expect(await systemLookup('localhost')).toMatch(/^(127\.0\.0\.1|::1)$/);
    expect(await systemLookup(hostname())).not.toBeNull();
  });
});

describe('recording pass over a config', () => {
  it('collects the names a config with resolve-hostnames needs, and only those', () => {
    const text = [
      'sentinel resolve-hostnames yes',
      'sentinel monitor m db.example 6379 2',
      'sentinel known-replica m replica.example 6380',
      'sentinel known-replica m 10.0.0.2 6380',
      'sentinel known-sentinel m peer.example 26379 0123456789012345678901234567890123456789',
    ].join('\n');
    const rec = recordingResolver();
    parseConfig(text, { resolveHost: rec.record, checkLogfile: () => null });
    expect([...rec.names].sort()).toEqual(['db.example', 'peer.example', 'replica.example']);

    const off = recordingResolver();
    parseConfig('sentinel monitor m 10.0.0.1 6379 2', { resolveHost: off.record, checkLogfile: () => null });
    expect([...off.names]).toEqual([]);
  });

  it('the second pass gets the addresses found in between', async () => {
    const { lookup, calls } = scriptedLookup();
    const r = new HostResolver({ lookup });
    const text = 'sentinel resolve-hostnames yes\nsentinel monitor m db.example 6379 2\n';
    const rec = recordingResolver();
    const first = parseConfig(text, { resolveHost: rec.record, checkLogfile: () => null });
    expect(first.warnings).toEqual(["Failed to resolve hostname 'db.example'"]);
    const done = r.preResolve(rec.names);
    calls[0]!.answer('192.0.2.10');
    await done;
    const loaded = parseConfig(text, { resolveHost: r.resolve, checkLogfile: () => null });
    expect(loaded.warnings).toEqual([]);
    expect(loaded.sentinel.masters[0]).toMatchObject({ host: 'db.example', port: 6379 });
  });
});
