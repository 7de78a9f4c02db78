import type { Reply } from '../../resp/reply.js';

/** Bytes captured from the real server, sent unchanged whatever the protocol. */
export function raw(bytes: Buffer): Reply {
  return { type: 'raw', bytes };
}
