import { atoi } from './numbers.js';

/** The payload every sentinel publishes on `__sentinel__:hello`. */
export interface Hello {
  sentinelIp: string;
  sentinelPort: number;
  runId: string;
  currentEpoch: number;
  masterName: string;
  masterIp: string;
  masterPort: number;
  masterConfigEpoch: number;
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
    currentEpoch: parseUnsigned(t[3]),
    masterName: t[4],
    masterIp: t[5],
    masterPort: atoi(t[6]),
    masterConfigEpoch: parseUnsigned(t[7]),
  };
}

/** strtoull on untrusted input: digits up to the first non-digit, 0 when none. */
function parseUnsigned(text: string): number {
  const m = /^\s*\+?(\d+)/.exec(text);
  if (!m) return 0;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) ? n : Number.MAX_SAFE_INTEGER;
}
