import type { SentinelEvent } from '../core/events.js';

/** The steps of a failover as the events tell them, with when each happened (ms since the epoch). */
export interface FailoverRecord {
  master: string;
  /** +odown: the master was agreed down (absent for a manual SENTINEL FAILOVER). */
  detected?: number;
  /** +try-failover: this sentinel started one (absent when a peer led it). */
  started?: number;
  /** +elected-leader: this sentinel won the election. */
  elected?: number;
  /** +promoted-slave: the chosen replica answered as a master. */
  promoted?: number;
  /** +switch-master: the new address, from this sentinel or a peer. */
  switched?: number;
  /** -failover-abort-<reason>. */
  aborted?: { at: number; reason: string };
  from?: string;
  to?: string;
}

const KEPT_PER_MASTER = 10;

/** The last failovers of each master, built from the event stream. */
export class FailoverTimeline {
  private readonly byMaster = new Map<string, FailoverRecord[]>();

  observe(e: SentinelEvent, now: number): void {
    const master = e.type === '+switch-master' ? (e.message.split(' ')[0] ?? '') : e.masterName;
    if (master === null || master === '') return;
    switch (e.type) {
      case '+odown':
        if (e.message.startsWith('master ')) this.open(master).detected = now;
        break;
      case '+try-failover':
        this.current(master).started = now;
        break;
      case '+elected-leader':
        this.current(master).elected = now;
        break;
      case '+promoted-slave':
        this.current(master).promoted = now;
        break;
      case '+switch-master': {
        const [, oldIp, oldPort, newIp, newPort] = e.message.split(' ');
        const r = this.current(master);
        r.switched = now;
        r.from = `${oldIp}:${oldPort}`;
        r.to = `${newIp}:${newPort}`;
        break;
      }
      default:
        if (e.type.startsWith('-failover-abort-')) this.current(master).aborted = { at: now, reason: e.type.slice('-failover-abort-'.length) };
    }
  }

  /** Oldest first. */
  of(master: string): FailoverRecord[] {
    return this.byMaster.get(master) ?? [];
  }

  private open(master: string): FailoverRecord {
    const records = this.byMaster.get(master) ?? [];
    const last = records[records.length - 1];
    // An ODOWN that no failover followed yet is the same episode.
    if (last !== undefined && last.switched === undefined && last.aborted === undefined && last.started === undefined) return last;
    const record: FailoverRecord = { master };
    records.push(record);
    if (records.length > KEPT_PER_MASTER) records.shift();
    this.byMaster.set(master, records);
    return record;
  }

  /** The episode in progress, or a new one (a peer's switch, a manual failover). */
  private current(master: string): FailoverRecord {
    const records = this.byMaster.get(master);
    const last = records?.[records.length - 1];
    if (last !== undefined && last.switched === undefined && last.aborted === undefined) return last;
    return this.open(master);
  }
}
