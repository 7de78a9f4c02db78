import type { RespValue } from '../harness/index.js';
import type { ReplyMask } from './cases.js';

/**
 * Makes two sentinels' replies comparable: what must differ between two
 * processes (ports, run ids, client ids, ages, pids, addresses, hz, memory and
 * cpu figures) is replaced by placeholders; everything else is kept, types
 * included, so that a bulk "1" never passes for an integer 1.
 */

/** A literal that differs per side and the placeholder both sides share, e.g. ['41234', '<master-port>']. */
export type Token = readonly [literal: string, placeholder: string];

/** Instance-map fields whose values are times, offsets or in-flight counts. */
const VOLATILE_FIELDS = new Set([
  'last-ping-sent',
  'last-ok-ping-reply',
  'last-ping-reply',
  'info-refresh',
  'role-reported-time',
  'last-hello-message',
  's-down-time',
  'o-down-time',
  'master-link-down-time',
  'slave-repl-offset',
  'link-pending-commands',
  'run-time',
  'run-delay',
  'pid',
  // HELLO's client id.
  'id',
]);

/** CLIENT LIST / CLIENT INFO fields that depend on the connection, not on behaviour. */
const VOLATILE_CLIENT_FIELDS = new Set([
  'id', 'addr', 'laddr', 'fd', 'age', 'idle', 'qbuf', 'qbuf-free', 'argv-mem', 'rbs', 'rbp', 'tot-mem', 'obl', 'oll', 'omem',
]);

/** INFO fields whose values are the same for any two healthy sentinels of this topology; others compare by name only. */
const STABLE_INFO_FIELDS = new Set([
  'redis_version', 'redis_mode', 'arch_bits', 'configured_hz', 'io_threads_active', 'process_supervised', 'tcp_port',
  'config_file', 'maxclients', 'cluster_connections', 'blocked_clients', 'tracking_clients', 'clients_in_timeout_table',
  'pubsub_channels', 'pubsub_patterns', 'pubsubshard_channels', 'sentinel_masters', 'sentinel_running_scripts',
  'sentinel_scripts_queue_length', 'sentinel_simulate_failure_flags', 'master0',
]);

const MASKED = '<masked>';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Replaces every token in a string; digits or hex around a literal block the match, so a port never matches inside a larger number. */
export function substituteTokens(text: string, tokens: readonly Token[]): string {
  let out = text;
  const longestFirst = [...tokens].filter(([literal]) => literal.length > 0).sort((a, b) => b[0].length - a[0].length);
  for (const [literal, placeholder] of longestFirst) {
    out = out.replace(new RegExp(`(?<![0-9a-fA-F])${escapeRegExp(literal)}(?![0-9a-fA-F])`, 'g'), placeholder);
  }
  // Peers name their links after the first 8 hex chars of their id.
  return out.replace(/\bsentinel-[0-9a-f]{8}-(cmd|pubsub)\b/g, 'sentinel-<id8>-$1');
}

function normaliseClientLine(line: string): string {
  const isPeerLink = / name=sentinel-/.test(line);
  return line
    .split(' ')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      const key = pair.slice(0, eq);
      // A peer's last command alternates between PING, PUBLISH and SENTINEL.
      if (VOLATILE_CLIENT_FIELDS.has(key) || (isPeerLink && key === 'cmd')) return `${key}=${MASKED}`;
      return pair;
    })
    .join(' ');
}

/** CLIENT LIST / CLIENT INFO text: one `id=... addr=...` line per client. */
function looksLikeClientList(text: string): boolean {
  return /^id=\d+ addr=/.test(text);
}

function normaliseText(text: string, tokens: readonly Token[]): string {
  const substituted = substituteTokens(text, tokens);
  if (!looksLikeClientList(substituted)) return substituted;
  return substituted
    .split('\n')
    .map((line) => (line.startsWith('id=') ? normaliseClientLine(line) : line))
    .join('\n');
}

/**
 * An INFO reply with each run of field lines replaced by its sorted field
 * names (stable fields keep their token-substituted values). Headers, blank
 * lines, CRLF line ends and the trailing CRLF stay where they are.
 */
export function canonicalInfo(text: string, tokens: readonly Token[]): string {
  const out: string[] = [];
  let run: string[] = [];
  const flush = () => {
    out.push(...run.sort());
    run = [];
  };
  for (const line of text.split('\r\n')) {
    if (line === '' || line.startsWith('# ')) {
      flush();
      out.push(line);
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    run.push(STABLE_INFO_FIELDS.has(name) ? substituteTokens(line, tokens) : name);
  }
  flush();
  return out.join('\n');
}

function maskScalars(value: RespValue): RespValue {
  switch (value.type) {
    case 'array':
    case 'set':
    case 'push':
      return { ...value, items: value.items.map(maskScalars) };
    case 'map':
      return { type: 'map', entries: value.entries.map(([k, v]) => [maskScalars(k), maskScalars(v)]) };
    case 'attribute':
      return { ...value, value: maskScalars(value.value) };
    case 'simple':
    case 'error':
    case 'bulk':
    case 'double':
    case 'big-number':
    case 'verbatim':
      return { ...value, value: MASKED };
    case 'integer':
      return { type: 'integer', value: 0n };
    default:
      return value;
  }
}

function keyText(value: RespValue): string | undefined {
  return value.type === 'bulk' || value.type === 'simple' ? value.value : undefined;
}

/** The generic normalisation every reply gets (tokens, volatile fields, client lines). */
function normaliseGeneric(value: RespValue, tokens: readonly Token[]): RespValue {
  switch (value.type) {
    case 'simple':
    case 'error':
    case 'bulk':
    case 'verbatim':
      return { ...value, value: normaliseText(value.value, tokens) };
    case 'array':
    case 'set':
    case 'push': {
      // RESP2 sends maps as flat arrays: a volatile key masks the element after it.
      const items = value.items.map((item, i) => {
        const previous = i > 0 ? keyText(value.items[i - 1]) : undefined;
        if (previous !== undefined && i % 2 === 1 && VOLATILE_FIELDS.has(previous)) return maskScalars(item);
        return normaliseGeneric(item, tokens);
      });
      return { ...value, items };
    }
    case 'map':
      return {
        type: 'map',
        entries: value.entries.map(([k, v]) => {
          const key = keyText(k);
          return [normaliseGeneric(k, tokens), key !== undefined && VOLATILE_FIELDS.has(key) ? maskScalars(v) : normaliseGeneric(v, tokens)];
        }),
      };
    case 'attribute':
      return { ...value, value: normaliseGeneric(value.value, tokens) };
    default:
      return value;
  }
}

/** A total order on normalised values, to compare unordered replies. */
function sortKey(value: RespValue): string {
  return JSON.stringify(value, (_, x) => (typeof x === 'bigint' ? `${x}n` : x));
}

export function normaliseReply(value: RespValue, tokens: readonly Token[], mask: ReplyMask = 'exact'): RespValue {
  switch (mask) {
    case 'shape':
      return maskScalars(value);
    case 'info':
      if (value.type === 'bulk' || value.type === 'verbatim') return { ...value, value: canonicalInfo(value.value, tokens) };
      return normaliseGeneric(value, tokens);
    case 'unordered': {
      const normalised = normaliseGeneric(value, tokens);
      if (normalised.type !== 'array' && normalised.type !== 'set') return normalised;
      return { ...normalised, items: [...normalised.items].sort((a, b) => sortKey(a).localeCompare(sortKey(b))) };
    }
    case 'exact':
      return normaliseGeneric(value, tokens);
  }
}
