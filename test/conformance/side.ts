import {
  freePort,
  rawCommand,
  startTopology,
  waitForDiscovery,
  type Harness,
  type SentinelImpl,
  type Topology,
} from '../harness/index.js';
import type { Token } from './normalise.js';

/**
 * One side of a comparison: a master, a replica, the sentinel under test and
 * one real redis-sentinel peer (so SENTINELS is not empty), all monitoring
 * `mymaster`. Both sides are built the same way; only the subject's
 * implementation differs.
 */
export interface Side {
  /** For reports, e.g. `redis` or `ours`. */
  name: string;
  topology: Topology;
  subjectPort: number;
  /** Values for the `{...}` placeholders of cases.ts. */
  vars: Record<string, string>;
  /** Literals that legitimately differ between sides, with their placeholders. */
  tokens: Token[];
}

const DOWN_AFTER_MS = 5000;
const DISCOVERY_TIMEOUT_MS = 20_000;

function infoField(text: string, field: string): string {
  const m = new RegExp(`^${field}:(.*)$`, 'm').exec(text);
  if (!m) throw new Error(`INFO has no ${field} field`);
  return m[1].trim();
}

async function infoOf(port: number, section: string): Promise<string> {
  const reply = await rawCommand(port, ['INFO', section]);
  if (reply.value.type !== 'bulk') throw new Error(`INFO ${section} on port ${port} gave ${reply.value.type}`);
  return reply.value.value;
}

export async function startSide(h: Harness, name: string, impl: SentinelImpl): Promise<Side> {
  const topology = await startTopology(h, {
    label: name,
    replicas: 1,
    sentinels: [impl, 'redis'],
    quorum: 2,
    downAfterMs: DOWN_AFTER_MS,
  });
  await waitForDiscovery(h, topology, DISCOVERY_TIMEOUT_MS);
  const [subject, peer] = topology.sentinels;
  const replica = topology.replicas[0];
  const myid = await sentinelMyid(subject.port);
  const peerId = await sentinelMyid(peer.port);
  const subjectInfo = await infoOf(subject.port, 'server');
  const unusedPort = await freePort();
  const vars: Record<string, string> = {
    'master-ip': topology.master.host,
    'master-port': String(topology.master.port),
    'replica-port': String(replica.port),
    'sentinel-port': String(subject.port),
    'peer-port': String(peer.port),
    'peer-id': peerId,
    myid,
    'unused-port': String(unusedPort),
  };
  const tokens: Token[] = [
    [myid, '<myid>'],
    [peerId, '<peer-id>'],
    [infoField(await infoOf(topology.master.port, 'server'), 'run_id'), '<master-runid>'],
    [infoField(await infoOf(replica.port, 'server'), 'run_id'), '<replica-runid>'],
    [infoField(subjectInfo, 'run_id'), '<sentinel-run_id>'],
    [subject.dir, '<sentinel-dir>'],
    [String(topology.master.port), '<master-port>'],
    [String(replica.port), '<replica-port>'],
    [String(subject.port), '<sentinel-port>'],
    [String(peer.port), '<peer-port>'],
    [String(unusedPort), '<unused-port>'],
  ];
  return { name, topology, subjectPort: subject.port, vars, tokens };
}

async function sentinelMyid(port: number): Promise<string> {
  const reply = await rawCommand(port, ['SENTINEL', 'MYID']);
  if (reply.value.type !== 'bulk') throw new Error(`SENTINEL MYID on port ${port} gave ${reply.value.type}`);
  return reply.value.value;
}

/** Replaces `{name}` placeholders with this side's values; an unknown placeholder is a bug in the case list. */
export function substituteVars(arg: string, vars: Record<string, string>): string {
  return arg.replace(/\{([a-z-]+)\}/g, (whole, key: string) => {
    const value = vars[key];
    if (value === undefined) throw new Error(`unknown placeholder ${whole} in a conformance case`);
    return value;
  });
}
