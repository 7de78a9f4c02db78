import { bytesToText } from './bytes.js';
import type { Client } from './client.js';

/** Redis shrinks a new client's 16 KB reply buffer to 1 KB on its first cron pass (within 100 ms). */
const INITIAL_REPLY_BUFFER = 16384;
const SHRUNK_REPLY_BUFFER = 1024;
const CRON_PERIOD_MS = 100;
/** The fixed part of a client's memory in Redis's tot-mem. */
const CLIENT_STRUCT_BYTES = 790;

/**
 * The CLIENT flags letters, in Redis's order: P pubsub, b blocked, t tracking,
 * B broadcast tracking, c close after reply, e no-evict; N when none.
 */
export function clientFlags(client: Client): string {
  let flags = '';
  if (client.subscriptionCount > 0) flags += 'P';
  if (client.blocked) flags += 'b';
  if (client.tracking !== null) flags += 't';
  if (client.tracking?.bcast) flags += 'B';
  if (client.closeAfterReply) flags += 'c';
  if (client.noEvict) flags += 'e';
  return flags === '' ? 'N' : flags;
}

/**
 * One line of CLIENT LIST / CLIENT INFO, without the trailing newline. The
 * memory figures have Redis's shape (fresh client: 16 KB reply buffer; idle:
 * 1 KB), not its allocator's exact numbers.
 */
export function clientInfoLine(client: Client, now: number): string {
  const fresh = now - client.createdAt < CRON_PERIOD_MS;
  const replyBuffer = fresh ? INITIAL_REPLY_BUFFER : SHRUNK_REPLY_BUFFER;
  const replyPeak = fresh ? INITIAL_REPLY_BUFFER : Math.min(client.lastFlushBytes, replyBuffer);
  const output = client.outputBytes;
  const overflow = Math.max(0, output - replyBuffer);
  const queryFree = Math.max(0, client.queryCapacity - client.queryBytes);
  const totalMemory = CLIENT_STRUCT_BYTES + replyBuffer + client.queryCapacity + client.argvBytes + overflow;
  const fields: Array<[string, string | number]> = [
    ['id', client.id],
    ['addr', client.addr],
    ['laddr', client.laddr],
    ['fd', client.fd],
    ['name', client.name ?? ''],
    ['age', Math.floor((now - client.createdAt) / 1000)],
    ['idle', Math.floor((now - client.lastInteraction) / 1000)],
    ['flags', clientFlags(client)],
    ['db', 0],
    ['sub', client.channels.size],
    ['psub', client.patterns.size],
    ['ssub', 0],
    ['multi', -1],
    ['qbuf', client.queryBytes],
    ['qbuf-free', queryFree],
    ['argv-mem', client.argvBytes],
    ['multi-mem', 0],
    ['rbs', replyBuffer],
    ['rbp', replyPeak],
    ['obl', Math.min(output, replyBuffer)],
    ['oll', overflow > 0 ? 1 : 0],
    ['omem', overflow],
    ['tot-mem', totalMemory],
    ['events', client.socketBacklog > 0 ? 'rw' : 'r'],
    ['cmd', client.lastCommand ?? 'NULL'],
    ['user', bytesToText(client.user.name)],
    ['redir', client.tracking === null ? -1 : client.tracking.redirect],
    ['resp', client.protocol],
  ];
  return fields.map(([k, v]) => `${k}=${v}`).join(' ');
}
