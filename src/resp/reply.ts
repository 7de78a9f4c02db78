/**
 * What a command handler answers, independent of the protocol version.
 * The encoder turns it into RESP2 or RESP3 bytes: maps become flat arrays in
 * RESP2, nulls become `$-1`/`*-1` in RESP2 and `_` in RESP3, pushes become arrays.
 */
export type Reply =
  | { type: 'simple'; value: string }
  /** `bytes`: the text is a byte string (one character per byte), for errors that quote a client's bytes back as they came. */
  | { type: 'error'; value: string; bytes?: true }
  | { type: 'integer'; value: number | bigint }
  | { type: 'bulk'; value: string | Buffer }
  | { type: 'null-bulk' }
  | { type: 'null-array' }
  | { type: 'array'; items: Reply[] }
  | { type: 'map'; entries: Array<[Reply, Reply]> }
  | { type: 'set'; items: Reply[] }
  | { type: 'push'; items: Reply[] }
  | { type: 'double'; value: number }
  | { type: 'boolean'; value: boolean }
  | { type: 'verbatim'; format: string; value: string }
  /** Bytes sent as they are, whatever the protocol (captured fixtures). */
  | { type: 'raw'; bytes: Buffer }
  /** Nothing is written back (e.g. SHUTDOWN closes the connection). */
  | { type: 'none' };

export const ok: Reply = { type: 'simple', value: 'OK' };

export function simple(value: string): Reply {
  return { type: 'simple', value };
}

/** An error reply whose text carries its own code: `error('NOAUTH Authentication required.')`. */
export function error(text: string): Reply {
  return { type: 'error', value: text };
}

/** An `-ERR <message>` reply whose message is a byte string (see server/bytes.ts): sent byte for byte. */
export function errBytes(message: string): Reply {
  return { type: 'error', value: `ERR ${message}`, bytes: true };
}

/** An `-ERR <message>` reply. */
export function err(message: string): Reply {
  return { type: 'error', value: `ERR ${message}` };
}

export function integer(value: number | bigint): Reply {
  return { type: 'integer', value };
}

export function bulk(value: string | Buffer | number | bigint): Reply {
  return { type: 'bulk', value: typeof value === 'number' || typeof value === 'bigint' ? String(value) : value };
}

export const nullBulk: Reply = { type: 'null-bulk' };
export const nullArray: Reply = { type: 'null-array' };

export function array(items: Reply[]): Reply {
  return { type: 'array', items };
}

export function bulkArray(values: Array<string | Buffer>): Reply {
  return array(values.map((v) => bulk(v)));
}

export function map(entries: Array<[Reply, Reply]>): Reply {
  return { type: 'map', entries };
}

/** A map whose keys and values are all bulk strings: the shape of every sentinel instance description. */
export function bulkMap(pairs: Array<[string, string | number | bigint]>): Reply {
  return map(pairs.map(([k, v]) => [bulk(k), bulk(v)]));
}

/**
 * A map of bulk strings kept as its string pairs (an instance description: dozens of fields per
 * instance, asked for often): the encoder writes the pairs directly, and `entries` makes the
 * generic shape only for a reader that asks for it.
 */
export class StringPairsMap {
  readonly type = 'map';

  constructor(readonly pairs: ReadonlyArray<readonly [string, string]>) {}

  get entries(): Array<[Reply, Reply]> {
    return this.pairs.map(([k, v]) => [bulk(k), bulk(v)]);
  }
}

export function stringPairsMap(pairs: ReadonlyArray<readonly [string, string]>): Reply {
  return new StringPairsMap(pairs);
}

export function push(items: Reply[]): Reply {
  return { type: 'push', items };
}
