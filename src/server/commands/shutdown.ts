import { err } from '../../resp/reply.js';
import type { ShutdownRequest } from '../context.js';
import type { CommandHandler } from '../context.js';
import { syntaxError } from '../errors.js';

/**
 * SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. A sentinel has nothing to save
 * and no replicas to wait for, so a shutdown is immediate: there is never one
 * in progress to abort. The caller gets no reply; its connection is closed.
 */
export const shutdown: CommandHandler = (ctx) => {
  const request: ShutdownRequest = { nosave: false, save: false, now: false, force: false };
  let abort = false;
  for (let i = 1; i < ctx.argc; i++) {
    const word = ctx.keyword(i);
    if (word === 'nosave' || word === 'save' || word === 'now' || word === 'force') request[word] = true;
    else if (word === 'abort') abort = true;
    else return syntaxError;
  }
  const anyFlag = request.nosave || request.save || request.now || request.force;
  if ((abort && anyFlag) || (request.nosave && request.save)) return syntaxError;
  if (abort) return err('No shutdown in progress.');
  if (!ctx.server.shutdown(ctx.client, request)) return err('Errors trying to SHUTDOWN. Check logs.');
  ctx.client.closeAfterReply = true;
  return { type: 'none' };
};
