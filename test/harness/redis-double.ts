import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { encodeReply } from '../../src/resp/encode.js';
import { array, bulk, bulkArray, err, integer, ok, simple, type Reply } from '../../src/resp/reply.js';
import { RequestParser } from '../../src/resp/request-parser.js';

/**
 * TEST DOUBLE, for the many-masters figures only (issue 8): one process that
 * answers, on many ports, as many Redis masters and replicas would answer a
 * Sentinel. Thousands of real redis-server processes do not fit on this machine
 * (2,000 idle ones at hz 1 take 1.5 of its 2 cores); the double keeps what a
 * Sentinel sees and changes: PING, INFO (run_id, role, replicas, replication
 * link), ROLE, CLIENT SETNAME/KILL, AUTH, SUBSCRIBE and PUBLISH on any channel
 * (a PUBLISH reaches the replicas' subscribers too, as Redis replicates it),
 * MULTI/EXEC, SLAVEOF/REPLICAOF (the replica lists move at once: no sync),
 * CONFIG REWRITE. Everything else is refused. Real redis-server processes
 * remain the rule for every other test.
 *
 * Run as a child process: `node dist/test/harness/redis-double.js '<json spec>'`
 * prints `ready` once every port listens; `DOUBLE KILL <port>` and
 * `DOUBLE RESTART <port>`, sent to any of its ports, stop an instance as
 * kill -9 would and start it again.
 */

export interface InstanceSpec {
  port: number;
  /** The port of its master in the double; absent for a master. */
  replicaOf?: number;
}

const LOOPBACK = '127.0.0.1';

interface Client {
  socket: Socket;
  parser: RequestParser;
  subscriptions: Set<string>;
  name: string;
  /** Commands queued between MULTI and EXEC; null outside a transaction. */
  queued: Buffer[][] | null;
}

class Instance {
  runId = randomBytes(20).toString('hex');
  masterPort: number | null;
  up = false;
  readonly clients = new Set<Client>();
  private server: Server | null = null;

  constructor(
    readonly port: number,
    replicaOf: number | undefined,
    private readonly double: RedisDouble,
  ) {
    this.masterPort = replicaOf ?? null;
  }

