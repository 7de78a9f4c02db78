import type { RespValue } from '../harness/index.js';

/** What one side answered to one command, after normalisation. */
export interface StepOutcome {
  /** The command as sent (placeholders not substituted), for the report. */
  command: string;
  replies: RespValue[];
  /**
   * `closed`: the server closed the connection; `timeout`: fewer replies than
   * expected arrived; `broken`: undecodable bytes or a socket error (see
   * `detail`); `not-sent`: skipped because an earlier command got no reply.
   */
  status: 'ok' | 'closed' | 'timeout' | 'broken' | 'not-sent';
  detail?: string;
}

export interface Difference {
  path: string;
  reference: string;
  subject: string;
}

function scalarText(value: RespValue): string | undefined {
  switch (value.type) {
    case 'simple':
    case 'error':
    case 'bulk':
    case 'double':
    case 'big-number':
      return value.value;
    case 'verbatim':
      return `${value.format}:${value.value}`;
    case 'integer':
    case 'boolean':
      return String(value.value);
    case 'null-bulk':
    case 'null-array':
    case 'null':
      return '';
    default:
      return undefined;
  }
}

function children(value: RespValue): RespValue[] | undefined {
  switch (value.type) {
    case 'array':
    case 'set':
    case 'push':
      return value.items;
    case 'map':
      return value.entries.flat();
    case 'attribute':
      return [...value.attributes.flat(), value.value];
    default:
      return undefined;
  }
}

function describeAt(value: RespValue | undefined): string {
  if (value === undefined) return '(nothing)';
  const text = scalarText(value);
  if (text !== undefined) return `${value.type} ${JSON.stringify(text)}`;
  if (value.type === 'map') return `map of ${value.entries.length} entries`;
  return `${value.type} of ${children(value)?.length ?? 0} elements`;
}

function childPath(parent: RespValue, path: string, index: number): string {
  if (parent.type === 'map') return `${path}{entry ${Math.floor(index / 2)} ${index % 2 === 0 ? 'key' : 'value'}}`;
  return `${path}[${index}]`;
}

/** Beyond this many characters (both texts together), a text difference is shown where it starts, not whole. */
const LONG_TEXT = 160;
const CONTEXT = 40;

/** Where two long texts part: the first differing line of a multi-line text, else a window around the first differing character. */
function textDifference(reference: string, subject: string, path: string): Difference {
  if (reference.includes('\n') || subject.includes('\n')) {
    const ra = reference.split('\n');
    const sa = subject.split('\n');
    let i = 0;
    while (i < Math.max(ra.length, sa.length) && ra[i] === sa[i]) i++;
    const line = (lines: string[]) => (i < lines.length ? JSON.stringify(lines[i]) : '(no such line)');
    return { path: `${path}, line ${i + 1}`, reference: line(ra), subject: line(sa) };
  }
  let i = 0;
  while (i < Math.min(reference.length, subject.length) && reference[i] === subject[i]) i++;
  const window = (text: string) => JSON.stringify(`${i > CONTEXT ? '…' : ''}${text.slice(Math.max(0, i - CONTEXT), i + CONTEXT)}`);
  return { path: `${path}, character ${i}`, reference: window(reference), subject: window(subject) };
}

/** The first place, depth first, where two replies differ in type, length or value. */
export function firstDifference(reference: RespValue, subject: RespValue, path = 'reply'): Difference | undefined {
  if (reference.type !== subject.type) {
    return { path, reference: describeAt(reference), subject: describeAt(subject) };
  }
  const a = children(reference);
  const b = children(subject);
  if (a === undefined || b === undefined) {
    const ra = scalarText(reference) ?? '';
    const sa = scalarText(subject) ?? '';
    if (ra === sa) return undefined;
    return ra.length + sa.length > LONG_TEXT ? textDifference(ra, sa, path) : { path, reference: describeAt(reference), subject: describeAt(subject) };
  }
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = firstDifference(a[i], b[i], childPath(reference, path, i));
    if (d) return d;
  }
  if (a.length !== b.length) {
    const i = Math.min(a.length, b.length);
    return {
      path: `${path} (length ${a.length} vs ${b.length})`,
      reference: describeAt(a[i]),
      subject: describeAt(b[i]),
    };
  }
  return undefined;
}

