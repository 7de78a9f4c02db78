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
    const at = this.entries
      .slice(0, GROUPING_SEARCH_DEPTH)
      .findIndex(
        (e) =>
          e.reason === entry.reason &&
          e.object === entry.object &&
          e.username === entry.username &&
          entry.time - e.time < GROUPING_WINDOW_MS,
      );
    if (at !== -1) {
      // As Redis does, the updated entry becomes the newest.
      const [repeat] = this.entries.splice(at, 1);
      repeat.count++;
      repeat.time = entry.time;
      repeat.clientInfo = entry.clientInfo;
      this.entries.unshift(repeat);
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
