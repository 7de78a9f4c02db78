import { atoi, strtoull } from './numbers.js';

/** The payload every sentinel publishes on `__sentinel__:hello`. */
export interface Hello {
  sentinelIp: string;
  sentinelPort: number;
  runId: string;
  currentEpoch: bigint;
  masterName: string;
  masterIp: string;
  masterPort: number;
  masterConfigEpoch: bigint;
}

export function formatHello(h: Hello): string {
  return [
    h.sentinelIp,
    h.sentinelPort,
    h.runId,
    h.currentEpoch,
    h.masterName,
    h.masterIp,
    h.masterPort,
    h.masterConfigEpoch,
  ].join(',');
}

/** Null unless the payload has exactly eight comma-separated fields, as Redis requires. */
export function parseHello(payload: string): Hello | null {
  const t = payload.split(',');
  if (t.length !== 8) return null;
  return {
    sentinelIp: t[0],
    sentinelPort: atoi(t[1]),
    runId: t[2],
    currentEpoch: strtoull(t[3]),
    masterName: t[4],
    masterIp: t[5],
    masterPort: atoi(t[6]),
    masterConfigEpoch: strtoull(t[7]),
  };
}
