/**
 * What was read during a turn of the event loop is written at its end, all writes back to back:
 * a process woken by the first finds the others' data there too instead of being woken once per
 * write (under load, several percent more requests per second).
 */
export class TurnWrites<T> {
  private readonly dirty = new Set<T>();
  private queued = false;
  private readonly atTurnEnd = () => this.flushAll();

  constructor(
    private readonly write: (target: T) => void,
    /** Called after each `flushAll`, once nothing waits. */
    private readonly flushed: () => void = () => undefined,
  ) {}

  /** `target` has something to write: it is written at the end of this turn. */
  mark(target: T): void {
    this.dirty.add(target);
    if (!this.queued) {
      this.queued = true;
      setImmediate(this.atTurnEnd);
    }
  }

  forget(target: T): void {
    this.dirty.delete(target);
  }

  flushAll(): void {
    this.queued = false;
    for (const target of this.dirty) this.write(target);
    this.dirty.clear();
    this.flushed();
  }
}
