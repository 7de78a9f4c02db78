/** ACL LOG: the recent authentication failures and permission denials, newest first. */
export interface AclLogEntry {
  count: number;
  reason: 'auth' | 'command' | 'channel';
  context: 'toplevel';
  object: string;
  username: string;
  /** ms since the epoch of the latest occurrence. */
  time: number;
  clientInfo: string;
}

/** acllog-max-len's default. */
const MAX_ENTRIES = 128;
/** Repeats of the same denial within this window update one entry. */
const GROUPING_WINDOW_MS = 60_000;
/** How many recent entries are searched for a repeat. */
const GROUPING_SEARCH_DEPTH = 10;

export class AclLog {
  private entries: AclLogEntry[] = [];

  add(entry: Omit<AclLogEntry, 'count' | 'context'>): void {
    const repeat = this.entries
      .slice(0, GROUPING_SEARCH_DEPTH)
      .find(
        (e) =>
          e.reason === entry.reason &&
          e.object === entry.object &&
          e.username === entry.username &&
          entry.time - e.time < GROUPING_WINDOW_MS,
      );
    if (repeat !== undefined) {
      repeat.count++;
      repeat.time = entry.time;
      repeat.clientInfo = entry.clientInfo;
      return;
    }
    this.entries.unshift({ ...entry, count: 1, context: 'toplevel' });
    if (this.entries.length > MAX_ENTRIES) this.entries.length = MAX_ENTRIES;
  }

  recent(count: number): AclLogEntry[] {
    return this.entries.slice(0, Math.max(0, count));
  }

  reset(): void {
    this.entries = [];
  }
}
