/**
 * A byte-span index over one captured RESP value, so that parts of a fixture
 * (one command's COMMAND INFO entry, one command's docs) can be served as the
 * exact bytes the real server sent. Only for trusted, well-formed fixtures.
 */
export interface RespNode {
  /** The type byte: `*`, `%`, `~`, `$`, `+`, `:`, ... */
  marker: string;
  /** Byte offsets of the whole value, header included. */
  start: number;
  end: number;
  /** The payload of a scalar (bulk body or line), latin1; null for aggregates and nulls. */
  text: string | null;
  /** Elements of an aggregate; a map's keys and values alternate. */
  children: RespNode[];
}

export function indexResp(bytes: Buffer): RespNode {
  const [node, end] = readNode(bytes, 0);
  if (end !== bytes.length) throw new Error(`fixture has ${bytes.length - end} bytes after its value`);
  return node;
}

const AGGREGATE_WIDTH: Record<string, number> = { '*': 1, '~': 1, '>': 1, '%': 2, '|': 2 };

function readNode(bytes: Buffer, start: number): [RespNode, number] {
  const marker = String.fromCharCode(bytes[start]);
  const lineEnd = bytes.indexOf('\r\n', start);
  if (lineEnd === -1) throw new Error(`unterminated line at offset ${start}`);
  const line = bytes.toString('latin1', start + 1, lineEnd);
  let pos = lineEnd + 2;

  const width = AGGREGATE_WIDTH[marker];
  if (width !== undefined) {
    const count = Number(line);
    const children: RespNode[] = [];
    for (let i = 0; i < count * width; i++) {
      const [child, next] = readNode(bytes, pos);
      children.push(child);
      pos = next;
    }
    return [{ marker, start, end: pos, text: null, children }, pos];
  }
  if (marker === '$' || marker === '=' || marker === '!') {
    const length = Number(line);
    if (length < 0) return [{ marker, start, end: pos, text: null, children: [] }, pos];
    const text = bytes.toString('latin1', pos, pos + length);
    pos += length + 2;
    return [{ marker, start, end: pos, text, children: [] }, pos];
  }
  return [{ marker, start, end: pos, text: marker === '_' ? null : line, children: [] }, pos];
}

/** The value stored under `key` in a map node (RESP3 `%`) or a flat key/value array (RESP2). */
export function mapLookup(node: RespNode, key: string): RespNode | undefined {
  for (let i = 0; i + 1 < node.children.length; i += 2) {
    if (node.children[i].text === key) return node.children[i + 1];
  }
  return undefined;
}
