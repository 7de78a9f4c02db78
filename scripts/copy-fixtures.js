// Part of `npm run build`: tsc emits only JavaScript, but the daemon reads the replies
// captured from redis-sentinel (src/server/fixtures/) at run time. Copying them next to
// the compiled src/server/fixtures.js makes dist/src complete on its own, which is what
// the npm package ships.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const from = 'src/server/fixtures';
const to = 'dist/src/server/fixtures';
mkdirSync(to, { recursive: true });
for (const name of readdirSync(from)) copyFileSync(join(from, name), join(to, name));
