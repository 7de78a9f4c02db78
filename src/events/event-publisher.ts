/**
 * Delivers the sentinel's events to its own pub/sub subscribers, in order.
 *
 * Beyond Redis: a `+switch-master` reaches subscribers `switchHoldMs` after it
 * was published (the events behind it wait too, so subscribers still see Redis's
 * order). By the time a sentinel announces a switch it already answers
 * GET-MASTER-ADDR-BY-NAME with the new address, so a client that is asking when
 * the switch happens reaches the new master before it hears of the switch.
 * ioredis 5's `failoverDetector` ends its client for good when `+switch-master`
 * arrives while the client is asking the sentinels; redis-sentinel's followers
 * publish the switch at the moment they start answering the new address.
 */
export class EventPublisher {
  /** Events not delivered yet, in order; a switch is due `switchHoldMs` after it was published. */
  private readonly held: Array<{ channel: string; message: string; dueAt: number }> = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly deliver: (channel: string, message: string) => void,
    private readonly switchHoldMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  publish(channel: string, message: string): void {
    const dueAt = channel === '+switch-master' ? this.now() + this.switchHoldMs : 0;
    this.held.push({ channel, message, dueAt });
    this.release();
  }

  /** Delivers what is held at once (at shutdown). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const e of this.held.splice(0)) this.deliver(e.channel, e.message);
  }

  private release(): void {
    if (this.timer) return;
    const now = this.now();
    while (this.held.length > 0 && this.held[0].dueAt <= now) {
      const e = this.held.shift()!;
      this.deliver(e.channel, e.message);
    }
    if (this.held.length > 0) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.release();
      }, this.held[0].dueAt - now);
    }
  }
}
