import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventPublisher } from '../../src/events/event-publisher.js';

describe('EventPublisher', () => {
  let delivered: string[];
  const deliver = (channel: string, message: string) => delivered.push(`${channel} ${message}`);

  beforeEach(() => {
    delivered = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it('delivers every event at once when there is no hold (redis-sentinel timing)', () => {
    const p = new EventPublisher(deliver, 0);
    p.publish('+promoted-slave', 'slave a');
    p.publish('+switch-master', 'm 127.0.0.1 1 127.0.0.1 2');
    p.publish('+slave', 'slave b');
    expect(delivered).toEqual(['+promoted-slave slave a', '+switch-master m 127.0.0.1 1 127.0.0.1 2', '+slave slave b']);
  });

  it('holds +switch-master and everything after it for the hold, then delivers them in order', () => {
    const p = new EventPublisher(deliver, 100);
    p.publish('+sdown', 'master m');
    p.publish('+switch-master', 'm 127.0.0.1 1 127.0.0.1 2');
    p.publish('+slave', 'slave b');
    expect(delivered).toEqual(['+sdown master m']);
    vi.advanceTimersByTime(99);
    expect(delivered).toEqual(['+sdown master m']);
    vi.advanceTimersByTime(1);
    expect(delivered).toEqual(['+sdown master m', '+switch-master m 127.0.0.1 1 127.0.0.1 2', '+slave slave b']);
    p.publish('+sdown', 'slave c');
    expect(delivered.at(-1)).toBe('+sdown slave c');
  });

  it('holds each switch from when it was published, so many switches at once are not delayed one after another', () => {
    const p = new EventPublisher(deliver, 100);
    p.publish('+switch-master', 'm1 a 1 b 2');
    vi.advanceTimersByTime(50);
    p.publish('+switch-master', 'm2 a 3 b 4');
    p.publish('+slave', 'slave x');
    vi.advanceTimersByTime(50);
    expect(delivered).toEqual(['+switch-master m1 a 1 b 2']);
    vi.advanceTimersByTime(49);
    expect(delivered).toEqual(['+switch-master m1 a 1 b 2']);
    vi.advanceTimersByTime(1);
    expect(delivered).toEqual(['+switch-master m1 a 1 b 2', '+switch-master m2 a 3 b 4', '+slave slave x']);
  });

  it('delivers what it holds when flushed at shutdown', () => {
    const p = new EventPublisher(deliver, 100);
    p.publish('+switch-master', 'm a 1 b 2');
    p.flush();
    expect(delivered).toEqual(['+switch-master m a 1 b 2']);
    vi.advanceTimersByTime(200);
    expect(delivered).toHaveLength(1);
  });
});
