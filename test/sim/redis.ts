import type { ObservedReply } from '../../src/core/actions.js';
import type { Connection, Network, Server } from './network.js';
import type { Rng } from './rng.js';

/** What a simulated Redis needs from the world around it. */
export interface RedisEnv {
  now(): number;
  rng: Rng;
  net: Network;
  at(address: string): SimRedis | undefined;
  all(): readonly SimRedis[];
}

interface ReplicationConfig {
  role: 'master' | 'slave';
  masterHost: string | null;
  masterPort: number;
}

const OK: ObservedReply = { type: 'string', value: 'OK' };
const str = (value: string): ObservedReply => ({ type: 'string', value });
const int = (value: number): ObservedReply => ({ type: 'integer', value });
const fail = (value: string): ObservedReply => ({ type: 'error', value });

/**
 * A redis-server as far as Sentinel can see it: INFO, PING, pub/sub on the
 * hello channel (propagated to replicas), CLIENT SETNAME/KILL, MULTI/EXEC,
 * SLAVEOF with a replication link that needs a short sync, CONFIG REWRITE, and
 * kill -9 followed by a restart from the rewritten config with a new run id.
 */
export class SimRedis implements Server {
  readonly address: string;
  up = true;
  runId: string;
  repl: ReplicationConfig;
  /** What CONFIG REWRITE last wrote; a restart comes back with it. */
  private persisted: ReplicationConfig;
  offset = 0;
  linkUp = false;
  /** When the replication link went down; null when it has never been up since start. */
  linkDownSince: number | null = null;
  private syncDoneAt: number | null = null;
  readonly clients = new Set<Connection>();

  constructor(
    readonly node: string,
    readonly ip: string,
    readonly port: number,
    readonly priority: number,
    initial: ReplicationConfig,
    private readonly env: RedisEnv,
  ) {
    this.address = `${ip}:${port}`;
    this.runId = env.rng.hex(40);
    this.repl = { ...initial };
    this.persisted = { ...initial };
  }

  isUp(): boolean {
    return this.up;
  }

  accept(c: Connection): void {
    this.clients.add(c);
  }

  forget(c: Connection): void {
    this.clients.delete(c);
  }

  /** kill -9: every socket is closed, nothing answers until restart. */
  kill(): void {
    this.up = false;
    for (const c of [...this.clients]) this.env.net.closeByServer(c, 'Connection closed');
    this.linkUp = false;
    this.syncDoneAt = null;
  }

  restart(): void {
    this.up = true;
    this.runId = this.env.rng.hex(40);
    this.repl = { ...this.persisted };
    this.linkUp = false;
    this.linkDownSince = null;
    this.syncDoneAt = null;
  }

  masterAddress(): string | null {
    return this.repl.role === 'slave' ? `${this.repl.masterHost}:${this.repl.masterPort}` : null;
  }

  /** Every ~100 ms: writes advance the master's offset; replication links come up, follow, or break. */
  cron(): void {
    if (!this.up) return;
    if (this.repl.role === 'master') {
      this.offset += this.env.rng.int(1, 100);
      return;
    }
    const source = this.env.at(this.masterAddress() ?? '');
    const reachable = source !== undefined && source.up && this.env.net.canTalk(this.node, source.node);
    if (!reachable) {
      if (this.linkUp) this.linkDownSince = this.env.now();
      this.linkUp = false;
      this.syncDoneAt = null;
      return;
    }
    if (!this.linkUp) {
      if (this.syncDoneAt === null) this.syncDoneAt = this.env.now() + this.env.rng.int(100, 600);
      if (this.env.now() < this.syncDoneAt) return;
      this.linkUp = true;
      this.syncDoneAt = null;
    }
    this.offset = source.offset;
  }

  handle(c: Connection, args: string[]): ObservedReply | undefined {
    const name = (args[0] ?? '').toUpperCase();
    if (c.multi !== null && name !== 'EXEC' && name !== 'MULTI') {
      c.multi.push(args);
      return str('QUEUED');
    }
    switch (name) {
      case 'MULTI':
        if (c.multi !== null) return fail('ERR MULTI calls can not be nested');
        c.multi = [];
        return OK;
      case 'EXEC': {
        if (c.multi === null) return fail('ERR EXEC without MULTI');
        const queued = c.multi;
        c.multi = null;
        return { type: 'array', items: queued.map((q) => this.execute(c, q)) };
      }
      default:
        return this.execute(c, args);
    }
  }

