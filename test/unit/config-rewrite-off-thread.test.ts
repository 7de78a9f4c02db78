import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { rewriteConfig } from '../../src/config/rewrite.js';

// The worker thread runs the built module: tests run after `npm run build` (scripts/test.sh).
const BUILT = fileURLToPath(new URL('../../dist/src/config/rewrite-off-thread.js', import.meta.url));

function bigConfig(masters: number): string {
  const lines = ['port 26379', `sentinel myid ${'a'.repeat(40)}`];
  for (let i = 0; i < masters; i++) {
    lines.push(`sentinel monitor m${i} 127.0.0.1 ${20000 + i} 2`, `sentinel known-replica m${i} 127.0.0.1 ${30000 + i}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('config rendering off the event loop', () => {
  it('renders a big config in its thread exactly as in place, and ends the thread on close', async () => {
    expect(existsSync(BUILT), `${BUILT} is missing: run 'npm run build' first`).toBe(true);
    const { ConfigRenderer } = (await import(BUILT)) as typeof import('../../src/config/rewrite-off-thread.js');
    const text = bigConfig(600);
    const { server, sentinel } = parseConfig(text);
    const defaults = { downAfterMs: 30_000, failoverTimeoutMs: 180_000 };
    const renderer = new ConfigRenderer();
    const [a, b] = await Promise.all([renderer.render(text, server, sentinel, defaults), renderer.render(null, server, sentinel, defaults)]);
    expect(a).toBe(rewriteConfig(text, server, sentinel, defaults));
    expect(b).toBe(rewriteConfig(null, server, sentinel, defaults));
    await renderer.close();
  });
});
