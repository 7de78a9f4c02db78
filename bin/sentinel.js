#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';

// V8 lets the old generation grow to several times what survived its last full collection.
// A sentinel's garbage is mostly old strings replaced slowly (INFO replies, every 10 s per
// instance), so with 2,000 masters the heap swelled to 240 MB over 27 MB of live data; a 20%
// margin keeps it near its live size at the cost of more (incremental) full collections.
setFlagsFromString('--heap-growing-percent=20');
const { main } = await import('../dist/src/cli.js');

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