/** The first difference between two sides' answers to the same command. */
export function stepDifference(reference: StepOutcome, subject: StepOutcome): Difference | undefined {
  if (reference.status !== subject.status) {
    return { path: 'connection', reference: reference.status, subject: subject.status };
  }
  const n = Math.max(reference.replies.length, subject.replies.length);
  for (let i = 0; i < n; i++) {
    const a = reference.replies[i];
    const b = subject.replies[i];
    const where = n > 1 ? `frame ${i + 1}` : 'reply';
    if (a === undefined || b === undefined) return { path: where, reference: describeAt(a), subject: describeAt(b) };
    const d = firstDifference(a, b, where);
    if (d) return d;
  }
  return undefined;
}

/** A readable multi-line rendering of a reply. */
export function prettyResp(value: RespValue, indent = ''): string {
  const text = scalarText(value);
  if (text !== undefined) {
    if (value.type === 'null-bulk') return '$-1 (null bulk)';
    if (value.type === 'null-array') return '*-1 (null array)';
    if (value.type === 'null') return '_ (null)';
    if (text.includes('\n') && text.length > LONG_TEXT) {
      const lines = text.split('\n').map((line) => `${indent}  | ${JSON.stringify(line).slice(1, -1)}`);
      return `${value.type}, ${lines.length} lines:\n${lines.join('\n')}`;
    }
    return `${value.type} ${JSON.stringify(text)}`;
  }
  const inner = `${indent}  `;
  if (value.type === 'map') {
    if (value.entries.length === 0) return 'map {}';
    const lines = value.entries.map(([k, v]) => `${inner}${prettyResp(k, inner)} => ${prettyResp(v, inner)}`);
    return `map {\n${lines.join('\n')}\n${indent}}`;
  }
  if (value.type === 'attribute') {
    const attrs = value.attributes.map(([k, v]) => `${prettyResp(k, inner)} => ${prettyResp(v, inner)}`).join(', ');
    return `attribute {${attrs}} ${prettyResp(value.value, indent)}`;
  }
  const items = children(value) ?? [];
  if (items.length === 0) return `${value.type} []`;
  return `${value.type} [\n${items.map((item) => `${inner}${prettyResp(item, inner)}`).join('\n')}\n${indent}]`;
}

const STATUS_TEXT = {
  closed: 'connection closed by the server',
  timeout: 'no further reply before the timeout',
  broken: 'connection broken',
  'not-sent': 'not sent: an earlier command got no reply',
} as const;

function prettyOutcome(o: StepOutcome): string {
  const frames = o.replies.map((r) => prettyResp(r, '    ')).join('\n    ');
  const status = o.status === 'ok' ? '' : `\n    (${STATUS_TEXT[o.status]}${o.detail ? `: ${o.detail}` : ''})`;
  return `    ${frames || '(no reply)'}${status}`;
}

/** The failure report for one command: what was sent, both normalised answers, the first difference. */
export function differenceReport(
  label: { caseName: string; protocol: 2 | 3; referenceName: string; subjectName: string },
  reference: StepOutcome,
  subject: StepOutcome,
  difference: Difference,
): string {
  return [
    `Command: ${reference.command}   (case "${label.caseName}", RESP${label.protocol})`,
    `  ${label.referenceName} (reference), normalised:`,
    prettyOutcome(reference),
    `  ${label.subjectName} (under test), normalised:`,
    prettyOutcome(subject),
    `  First difference at ${difference.path}: reference ${difference.reference} / under test ${difference.subject}`,
  ].join('\n');
}
