import { bulk, bulkArray, err, integer, map, ok, type Reply } from '../../resp/reply.js';
import { bytesToText } from '../bytes.js';
import type { TrackingState } from '../client.js';
import type { CommandContext, CommandHandler } from '../context.js';
import { parseInteger, syntaxError } from '../errors.js';

const SWITCH_BCAST =
  "You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.";
const SWITCH_OPTIN_OPTOUT =
  "You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.";

interface TrackingRequest {
  redirect: number;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  prefixes: string[];
}

/**
 * CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP].
 * The state is kept and reported exactly; since a sentinel has no keys, no
 * invalidation message is ever sent.
 */
export const clientTracking: CommandHandler = (ctx) => {
  const request = parseTrackingOptions(ctx);
  if (!('prefixes' in request)) return request;
  const mode = ctx.keyword(2);
  if (mode === 'off') {
    ctx.client.tracking = null;
    return ok;
  }
  if (mode !== 'on') return syntaxError;
  const refusal = checkTrackingRequest(ctx.client.tracking, request);
  if (refusal !== null) return refusal;
  const kept = ctx.client.tracking?.prefixes ?? [];
  // BCAST without PREFIX tracks the empty prefix, that is every key.
  const added = request.bcast && request.prefixes.length === 0 ? [''] : request.prefixes;
  ctx.client.tracking = {
    redirect: request.redirect,
    bcast: request.bcast,
    optin: request.optin,
    optout: request.optout,
    noloop: request.noloop,
    caching: false,
    prefixes: request.bcast ? [...kept, ...added.filter((p) => !kept.includes(p))] : [],
  };
  return ok;
};

function parseTrackingOptions(ctx: CommandContext): TrackingRequest | Reply {
  const request: TrackingRequest = { redirect: 0, bcast: false, optin: false, optout: false, noloop: false, prefixes: [] };
  for (let j = 3; j < ctx.argc; j++) {
    const more = ctx.argc - 1 - j;
    const option = ctx.keyword(j);
    if (option === 'redirect' && more > 0) {
      j++;
      if (request.redirect !== 0) return err('A client can only redirect to a single other client');
      const id = parseInteger(ctx.argv[j]);
      if (id === null) return err('value is not an integer or out of range');
      if (ctx.server.clientById(id) === undefined) return err('The client ID you want redirect to does not exist');
      request.redirect = id;
    } else if (option === 'bcast') {
      request.bcast = true;
    } else if (option === 'optin') {
      request.optin = true;
    } else if (option === 'optout') {
      request.optout = true;
    } else if (option === 'noloop') {
      request.noloop = true;
    } else if (option === 'prefix' && more > 0) {
      j++;
      request.prefixes.push(ctx.bytes(j));
    } else {
      return syntaxError;
    }
  }
  return request;
}

function checkTrackingRequest(current: TrackingState | null, request: TrackingRequest): Reply | null {
  if (!request.bcast && request.prefixes.length > 0) return err('PREFIX option requires BCAST mode to be enabled');
  if (current !== null && current.bcast !== request.bcast) return err(SWITCH_BCAST);
  if (request.bcast && (request.optin || request.optout)) return err('OPTIN and OPTOUT are not compatible with BCAST');
  if (request.optin && request.optout) return err("You can't specify both OPTIN mode and OPTOUT mode");
  if ((request.optin && current?.optout) || (request.optout && current?.optin)) return err(SWITCH_OPTIN_OPTOUT);
  if (request.bcast) return prefixCollision(current?.prefixes ?? [], request.prefixes);
  return null;
}

/** Prefixes of one client must not overlap: none may start another. */
function prefixCollision(existing: string[], requested: string[]): Reply | null {
  const overlaps = (a: string, b: string) => a.startsWith(b) || b.startsWith(a);
  const rule = 'Prefixes for a single client must not overlap.';
  for (let i = 0; i < requested.length; i++) {
    const prefix = requested[i];
    const old = existing.find((p) => overlaps(p, prefix));
    if (old !== undefined) return err(`Prefix '${bytesToText(prefix)}' overlaps with an existing prefix '${bytesToText(old)}'. ${rule}`);
    const other = requested.slice(i + 1).find((p) => overlaps(p, prefix));
    if (other !== undefined) {
      return err(`Prefix '${bytesToText(prefix)}' overlaps with another provided prefix '${bytesToText(other)}'. ${rule}`);
    }
  }
  return null;
}

/** CLIENT CACHING YES|NO: applies to the next command only. */
export const clientCaching: CommandHandler = (ctx) => {
  const tracking = ctx.client.tracking;
  if (tracking === null) {
    return err('CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled');
  }
  const word = ctx.keyword(2);
  if (word === 'yes') {
    if (!tracking.optin) return err('CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.');
  } else if (word === 'no') {
    if (!tracking.optout) return err('CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.');
  } else {
    return syntaxError;
  }
  tracking.caching = true;
  return ok;
};

export const clientGetredir: CommandHandler = (ctx) => integer(ctx.client.tracking?.redirect ?? -1);

export const clientTrackinginfo: CommandHandler = (ctx) => {
  const tracking = ctx.client.tracking;
  const flags: string[] = [];
  if (tracking === null) {
    flags.push('off');
  } else {
    flags.push('on');
    if (tracking.bcast) flags.push('bcast');
    if (tracking.optin) flags.push('optin');
    if (tracking.optout) flags.push('optout');
    if (tracking.caching && tracking.optin) flags.push('caching-yes');
    if (tracking.caching && tracking.optout) flags.push('caching-no');
    if (tracking.noloop) flags.push('noloop');
  }
  return map([
    [bulk('flags'), { type: 'set', items: flags.map((f) => bulk(f)) }],
    [bulk('redirect'), integer(tracking?.redirect ?? -1)],
    // Redis keeps prefixes in a radix tree, so they come out in byte order.
    [bulk('prefixes'), bulkArray([...(tracking?.prefixes ?? [])].sort().map((p) => Buffer.from(p, 'latin1')))],
  ]);
};
