/**
 * Delivers the sentinel's events to its own pub/sub subscribers, in order.
 *
 * Beyond Redis: after a `+switch-master` the stream is held for `switchHoldMs`
 * (the events behind it wait too, so subscribers still see Redis's order). By the
 * time a sentinel announces a switch it already answers GET-MASTER-ADDR-BY-NAME
 * with the new address, so a client that is asking when the switch happens
 * reaches the new master before it hears of the switch. ioredis 5's
 * `failoverDetector` ends its client for good when `+switch-master` arrives while
 * the client is asking the sentinels; redis-sentinel's followers publish the
 * switch at the moment they start answering the new address.
 */
export class EventPublisher {
  private readonly held: Array<[channel: string, message: string]> = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly deliver: (channel: string, message: string) => void,
    private readonly switchHoldMs: number,
  ) {}

  publish(channel: string, message: string): void {
    if (this.timer) {
      this.held.push([channel, message]);
    } else if (channel === '+switch-master' && this.switchHoldMs > 0) {
      this.held.push([channel, message]);
      this.timer = setTimeout(() => this.release(), this.switchHoldMs);
    } else {
      this.deliver(channel, message);
    }
  }

  /** Delivers what is held at once (at shutdown). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const [channel, message] of this.held.splice(0)) this.deliver(channel, message);
  }

  private release(): void {
    this.timer = null;
    const [[channel, message], ...rest] = this.held.splice(0);
    this.deliver(channel, message);
    // A later +switch-master among them (another master) starts a hold of its own.
    for (const [c, m] of rest) this.publish(c, m);
  }
}
