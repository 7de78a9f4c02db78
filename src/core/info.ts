import { atoi } from './numbers.js';

/** What Sentinel reads from an instance's INFO reply. */
export interface ParsedInfo {
  runId: string | null;
  /** Replicas listed by a master (`slaveN:` lines), in order. */
  replicas: Array<{ ip: string; port: number }>;
  /** `master_link_down_since_seconds` in ms; 0 when absent. */
  masterLinkDownTime: number;
  role: 'master' | 'slave' | null;
  /** The fields below are read only after `role:slave` was seen. */
  masterHost: string | null;
  masterPort: number | null;
  masterLinkUp: boolean | null;
  slavePriority: number | null;
  slaveReplOffset: number | null;
  replicaAnnounced: number | null;
}

export function parseInfo(text: string): ParsedInfo {
  const info: ParsedInfo = {
    runId: null,
    replicas: [],
    masterLinkDownTime: 0,
    role: null,
    masterHost: null,
    masterPort: null,
    masterLinkUp: null,
    slavePriority: null,
    slaveReplOffset: null,
    replicaAnnounced: null,
  };
  for (const line of text.split('\r\n')) {
    if (line.length >= 47 && line.startsWith('run_id:')) {
      info.runId = line.slice(7, 47);
    } else if (line.length >= 7 && line.startsWith('slave') && /\d/.test(line[5])) {
      const replica = parseReplicaLine(line);
      if (replica) info.replicas.push(replica);
    } else if (line.length >= 32 && line.startsWith('master_link_down_since_seconds')) {
      info.masterLinkDownTime = atoi(line.slice(31)) * 1000;
    } else if (line.startsWith('role:master')) {
      info.role = 'master';
    } else if (line.startsWith('role:slave')) {
      info.role = 'slave';
    } else if (info.role === 'slave') {
      readReplicaField(info, line);
    }
  }
  return info;
}

function readReplicaField(info: ParsedInfo, line: string): void {
  if (line.startsWith('master_host:')) info.masterHost = line.slice(12);
  else if (line.startsWith('master_port:')) info.masterPort = atoi(line.slice(12));
  else if (line.startsWith('master_link_status:')) info.masterLinkUp = line.slice(19).toLowerCase() === 'up';
  else if (line.startsWith('slave_priority:')) info.slavePriority = atoi(line.slice(15));
  else if (line.startsWith('slave_repl_offset:')) info.slaveReplOffset = atoi(line.slice(18));
  else if (line.startsWith('replica_announced:')) info.replicaAnnounced = atoi(line.slice(18));
}

/** `slave0:ip=1.2.3.4,port=6380,state=online,...` or the old `slave0:1.2.3.4,6380,online`. */
function parseReplicaLine(line: string): { ip: string; port: number } | null {
  if (line.includes('ip=')) {
    const ipStart = line.indexOf('ip=') + 3;
    const portIdx = line.indexOf('port=');
    if (portIdx < 0) return null;
    const ip = upToComma(line.slice(ipStart));
    const port = atoi(upToComma(line.slice(portIdx + 5)));
    return { ip, port };
  }
  const colon = line.indexOf(':');
  if (colon < 0) return null;
  const fields = line.slice(colon + 1).split(',');
  if (fields.length < 3) return null;
  return { ip: fields[0], port: atoi(fields[1]) };
}

function upToComma(s: string): string {
  const i = s.indexOf(',');
  return i < 0 ? s : s.slice(0, i);
}
