import type { Redis } from 'ioredis';
import { createClient } from './clients.js';
import { waitFor } from './wait-for.js';

export interface SentinelEvent {
  channel: string;
  message: string;
  /** Date.now() when the message arrived. */
  time: number;
}

export interface EventQuery {
  channel: string;
  /** The message must match this (a string must be equal). */
  message?: RegExp | string;
  /** Only events that arrived at or after this Date.now() value. */
  since?: number;
}

function matches(e: SentinelEvent, q: EventQuery): boolean {
  if (e.channel !== q.channel) return false;
  if (q.since !== undefined && e.time < q.since) return false;
  if (q.message === undefined) return true;
  return typeof q.message === 'string' ? e.message === q.message : q.message.test(e.message);
}

/**
 * Records every event a sentinel publishes (`+sdown`, `-sdown`, `+switch-master`, ...)
 * through `PSUBSCRIBE *`, the way operators' tools listen to it.
 */
export class EventCollector {
  readonly events: SentinelEvent[] = [];

  private constructor(
    private readonly client: Redis,
    readonly port: number,
  ) {}

  static async start(port: number, pattern = '*'): Promise<EventCollector> {
    const client = createClient(port);
    const collector = new EventCollector(client, port);
    client.on('pmessage', (_pattern: string, channel: string, message: string) => {
      collector.events.push({ channel, message, time: Date.now() });
    });
    await client.psubscribe(pattern);
    return collector;
  }

  find(q: EventQuery): SentinelEvent | undefined {
    return this.events.find((e) => matches(e, q));
  }

  all(q: EventQuery): SentinelEvent[] {
    return this.events.filter((e) => matches(e, q));
  }

  async waitFor(q: EventQuery, timeoutMs: number): Promise<SentinelEvent> {
    return waitFor(() => this.find(q), {
      timeoutMs,
      intervalMs: 20,
      description: `event ${q.channel}${q.message !== undefined ? ` ${q.message}` : ''} from the sentinel on port ${this.port}`,
    }).catch((e: Error) => {
      const seen = this.events.map((x) => `  ${x.channel} ${x.message}`).join('\n') || '  (none)';
      throw new Error(`${e.message}\nevents received:\n${seen}`);
    }) as Promise<SentinelEvent>;
  }

  close(): void {
    this.client.disconnect();
  }
}
