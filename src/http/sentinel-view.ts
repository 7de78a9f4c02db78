import type { LinkLatency, SentinelInfo } from '../core/operations.js';
import type { ProxyStatus } from '../proxy/proxies.js';
import type { Reply } from '../resp/reply.js';

/** What the HTTP side may ask the daemon: read-only, answered from the core's current state. */
export interface SentinelView {
  info(): SentinelInfo;
  /** A read-only SENTINEL subcommand (MASTERS, MASTER, REPLICAS, SENTINELS, CKQUORUM), as a client gets it. */
  command(argv: string[]): Reply;
  currentEpoch(): bigint;
  linkLatencies(): LinkLatency[];
  /** Beyond Redis: where each proxy routes, and its counters. */
  proxies(): ProxyStatus[];
  /** Config loaded, listening, not in TILT. */
  ready(): boolean;
}

export interface MasterDetails {
  name: string;
  status: 'ok' | 'sdown' | 'odown';
  /** SENTINEL MASTER's fields, as redis_exporter reads them. */
  fields: Record<string, string>;
  replicas: Array<Record<string, string>>;
  sentinels: Array<Record<string, string>>;
  ckquorum: { ok: boolean; message: string };
}

export interface SentinelSnapshot {
  tilt: boolean;
  runningScripts: number;
  queuedScripts: number;
  simulateFailureFlags: number;
  currentEpoch: bigint;
  links: LinkLatency[];
  masters: MasterDetails[];
  proxies: ProxyStatus[];
}

/** Everything /metrics and /v1/masters show, read in one go. */
export function takeSnapshot(view: SentinelView): SentinelSnapshot {
  const info = view.info();
  const masters = info.masters.map((m): MasterDetails => {
    const ck = view.command(['CKQUORUM', m.name]);
    return {
      name: m.name,
      status: m.status,
      fields: pairs(view.command(['MASTER', m.name])),
      replicas: list(view.command(['REPLICAS', m.name])).map(pairs),
      sentinels: list(view.command(['SENTINELS', m.name])).map(pairs),
      ckquorum: ck.type === 'error' ? { ok: false, message: ck.value } : { ok: true, message: text(ck) },
    };
  });
  return {
    tilt: info.tiltMs !== null,
    runningScripts: info.runningScripts,
    queuedScripts: info.queuedScripts,
    simulateFailureFlags: info.simulatedFailureFlags,
    currentEpoch: view.currentEpoch(),
    links: view.linkLatencies(),
    masters,
    proxies: view.proxies(),
  };
}

function list(reply: Reply): Reply[] {
  return reply.type === 'array' ? reply.items : [];
}

/** A map reply (or a flat RESP2-style array of pairs) as an object of strings. */
function pairs(reply: Reply): Record<string, string> {
  const out: Record<string, string> = {};
  if (reply.type === 'map') {
    for (const [k, v] of reply.entries) out[text(k)] = text(v);
  } else if (reply.type === 'array') {
    for (let i = 0; i + 1 < reply.items.length; i += 2) out[text(reply.items[i])] = text(reply.items[i + 1]);
  }
  return out;
}

function text(reply: Reply): string {
  switch (reply.type) {
    case 'bulk':
      return typeof reply.value === 'string' ? reply.value : reply.value.toString();
    case 'simple':
    case 'error':
      return reply.value;
    case 'integer':
      return String(reply.value);
    default:
      return '';
  }
}
