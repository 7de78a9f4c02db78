import { err, errBytes, error, type Reply } from '../resp/reply.js';
import { parseStrictInteger } from '../resp/byte-queue.js';
import { byteString, cString } from './bytes.js';

/** Redis prints at most this many bytes of a user-supplied name in an error. */
const NAME_IN_ERROR_MAX = 128;

export const syntaxError: Reply = err('syntax error');
export const notAnInteger: Reply = err('value is not an integer or out of range');
export const noAuth: Reply = error('NOAUTH Authentication required.');
export const wrongPass: Reply = error('WRONGPASS invalid username-password pair or user is disabled.');

/**
 * `unknown command 'x', with args beginning with: 'a' 'b' `: arguments are added while the list is
 * under 128 bytes. Quoted as Redis's printf quotes them: raw bytes, each up to its first NUL.
 */
export function unknownCommand(argv: Buffer[]): Reply {
  let args = '';
  for (let i = 1; i < argv.length && args.length < NAME_IN_ERROR_MAX; i++) args += `'${cString(argv[i], NAME_IN_ERROR_MAX - args.length)}' `;
  return errBytes(`unknown command '${cString(argv[0], NAME_IN_ERROR_MAX)}', with args beginning with: ${args}`);
}

/** `unknown subcommand 'x'. Try CLIENT HELP.` */
export function unknownSubcommand(argv: Buffer[]): Reply {
  const container = byteString(argv[0]).toUpperCase();
  return errBytes(`unknown subcommand '${cString(argv[1], NAME_IN_ERROR_MAX)}'. Try ${container} HELP.`);
}

/** A known subcommand used with the wrong arguments, reported by its handler. */
export function subcommandSyntaxError(argv: Buffer[]): Reply {
  const container = byteString(argv[0]).toUpperCase();
  return errBytes(`unknown subcommand or wrong number of arguments for '${cString(argv[1], NAME_IN_ERROR_MAX)}'. Try ${container} HELP.`);
}

export function wrongArity(fullName: string): Reply {
  return err(`wrong number of arguments for '${fullName}' command`);
}

/** Redis's string2ll on an argument, as a safe JS number when it fits; null when not an integer. */
export function parseInteger(arg: Buffer): number | null {
  const value = parseStrictInteger(arg.toString('latin1'));
  if (value === null) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : value > 0n ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
}