  private execute(c: Connection, args: string[]): ObservedReply {
    const name = (args[0] ?? '').toUpperCase();
    const sub = (args[1] ?? '').toUpperCase();
    switch (name) {
      case 'PING':
        return str('PONG');
      case 'AUTH':
        return fail('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?');
      case 'INFO':
        return str(this.info());
      case 'CLIENT':
        if (sub === 'SETNAME') return OK;
        if (sub === 'KILL' && (args[3] ?? '').toLowerCase() === 'normal') return int(this.killClients(c, false));
        if (sub === 'KILL' && (args[3] ?? '').toLowerCase() === 'pubsub') return int(this.killClients(c, true));
        return fail('ERR syntax error');
      case 'SUBSCRIBE':
        c.subscribed = true;
        return { type: 'array', items: [str('subscribe'), str(args[1] ?? ''), int(1)] };
      case 'PUBLISH':
        return int(this.publish(args[1] ?? '', args[2] ?? '', new Set()));
      case 'SLAVEOF':
      case 'REPLICAOF':
        return this.slaveOf(args[1] ?? '', args[2] ?? '');
      case 'CONFIG':
        if (sub === 'REWRITE') {
          this.persisted = { ...this.repl };
          return OK;
        }
        return fail('ERR unknown subcommand');
      default:
        return fail(`ERR unknown command '${args[0]}', with args beginning with: `);
    }
  }

  private killClients(caller: Connection, pubsub: boolean): number {
    let n = 0;
    for (const c of [...this.clients]) {
      if (c === caller || c.subscribed !== pubsub) continue;
      this.env.net.closeByServer(c, 'Connection closed');
      n++;
    }
    return n;
  }

  /** Reaches this instance's subscribers and, through replication, those of its replicas. */
  private publish(channel: string, payload: string, seen: Set<SimRedis>): number {
    seen.add(this);
    let n = 0;
    for (const c of this.clients) {
      if (!c.subscribed || c.serverClosed) continue;
      this.env.net.push(c, channel, payload);
      n++;
    }
    for (const r of this.env.all()) {
      if (!seen.has(r) && r.up && r.linkUp && r.masterAddress() === this.address) r.publish(channel, payload, seen);
    }
    return n;
  }

  private slaveOf(host: string, port: string): ObservedReply {
    if (host.toUpperCase() === 'NO' && port.toUpperCase() === 'ONE') {
      if (this.repl.role === 'master') return OK;
      this.repl = { role: 'master', masterHost: null, masterPort: 0 };
      this.linkUp = false;
      this.syncDoneAt = null;
      return OK;
    }
    const p = Number(port);
    if (!Number.isInteger(p)) return fail('ERR value is not an integer or out of range');
    if (this.repl.role === 'slave' && this.repl.masterHost === host && this.repl.masterPort === p) {
      return str('OK Already connected to specified master');
    }
    if (this.linkUp) this.linkDownSince = this.env.now();
    this.repl = { role: 'slave', masterHost: host, masterPort: p };
    this.linkUp = false;
    this.syncDoneAt = null;
    return OK;
  }

  private connectedReplicas(): SimRedis[] {
    return this.env.all().filter((r) => r !== this && r.up && r.linkUp && r.masterAddress() === this.address);
  }

  info(): string {
    const now = this.env.now();
    const lines = ['# Server', 'redis_version:7.0.15', 'redis_mode:standalone', `run_id:${this.runId}`, `tcp_port:${this.port}`, '', '# Replication'];
    if (this.repl.role === 'master') {
      lines.push('role:master');
    } else {
      lines.push(
        'role:slave',
        `master_host:${this.repl.masterHost}`,
        `master_port:${this.repl.masterPort}`,
        `master_link_status:${this.linkUp ? 'up' : 'down'}`,
        `master_last_io_seconds_ago:${this.linkUp ? 0 : -1}`,
        `master_sync_in_progress:${this.syncDoneAt !== null ? 1 : 0}`,
        `slave_read_repl_offset:${this.offset}`,
        `slave_repl_offset:${this.offset}`,
      );
      if (!this.linkUp) {
        const since = this.linkDownSince === null ? -1 : Math.floor((now - this.linkDownSince) / 1000);
        lines.push(`master_link_down_since_seconds:${since}`);
      }
      lines.push(`slave_priority:${this.priority}`, 'slave_read_only:1', 'replica_announced:1');
    }
    const replicas = this.connectedReplicas();
    lines.push(`connected_slaves:${replicas.length}`);
    replicas.forEach((r, i) => lines.push(`slave${i}:ip=${r.ip},port=${r.port},state=online,offset=${r.offset},lag=0`));
    lines.push('master_failover_state:no-failover', `master_replid:${'0'.repeat(40)}`, `master_repl_offset:${this.offset}`);
    return `${lines.join('\r\n')}\r\n`;
  }
}
