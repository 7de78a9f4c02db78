import { bulk, push, type Reply } from '../resp/reply.js';
import { globMatch } from '../core/glob.js';

/** A connection that can hold subscriptions. Channel and pattern names are latin1 byte strings. */
export interface Subscriber {
  readonly channels: Set<string>;
  readonly patterns: Set<string>;
  deliver(message: Reply): void;
}

/** The server's channels and patterns, and who listens to each. */
export class PubSub {
  private readonly channels = new Map<string, Set<Subscriber>>();
  private readonly patterns = new Map<string, Set<Subscriber>>();

  /** Number of channels with at least one subscriber (INFO pubsub_channels). */
  get channelCount(): number {
    return this.channels.size;
  }

  /** Number of distinct subscribed patterns (INFO pubsub_patterns). */
  get patternCount(): number {
    return this.patterns.size;
  }

  subscribe(who: Subscriber, channel: string): void {
    add(this.channels, who.channels, who, channel);
  }

  unsubscribe(who: Subscriber, channel: string): void {
    remove(this.channels, who.channels, who, channel);
  }

  psubscribe(who: Subscriber, pattern: string): void {
    add(this.patterns, who.patterns, who, pattern);
  }

  punsubscribe(who: Subscriber, pattern: string): void {
    remove(this.patterns, who.patterns, who, pattern);
  }

  /** Drops every subscription of a connection that goes away. */
  forget(who: Subscriber): void {
    for (const channel of [...who.channels]) this.unsubscribe(who, channel);
    for (const pattern of [...who.patterns]) this.punsubscribe(who, pattern);
  }

  /**
   * Delivers to the channel's subscribers, then to every matching pattern's
   * subscribers; returns the number of deliveries (as PUBLISH would count them).
   */
  publish(channel: string, message: Buffer): number {
    const channelBytes = Buffer.from(channel, 'latin1');
    let receivers = 0;
    for (const who of this.channels.get(channel) ?? []) {
      who.deliver(push([bulk('message'), bulk(channelBytes), bulk(message)]));
      receivers++;
    }
    for (const [pattern, subscribers] of this.patterns) {
      const patternBytes = Buffer.from(pattern, 'latin1');
      if (!globMatch(patternBytes, channelBytes)) continue;
      for (const who of subscribers) {
        who.deliver(push([bulk('pmessage'), bulk(patternBytes), bulk(channelBytes), bulk(message)]));
        receivers++;
      }
    }
    return receivers;
  }
}

function add(index: Map<string, Set<Subscriber>>, own: Set<string>, who: Subscriber, name: string): void {
  if (own.has(name)) return;
  own.add(name);
  let subscribers = index.get(name);
  if (subscribers === undefined) index.set(name, (subscribers = new Set()));
  subscribers.add(who);
}

function remove(index: Map<string, Set<Subscriber>>, own: Set<string>, who: Subscriber, name: string): void {
  if (!own.delete(name)) return;
  const subscribers = index.get(name);
  subscribers?.delete(who);
  if (subscribers?.size === 0) index.delete(name);
}
