/**
 * Architecture guard for the pure core: src/core may import only its own
 * modules, must not touch clocks, randomness, timers or the process, and no
 * module in src may take part in an import cycle.
 */
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import {
  boundaryViolations,
  codeOnly,
  findImports,
  importCycles,
  impurityViolations,
  readSources,
  resolveImport,
  type Sources,
} from './import-graph.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const src = readSources(root, 'src');
const core = new Map([...src].filter(([path]) => path.startsWith('src/core/')));

/**
 * The core's rule modules, in the only order they may import each other (src/core/README.md);
 * every other core module holds state types or helpers and imports none of them.
 */
const RULES = [
  'links',
  'roster',
  'hello-out',
  'empty-restart',
  'failure-detection',
  'election',
  'switchover',
  'failover',
  'reconfiguration',
  'hello-in',
  'info-refresh',
  'replies',
  'tick',
  'operations',
  'sentinel',
].map((name) => `src/core/${name}.ts`);

/** `path:line imports target` for every import of a rule module that breaks the order above. */
function layerViolations(files: Sources): string[] {
  const found: string[] = [];
  for (const [path, text] of files) {
    if (!path.startsWith('src/core/')) continue;
    const rank = RULES.indexOf(path);
    for (const { spec, line } of findImports(text)) {
      const target = resolveImport(path, spec, files);
      const targetRank = target === undefined ? -1 : RULES.indexOf(target);
      if (targetRank !== -1 && targetRank >= rank) found.push(`${path}:${line} imports ${target}`);
    }
  }
  return found;
}

describe('the real source tree', () => {
  it('was actually scanned', () => {
    expect(core.size).toBeGreaterThanOrEqual(20);
    expect(src.size).toBeGreaterThanOrEqual(80);
  });

  it('src/core imports only modules inside src/core', () => {
    expect(boundaryViolations(src, 'src/core')).toEqual([]);
  });

  it('src/core does not read time or randomness, set timers or touch the process', () => {
    expect(impurityViolations(src, 'src/core')).toEqual([]);
  });

  it('the rule modules exist and import only the state modules and the rules before them', () => {
    expect(RULES.filter((path) => !core.has(path))).toEqual([]);
    expect(layerViolations(src)).toEqual([]);
  });

  it('src has no import cycles', () => {
    expect(importCycles(src)).toEqual([]);
  });

  // Guards the hand-written scanner: on the real files it must see exactly the imports TypeScript sees.
  it('finds the same imports as the TypeScript pre-processor', () => {
    const mismatches: string[] = [];
    for (const [path, text] of src) {
      const ours = findImports(text).map((r) => r.spec);
      const theirs = ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
      if (ours.join('\n') !== theirs.join('\n')) mismatches.push(`${path}: ours [${ours}] vs TypeScript [${theirs}]`);
    }
    expect(mismatches).toEqual([]);
  });
});

describe('the checks themselves', () => {
  it('finds a state module importing a rule, and a rule importing a later one', () => {
    const files: Sources = new Map([
      ['src/core/instance.ts', "import { send } from './links.js';"],
      ['src/core/links.ts', "import { tick } from './tick.js';"],
      ['src/core/tick.ts', "import { send } from './links.js';"],
    ]);
    expect(layerViolations(files)).toEqual(['src/core/instance.ts:1 imports src/core/links.ts', 'src/core/links.ts:1 imports src/core/tick.ts']);
  });

  const fake: Sources = new Map([
    [
      'src/core/a.ts',
      [
        "import { b } from './b.js';",
        "import type { C } from '../config/c.js';",
        "import 'node:fs';",
        'export * from "./util/index.js";',
        'export const t = Date.now();',
        "const u = await import('node:net');",
      ].join('\n'),
    ],
    [
      'src/core/b.ts',
      [
        "// Date.now() and import x from 'node:os' in a comment",
        '/* new Date(), setTimeout(f) */',
        "const s = 'Date.now() process.env';",
        'const re = /[\'"`/]process./g;',
        "export { a } from './a.js';",
        'const m = `${ {k: "}"}.k } Math.random() ${`${process.pid}`}`;',
        'export const n = m.length / 2 / 1;',
      ].join('\n'),
    ],
    ['src/core/util/index.ts', "export type { A } from '../a.js';"],
    ['src/core/pure.ts', "import { x } from './a.js';\nexport const y = { setTimeoutMs: 1, processed: x };"],
    ['src/config/c.ts', "import { d } from '../links/d.js';\nexport type C = typeof d;"],
    ['src/links/d.ts', "export const d = await import('../config/c.js');"],
    ['src/links/self.ts', "export type S = import('./self.js').S;"],
  ]);

  it('blanks comments and literal contents but keeps offsets and substitutions', () => {
    const text = fake.get('src/core/b.ts')!;
    const code = codeOnly(text);
    expect(code.length).toBe(text.length);
    expect(code.split('\n').length).toBe(text.split('\n').length);
    expect(code).not.toMatch(/Date|setTimeout|random|node:os/);
    expect(code).toContain('process.pid');
    expect(code).toContain('m.length / 2 / 1');
  });

  it('finds every kind of import, with its line', () => {
    expect(findImports(fake.get('src/core/a.ts')!)).toEqual([
      { spec: './b.js', line: 1 },
      { spec: '../config/c.js', line: 2 },
      { spec: 'node:fs', line: 3 },
      { spec: './util/index.js', line: 4 },
      { spec: 'node:net', line: 6 },
    ]);
    expect(findImports(fake.get('src/core/b.ts')!)).toEqual([{ spec: './a.js', line: 5 }]);
  });

  it('reports imports leaving the core, and only those', () => {
    expect(boundaryViolations(fake, 'src/core')).toEqual([
      'src/core/a.ts:2 imports ../config/c.js',
      'src/core/a.ts:3 imports node:fs',
      'src/core/a.ts:6 imports node:net',
    ]);
  });

  it('reports clock, randomness and process use in code, not in comments or strings', () => {
    expect(impurityViolations(fake, 'src/core')).toEqual(['src/core/a.ts:5 uses Date.now', 'src/core/b.ts:6 uses process.pid']);
  });

  it('reports every cycle, type-only and self-imports included, and nothing acyclic', () => {
    expect(importCycles(fake)).toEqual([
      'import cycle group of 2 files: src/config/c.ts, src/links/d.ts',
      'import cycle: src/config/c.ts:1 -> src/links/d.ts:1 -> src/config/c.ts',
      'import cycle group of 3 files: src/core/a.ts, src/core/b.ts, src/core/util/index.ts',
      'import cycle: src/core/a.ts:1 -> src/core/b.ts:5 -> src/core/a.ts',
      'import cycle: src/core/util/index.ts:1 -> src/core/a.ts:4 -> src/core/util/index.ts',
      'import cycle: src/links/self.ts:1 -> src/links/self.ts',
    ]);
  });
});
