import { Redis, type RedisOptions } from 'ioredis';
import { LOOPBACK } from './redis-server.js';

/**
 * An ioredis client that never hangs a test: it connects on first use, does
 * not retry or queue while disconnected, and every command has a deadline.
 */
export function createClient(port: number, overrides: Partial<RedisOptions> = {}): Redis {
  return new Redis({
    host: LOOPBACK,
    port,
    lazyConnect: true,
    enableReadyCheck: false,
    enableOfflineQueue: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    reconnectOnError: () => false,
    connectTimeout: 2000,
    commandTimeout: 5000,
    ...overrides,
  });
}

/** SENTINEL's RESP2 flat `[k1, v1, k2, v2, ...]` as an object that keeps the field order. */
export function pairsToRecord(flat: unknown): Record<string, string> {
  if (!Array.isArray(flat) || flat.length % 2 !== 0) {
    throw new Error(`expected a flat key/value array, got ${JSON.stringify(flat)}`);
  }
  const record: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) record[String(flat[i])] = String(flat[i + 1]);
  return record;
}

/** The SENTINEL queries tests make all the time, over a client of the caller. */
export class SentinelQueries {
  constructor(readonly client: Redis) {}

  async master(name: string): Promise<Record<string, string>> {
    return pairsToRecord(await this.client.call('SENTINEL', 'MASTER', name));
  }

  async masters(): Promise<Array<Record<string, string>>> {
    return ((await this.client.call('SENTINEL', 'MASTERS')) as unknown[]).map(pairsToRecord);
  }

  async replicas(name: string): Promise<Array<Record<string, string>>> {
    return ((await this.client.call('SENTINEL', 'REPLICAS', name)) as unknown[]).map(pairsToRecord);
  }

  async sentinels(name: string): Promise<Array<Record<string, string>>> {
    return ((await this.client.call('SENTINEL', 'SENTINELS', name)) as unknown[]).map(pairsToRecord);
  }

  async myid(): Promise<string> {
    return String(await this.client.call('SENTINEL', 'MYID'));
  }

  async masterAddr(name: string): Promise<[string, string] | null> {
    return (await this.client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as [string, string] | null;
  }
}

/** The `flags` field split into its tokens. */
export function flagsOf(instance: Record<string, string>): string[] {
  return (instance.flags ?? '').split(',').filter(Boolean);
}
