#!/usr/bin/env node
import { main } from '../dist/src/cli.js';

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
