/**
 * Static checks on the source tree, used by core-boundary.test.ts. Every check
 * takes a map of repo-relative posix paths ('src/core/x.ts') to file text, so
 * the tests can feed it synthetic sources as well as the real tree.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';

export type Sources = Map<string, string>;

/** Reads every .ts file under root/dir, keyed by its posix path relative to root. */
export function readSources(root: string, dir: string): Sources {
  const files: Sources = new Map();
  const names = readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' });
  for (const name of names.map((n) => n.split('\\').join('/')).sort()) {
    if (name.endsWith('.ts')) files.set(posix.join(dir, name), readFileSync(join(root, dir, name), 'utf8'));
  }
  return files;
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let k = text.indexOf('\n'); k >= 0 && k < index; k = text.indexOf('\n', k + 1)) line++;
  return line;
}

const REGEX_AFTER_WORD = new Set(['return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await']);

/**
 * The text with comments and the contents of string, template and regex
 * literals replaced by spaces. Quotes, `${ }` substitutions (which are code)
 * and newlines stay where they were, so offsets and line numbers still match
 * the original text. Throws on an unterminated literal or comment.
 */
export function codeOnly(src: string): string {
  const out = src.split('');
  const blank = (from: number, to: number): void => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  const fail = (at: number, what: string): never => {
    throw new Error(`unterminated ${what} at line ${lineAt(src, at)}`);
  };
  // One entry per open '{': true when it is the '${' of a template substitution.
  const braces: boolean[] = [];

  // Blanks template text from `start` up to the closing backtick or the next '${'; returns where code resumes.
  const templateText = (start: number): number => {
    for (let j = start; j < src.length; j++) {
      if (src[j] === '\\') {
        j++;
      } else if (src[j] === '`') {
        blank(start, j);
        return j + 1;
      } else if (src[j] === '$' && src[j + 1] === '{') {
        blank(start, j);
        braces.push(true);
        return j + 2;
      }
    }
    return fail(start, 'template literal');
  };

  // Blanks a '...' / "..." / /regex/ body starting after `open`; returns the index after the closing delimiter.
  const literal = (open: number, close: string, what: string): number => {
    let inClass = false; // '/' inside a regex character class does not end the regex
    for (let j = open + 1; j < src.length && src[j] !== '\n'; j++) {
      if (src[j] === '\\') j++;
      else if (close === '/' && (src[j] === '[' || src[j] === ']')) inClass = src[j] === '[';
      else if (src[j] === close && !inClass) {
        blank(open + 1, j);
        return j + 1;
      }
    }
    return fail(open, what);
  };

  // A '/' starts a regex unless it follows something that ends an operand (a name, ')', ']', a literal).
  const regexAllowed = (at: number): boolean => {
    let k = at - 1;
    while (k >= 0 && /\s/.test(out[k])) k--;
    if (k < 0) return true;
    if (/[\w$]/.test(out[k])) {
      let w = k;
      while (w > 0 && /[\w$]/.test(out[w - 1])) w--;
      return REGEX_AFTER_WORD.has(out.slice(w, k + 1).join(''));
    }
    return !/[)\]}'"`]/.test(out[k]);
  };

  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === '/' && src[i + 1] === '/') {
      const end = src.indexOf('\n', i);
      const stop = end < 0 ? src.length : end;
      blank(i, stop);
      i = stop;
    } else if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) fail(i, 'block comment');
      blank(i, end + 2);
      i = end + 2;
    } else if (c === '"' || c === "'") {
      i = literal(i, c, 'string');
    } else if (c === '`') {
      i = templateText(i + 1);
    } else if (c === '{') {
      braces.push(false);
      i++;
    } else if (c === '}') {
      i = braces.pop() ? templateText(i + 1) : i + 1;
    } else if (c === '/' && regexAllowed(i)) {
      i = literal(i, '/', 'regex');
    } else {
      i++;
    }
  }
  return out.join('');
}

export interface ImportRef {
  spec: string;
  line: number;
}