  listen(): Promise<void> {
    this.runId = randomBytes(20).toString('hex');
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, LOOPBACK, 511, () => {
        this.up = true;
        resolve();
      });
    });
  }

  /** As kill -9: the listener and every connection go at once. */
  kill(): void {
    this.up = false;
    this.server?.close();
    this.server = null;
    for (const c of this.clients) c.socket.destroy();
    this.clients.clear();
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    const client: Client = { socket, parser: new RequestParser(), subscriptions: new Set(), name: '', queued: null };
    this.clients.add(client);
    socket.on('data', (chunk) => {
      client.parser.feed(chunk);
      const out: Buffer[] = [];
      try {
        for (let argv = client.parser.next(); argv !== null; argv = client.parser.next()) out.push(encodeReply(this.command(client, argv), 2));
      } catch {
        socket.destroy();
        return;
      }
      if (out.length > 0) socket.write(out.length === 1 ? out[0] : Buffer.concat(out));
    });
    socket.on('error', () => {});
    socket.on('close', () => this.clients.delete(client));
  }

  private command(client: Client, argv: Buffer[]): Reply {
    const name = argv[0].toString().toLowerCase();
    const args = argv.slice(1).map((a) => a.toString());
    if (client.queued !== null && name !== 'exec' && name !== 'multi') {
      client.queued.push(argv);
      return simple('QUEUED');
    }
    switch (name) {
      case 'ping':
        return simple('PONG');
      case 'info':
        return bulk(this.info());
      case 'role':
        return this.role();
      case 'auth':
        return ok;
      case 'client':
        return this.clientCommand(client, args);
      case 'subscribe':
        return this.subscribe(client, args);
      case 'publish':
        return integer(this.publish(args[0] ?? '', args[1] ?? ''));
      case 'multi':
        client.queued = [];
        return ok;
      case 'exec': {
        const queued = client.queued ?? [];
        client.queued = null;
        return array(queued.map((q) => this.command(client, q)));
      }
      case 'slaveof':
      case 'replicaof':
        return this.replicaof(args);
      case 'config':
        return ok;
      case 'double':
        return this.double.control(args);
      default:
        return err(`unknown command '${argv[0].toString()}', with args beginning with: `);
    }
  }

  private info(): string {
    const lines = ['# Server', 'redis_version:7.0.15', 'redis_mode:standalone', `run_id:${this.runId}`, `tcp_port:${this.port}`, '', '# Replication'];
    if (this.masterPort === null) {
      const replicas = this.double.replicasOf(this.port);
      lines.push('role:master', `connected_slaves:${replicas.length}`);
      replicas.forEach((r, i) => lines.push(`slave${i}:ip=${LOOPBACK},port=${r.port},state=online,offset=1000,lag=0`));
      lines.push('master_repl_offset:1000');
    } else {
      const linkUp = this.double.isUp(this.masterPort);
      lines.push(
        'role:slave',
        `master_host:${LOOPBACK}`,
        `master_port:${this.masterPort}`,
        `master_link_status:${linkUp ? 'up' : 'down'}`,
        'master_last_io_seconds_ago:0',
        'master_sync_in_progress:0',
        'slave_read_repl_offset:1000',
        'slave_repl_offset:1000',
        'slave_priority:100',
        'slave_read_only:1',
        'replica_announced:1',
        'connected_slaves:0',
        'master_repl_offset:1000',
      );
      if (!linkUp) lines.push('master_link_down_since_seconds:1');
    }
    return `${lines.join('\r\n')}\r\n`;
  }

  private role(): Reply {
    if (this.masterPort === null) {
      return array([bulk('master'), integer(1000), array(this.double.replicasOf(this.port).map((r) => bulkArray([LOOPBACK, String(r.port), '1000'])))]);
    }
    return array([bulk('slave'), bulk(LOOPBACK), integer(this.masterPort), bulk('connected'), integer(1000)]);
  }

  private clientCommand(client: Client, args: string[]): Reply {
    const sub = (args[0] ?? '').toLowerCase();
    if (sub === 'setname') {
      client.name = args[1] ?? '';
      return ok;
    }
    if (sub === 'kill') {
      // CLIENT KILL TYPE normal|pubsub, sparing the caller as Redis does by default.
      const type = (args[2] ?? '').toLowerCase();
      let killed = 0;
      for (const other of [...this.clients]) {
        if (other === client) continue;
        if ((type === 'pubsub') !== other.subscriptions.size > 0) continue;
        other.socket.destroy();
        killed++;
      }
      return integer(killed);
    }
    return ok;
  }

  private subscribe(client: Client, channels: string[]): Reply {
    // Every confirmation but the last is written here; the last is the command's reply.
    const confirmations = channels.map((ch) => {
      client.subscriptions.add(ch);
      return array([bulk('subscribe'), bulk(ch), integer(client.subscriptions.size)]);
    });
    for (const c of confirmations.slice(0, -1)) client.socket.write(encodeReply(c, 2));
    return confirmations[confirmations.length - 1] ?? err("wrong number of arguments for 'subscribe' command");
  }

  /** Delivers to this instance's subscribers and, replicated, to its replicas'; returns the local receivers. */
  publish(channel: string, message: string, replicated = false): number {
    let receivers = 0;
    const frame = encodeReply(array([bulk('message'), bulk(channel), bulk(message)]), 2);
    for (const c of this.clients) {
      if (!c.subscriptions.has(channel)) continue;
      c.socket.write(frame);
      receivers++;
    }
    if (!replicated) for (const r of this.double.replicasOf(this.port)) r.publish(channel, message, true);
    return receivers;
  }

  private replicaof(args: string[]): Reply {
    if ((args[0] ?? '').toLowerCase() === 'no' && (args[1] ?? '').toLowerCase() === 'one') {
      this.masterPort = null;
      return ok;
    }
    const port = Number(args[1]);
    if (!Number.isInteger(port)) return err('value is not an integer or out of range');
    this.masterPort = port;
    return ok;
  }
}

export class RedisDouble {
  private readonly instances = new Map<number, Instance>();

  constructor(specs: readonly InstanceSpec[]) {
    for (const s of specs) this.instances.set(s.port, new Instance(s.port, s.replicaOf, this));
  }

  async start(): Promise<void> {
    await Promise.all([...this.instances.values()].map((i) => i.listen()));
  }

  replicasOf(port: number): Instance[] {
    const out: Instance[] = [];
    for (const i of this.instances.values()) if (i.up && i.masterPort === port) out.push(i);
    return out;
  }

  isUp(port: number): boolean {
    return this.instances.get(port)?.up ?? false;
  }

  kill(port: number): void {
    this.instances.get(port)?.kill();
  }

  async restart(port: number): Promise<void> {
    await this.instances.get(port)?.listen();
  }

  stop(): void {
    for (const i of this.instances.values()) i.kill();
  }

  /** DOUBLE KILL|RESTART <port>: the test's hand on one instance. */
  control(args: string[]): Reply {
    const [verb, portText] = args;
    const instance = this.instances.get(Number(portText));
    if (!instance) return err('no such instance');
    if (verb?.toLowerCase() === 'kill') setImmediate(() => instance.kill());
    else if (verb?.toLowerCase() === 'restart') void instance.listen();
    else return err('DOUBLE KILL|RESTART <port>');
    return ok;
  }
}

async function main(specText: string): Promise<void> {
  const double = new RedisDouble(JSON.parse(specText) as InstanceSpec[]);
  await double.start();
  process.stdout.write('ready\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) void main(process.argv[2] ?? '[]');
