import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Replies captured from the real redis-sentinel 7.0.15, served byte for byte.
 * The files live next to the sources. tsc does not copy them: `npm run build` and
 * `prepack` do (scripts/copy-fixtures.js), which is how the npm package, shipping
 * dist/src only, has them; a dist made by tsc alone reads them from the source tree.
 */
const FIXTURE_DIRS = [new URL('./fixtures/', import.meta.url), new URL('../../../src/server/fixtures/', import.meta.url)];

export type FixtureName =
  | 'COMMAND.resp2'
  | 'COMMAND.resp3'
  | 'COMMAND-DOCS.resp2'
  | 'COMMAND-DOCS.resp3'
  | 'COMMAND-HELP.resp2'
  | 'CLIENT-HELP.resp2'
  | 'ACL-HELP.resp2'
  | 'ACL-CAT.resp2'
  | 'SENTINEL-HELP.resp2';

export function loadFixture(name: FixtureName): Buffer {
  const file = `sentinel-7.0.15-${name}`;
  for (const dir of FIXTURE_DIRS) {
    const path = fileURLToPath(new URL(file, dir));
    if (existsSync(path)) return readFileSync(path);
  }
  throw new Error(`fixture ${file} not found in ${FIXTURE_DIRS.map((d) => fileURLToPath(d)).join(' or ')}`);
}