// Matched against codeOnly() text, so imports inside comments and strings never match;
// the specifier itself is then read from the original text at the same offset.
// The clause between import/export and `from` may hold names, braces, commas and `*`,
// but not another import/export keyword (that would mean the match ran past a statement).
const IMPORT_RE =
  /(?<![\w$.])(?:(?:import|export)\s(?:(?!\b(?:import|export)\b)[\w$\s{},*])*?\bfrom\s*|import\s*(?:\(\s*)?|require\s*\(\s*)(['"`])/g;

/** Every module specifier the file imports or re-exports, static, type-only, side-effect or dynamic. */
export function findImports(text: string, code = codeOnly(text)): ImportRef[] {
  const refs: ImportRef[] = [];
  for (const m of code.matchAll(IMPORT_RE)) {
    const quote = m.index + m[0].length - 1;
    const end = text.indexOf(m[1], quote + 1);
    refs.push({ spec: text.slice(quote + 1, end), line: lineAt(text, m.index) });
  }
  return refs;
}

const isRelative = (spec: string): boolean => /^\.\.?(\/|$)/.test(spec);

/** The file a relative specifier names ('./x.js' -> 'dir/x.ts', './d' -> 'dir/d/index.ts'), if it is one of `files`. */
export function resolveImport(from: string, spec: string, files: Sources): string | undefined {
  if (!isRelative(spec)) return undefined;
  const base = posix.join(posix.dirname(from), spec);
  const candidates = [base.replace(/\.([mc]?)js$/, '.$1ts'), base, `${base}.ts`, `${base}/index.ts`];
  return candidates.find((c) => files.has(c));
}

/** `path:line imports spec` for every import in `dir` that is not a relative module inside `dir`. */
export function boundaryViolations(files: Sources, dir: string): string[] {
  const found: string[] = [];
  for (const [path, text] of files) {
    if (!path.startsWith(`${dir}/`)) continue;
    for (const { spec, line } of findImports(text)) {
      const inside = isRelative(spec) && !spec.includes('${') && posix.join(posix.dirname(path), spec).startsWith(`${dir}/`);
      if (!inside) found.push(`${path}:${line} imports ${spec}`);
    }
  }
  return found;
}

// Real time, randomness, timers and the process: all of it must come into a pure core as input.
const IMPURE_RE =
  /(?<![\w$])(?:new\s+Date\b|Date\s*(?:\.\s*now\b|\()|performance\s*\.\s*now\b|Math\s*\.\s*random\b|process\s*\.\s*[\w$]*|crypto\b|setTimeout\b|setInterval\b|setImmediate\b|queueMicrotask\b)/g;

/** `path:line uses X` for every clock, randomness, timer or process access in `dir`, outside comments and strings. */
export function impurityViolations(files: Sources, dir: string): string[] {
  const found: string[] = [];
  for (const [path, text] of files) {
    if (!path.startsWith(`${dir}/`)) continue;
    for (const m of codeOnly(text).matchAll(IMPURE_RE)) {
      found.push(`${path}:${lineAt(text, m.index)} uses ${m[0].replace(/\s+/g, ' ')}`);
    }
  }
  return found;
}

interface Edge {
  to: string;
  line: number;
}

/** The strongly connected components of the graph (Tarjan). */
function stronglyConnected(graph: Map<string, Edge[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const { to } of graph.get(v)!) {
      if (!index.has(to)) {
        visit(to);
        low.set(v, Math.min(low.get(v)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(v, Math.min(low.get(v)!, index.get(to)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      components.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return components;
}

/** A shortest cycle through `start` within `members`, as `a.ts:3 -> b.ts:7 -> a.ts` (file:line of the import taken). */
function shortestCycle(graph: Map<string, Edge[]>, start: string, members: Set<string>): string[] {
  const via = new Map<string, Edge & { from: string }>(); // how BFS first reached each file
  const queue = [start];
  for (let q = 0; q < queue.length; q++) {
    const from = queue[q];
    for (const edge of graph.get(from)!) {
      if (!members.has(edge.to) || via.has(edge.to)) continue;
      via.set(edge.to, { ...edge, from });
      if (edge.to === start) {
        const hops: string[] = [start];
        for (let at = via.get(start)!; ; at = via.get(at.from)!) {
          hops.unshift(`${at.from}:${at.line}`);
          if (at.from === start) return hops;
        }
      }
      queue.push(edge.to);
    }
  }
  throw new Error(`no cycle through ${start}`);
}

/**
 * Every import cycle among the files, all import kinds counted. Each group of
 * files tied together (a strongly connected component) gets a summary line and
 * enough concrete cycles that every file in it appears in one.
 */
export function importCycles(files: Sources): string[] {
  const graph = new Map<string, Edge[]>();
  for (const [path, text] of files) {
    const edges: Edge[] = [];
    for (const { spec, line } of findImports(text)) {
      const to = resolveImport(path, spec, files);
      // Keep the first import line per target: the cycle only needs one.
      if (to !== undefined && !edges.some((e) => e.to === to)) edges.push({ to, line });
    }
    graph.set(path, edges);
  }
  const found: string[] = [];
  for (const component of stronglyConnected(graph).sort((x, y) => x[0].localeCompare(y[0]))) {
    const [first] = component;
    if (component.length === 1 && !graph.get(first)!.some((e) => e.to === first)) continue;
    const members = new Set(component);
    if (component.length > 1) found.push(`import cycle group of ${component.length} files: ${component.join(', ')}`);
    const covered = new Set<string>();
    for (const file of component) {
      if (covered.has(file)) continue;
      const cycle = shortestCycle(graph, file, members);
      for (const hop of cycle) covered.add(hop.replace(/:\d+$/, ''));
      found.push(`import cycle: ${cycle.join(' -> ')}`);
    }
  }
  return found;
}
