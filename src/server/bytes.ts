/**
 * Arguments arrive as bytes. Where the server keeps them as map keys (channels,
 * user names) it uses "byte strings": latin1-decoded, one character per byte,
 * so that nothing is lost. Text for humans (error messages, hooks) is UTF-8.
 */
export function byteString(bytes: Buffer): string {
  return bytes.toString('latin1');
}

/** A byte string shown as text (UTF-8), e.g. inside an error message. */
export function bytesToText(value: string): string {
  return Buffer.from(value, 'latin1').toString('utf8');
}

/** A text (UTF-8) value as a byte string, e.g. a password from the config file. */
export function textToBytes(value: string): string {
  return Buffer.from(value, 'utf8').toString('latin1');
}

/** printf's `%.<max>s` on bytes, as Redis formats a client's argument into an error: up to the first NUL, at most `max` bytes, as a byte string. */
export function cString(bytes: Buffer, max: number): string {
  const nul = bytes.indexOf(0);
  return byteString(bytes.subarray(0, Math.max(0, Math.min(max, nul === -1 ? bytes.length : nul))));
}
